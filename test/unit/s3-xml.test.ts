// XML answers, read back by the AWS SDK's own deserialisers (what real clients will see).

import { Readable } from 'node:stream';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetBucketAclCommand,
  GetBucketLocationCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  ListBucketsCommand,
  ListMultipartUploadsCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  S3Client,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { HttpResponse } from '@smithy/core/protocols';
import { expect } from 'chai';
import { S3Error } from '../../src/s3/errors.js';
import { listBucketsXml, listObjectsV1Xml, listObjectsV2Xml } from '../../src/s3/xml-listing.js';
import {
  completeUploadXml,
  initiateUploadXml,
  listPartsXml,
  listUploadsXml,
} from '../../src/s3/xml-multipart.js';
import {
  copyResultXml,
  deleteResultXml,
  errorXml,
  locationXml,
  ownerAclXml,
  versioningXml,
} from '../../src/s3/xml-results.js';
import { escapeXml } from '../../src/s3/xml-writer.js';

const OWNER = { id: 'owner-id', displayName: 'dfs' };
const T = new Date('2026-01-15T12:34:56.789Z');
const KEYS = [
  'plain.txt',
  'a b+c/ü 😀.txt',
  '<&>"\'',
  ' lead and trail ',
  'line\r\nbreak\ttab',
  '100%/~!*()',
];

/** Answers every call of an S3 client with `body` (and `status`), so its parser reads our XML. */
function clientAnswering(body: string, status = 200, headers: Record<string, string> = {}): S3Client {
  return new S3Client({
    region: 'us-east-1',
    endpoint: 'http://gw',
    forcePathStyle: true,
    maxAttempts: 1,
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    requestHandler: {
      handle: async () => ({
        response: new HttpResponse({
          statusCode: status,
          headers: { 'content-type': 'application/xml', ...headers },
          body: Readable.from([Buffer.from(body)]),
        }),
      }),
    },
  });
}

describe('s3 xml: answers as the AWS SDK reads them', () => {
  it('escapes text, keeping CR, LF and TAB as references', () => {
    expect(escapeXml(`a&b<c>d"e'f`)).to.equal('a&amp;b&lt;c&gt;d&quot;e&apos;f');
    expect(escapeXml('x\r\n\ty\u0001')).to.equal('x&#13;&#10;&#9;y&#1;');
  });

  it('ListBuckets', async () => {
    const xml = listBucketsXml(OWNER, [
      { name: 'alpha', creationDate: T },
      { name: 'b.e-ta', creationDate: T },
    ]);
    const out = await clientAnswering(xml).send(new ListBucketsCommand({}));
    expect(out.Owner).to.deep.equal({ ID: 'owner-id', DisplayName: 'dfs' });
    expect(out.Buckets?.map((b) => [b.Name, b.CreationDate?.toISOString()])).to.deep.equal([
      ['alpha', T.toISOString()],
      ['b.e-ta', T.toISOString()],
    ]);
  });

  const contents = KEYS.map((key, i) => ({ key, lastModified: T, etag: `"etag${i}"`, size: i * 10 }));

  it('ListObjectsV2 keeps every key exactly, with and without EncodingType=url', async () => {
    const base = {
      bucket: 'b',
      prefix: 'p re/',
      maxKeys: 100,
      isTruncated: true,
      continuationToken: 'c1',
      nextContinuationToken: 'c2',
      startAfter: 's a',
      delimiter: '/',
      contents,
      commonPrefixes: ['p re/x y/', 'p re/ü/'],
    };
    const raw = await clientAnswering(listObjectsV2Xml(base)).send(new ListObjectsV2Command({ Bucket: 'b' }));
    expect(raw.Contents?.map((c) => c.Key)).to.deep.equal(KEYS);
    expect(raw.Contents?.map((c) => [c.ETag, c.Size, c.StorageClass, c.Owner])[1]).to.deep.equal([
      '"etag1"',
      10,
      'STANDARD',
      undefined,
    ]);
    expect([raw.KeyCount, raw.IsTruncated, raw.NextContinuationToken, raw.ContinuationToken]).to.deep.equal([
      8,
      true,
      'c2',
      'c1',
    ]);
    expect([raw.Prefix, raw.StartAfter, raw.Delimiter, raw.MaxKeys]).to.deep.equal([
      'p re/',
      's a',
      '/',
      100,
    ]);
    const url = await clientAnswering(listObjectsV2Xml({ ...base, encodingType: 'url', owner: OWNER })).send(
      new ListObjectsV2Command({ Bucket: 'b' }),
    );
    expect(url.EncodingType).to.equal('url');
    expect(url.Contents?.map((c) => c.Key)).to.deep.equal(
      KEYS.map((k) =>
        encodeURIComponent(k)
          .replace(/%2F/g, '/')
          .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`),
      ),
    );
    // S3's encoding: space as %20 (never +), `+` as %2B, `/` kept; decodeURIComponent undoes it.
    expect(url.Contents?.map((c) => decodeURIComponent(c.Key ?? ''))).to.deep.equal(KEYS);
    expect(url.Contents?.[1]?.Key).to.equal('a%20b%2Bc/%C3%BC%20%F0%9F%98%80.txt');
    expect([url.Prefix, url.StartAfter]).to.deep.equal(['p%20re/', 's%20a']);
    expect(url.CommonPrefixes?.map((p) => p.Prefix)).to.deep.equal(['p%20re/x%20y/', 'p%20re/%C3%BC/']);
    expect(url.Contents?.[0]?.Owner).to.deep.equal({ ID: 'owner-id', DisplayName: 'dfs' });
  });

  it('ListObjectsV2 leaves out NextContinuationToken when complete, and an empty Delimiter', () => {
    const xml = listObjectsV2Xml({
      bucket: 'b',
      prefix: '',
      delimiter: '',
      maxKeys: 1000,
      isTruncated: false,
      nextContinuationToken: 'x',
      contents: [],
      commonPrefixes: [],
    });
    expect(xml).not.to.contain('NextContinuationToken');
    expect(xml).not.to.contain('Delimiter');
    expect(xml).to.contain('<KeyCount>0</KeyCount>');
  });

  it('ListObjects (v1) with markers, owner and url encoding', async () => {
    const xml = listObjectsV1Xml({
      bucket: 'b',
      prefix: '',
      marker: 'm a',
      nextMarker: 'n a',
      maxKeys: 2,
      isTruncated: true,
      delimiter: '/',
      encodingType: 'url',
      contents: contents.slice(0, 2),
      commonPrefixes: ['d i/'],
      owner: OWNER,
    });
    const out = await clientAnswering(xml).send(new ListObjectsCommand({ Bucket: 'b' }));
    expect([out.Marker, out.NextMarker, out.IsTruncated, out.MaxKeys]).to.deep.equal([
      'm%20a',
      'n%20a',
      true,
      2,
    ]);
    expect(out.Contents?.map((c) => c.Key)).to.deep.equal([
      'plain.txt',
      'a%20b%2Bc/%C3%BC%20%F0%9F%98%80.txt',
    ]);
    expect(out.Contents?.[0]?.Owner?.ID).to.equal('owner-id');
    expect(out.CommonPrefixes?.[0]?.Prefix).to.equal('d%20i/');
  });

  it('copy results, multipart answers and ListParts', async () => {
    const copy = await clientAnswering(
      copyResultXml('CopyObjectResult', 'abc', T, { CRC32: 'AAAAAA==' }),
    ).send(new CopyObjectCommand({ Bucket: 'b', Key: 'k', CopySource: 'b/s' }));
    expect([copy.CopyObjectResult?.ETag, copy.CopyObjectResult?.LastModified?.getTime()]).to.deep.equal([
      '"abc"',
      T.getTime(),
    ]);
    expect(copy.CopyObjectResult?.ChecksumCRC32).to.equal('AAAAAA==');
    const part = await clientAnswering(copyResultXml('CopyPartResult', '"p"', T)).send(
      new UploadPartCopyCommand({ Bucket: 'b', Key: 'k', CopySource: 'b/s', UploadId: 'u', PartNumber: 1 }),
    );
    expect(part.CopyPartResult?.ETag).to.equal('"p"');
    const init = await clientAnswering(initiateUploadXml('b', 'k ü', 'up/1')).send(
      new CreateMultipartUploadCommand({ Bucket: 'b', Key: 'k ü' }),
    );
    expect([init.Bucket, init.Key, init.UploadId]).to.deep.equal(['b', 'k ü', 'up/1']);
    const done = await clientAnswering(completeUploadXml('http://gw/b/k', 'b', 'k', 'e-2')).send(
      new CompleteMultipartUploadCommand({ Bucket: 'b', Key: 'k', UploadId: 'u' }),
    );
    expect([done.Location, done.Bucket, done.Key, done.ETag]).to.deep.equal([
      'http://gw/b/k',
      'b',
      'k',
      '"e-2"',
    ]);
    const parts = await clientAnswering(
      listPartsXml({
        bucket: 'b',
        key: 'k',
        uploadId: 'u',
        partNumberMarker: 0,
        maxParts: 2,
        isTruncated: true,
        owner: OWNER,
        parts: [
          { partNumber: 1, lastModified: T, etag: 'e1', size: 5 << 20, checksums: { CRC32: 'AAAAAA==' } },
          { partNumber: 2, lastModified: T, etag: 'e2', size: 1 },
        ],
      }),
    ).send(new ListPartsCommand({ Bucket: 'b', Key: 'k', UploadId: 'u' }));
    expect(parts.Parts?.map((p) => [p.PartNumber, p.ETag, p.Size, p.ChecksumCRC32])).to.deep.equal([
      [1, '"e1"', 5 << 20, 'AAAAAA=='],
      [2, '"e2"', 1, undefined],
    ]);
    expect([parts.IsTruncated, parts.NextPartNumberMarker, parts.MaxParts, parts.Owner?.ID]).to.deep.equal([
      true,
      '2',
      2,
      'owner-id',
    ]);
  });

  it('ListMultipartUploads', async () => {
    const xml = listUploadsXml({
      bucket: 'b',
      keyMarker: '',
      uploadIdMarker: '',
      nextKeyMarker: 'k 2',
      nextUploadIdMarker: 'u2',
      prefix: '',
      maxUploads: 2,
      isTruncated: true,
      encodingType: 'url',
      owner: OWNER,
      uploads: [
        { key: 'k 1', uploadId: 'u1', initiated: T },
        { key: 'k 2', uploadId: 'u2', initiated: T },
      ],
      commonPrefixes: [],
    });
    const out = await clientAnswering(xml).send(new ListMultipartUploadsCommand({ Bucket: 'b' }));
    expect(out.Uploads?.map((u) => [u.Key, u.UploadId, u.Initiated?.getTime()])).to.deep.equal([
      ['k%201', 'u1', T.getTime()],
      ['k%202', 'u2', T.getTime()],
    ]);
    expect([out.NextKeyMarker, out.NextUploadIdMarker, out.IsTruncated]).to.deep.equal(['k%202', 'u2', true]);
  });

  it('DeleteResult, quiet or not', async () => {
    const outcomes = [
      { key: 'gone', deleted: true as const },
      { key: 'kept', deleted: false as const, code: 'AccessDenied', message: 'Access Denied' },
    ];
    const loud = await clientAnswering(deleteResultXml(outcomes, false)).send(
      new DeleteObjectsCommand({ Bucket: 'b', Delete: { Objects: [{ Key: 'gone' }, { Key: 'kept' }] } }),
    );
    expect(loud.Deleted?.map((d) => d.Key)).to.deep.equal(['gone']);
    expect(loud.Errors?.map((e) => [e.Key, e.Code, e.Message])).to.deep.equal([
      ['kept', 'AccessDenied', 'Access Denied'],
    ]);
    const quiet = deleteResultXml(outcomes, true);
    expect(quiet).not.to.contain('<Deleted>');
    expect(quiet).to.contain('<Error><Key>kept</Key>');
  });

  it('GetBucketLocation: empty for us-east-1, else the region', async () => {
    expect(locationXml('us-east-1')).to.match(
      /<LocationConstraint xmlns="http:\/\/s3.amazonaws.com\/doc\/2006-03-01\/"\/>$/,
    );
    const east = await clientAnswering(locationXml('us-east-1')).send(
      new GetBucketLocationCommand({ Bucket: 'b' }),
    );
    expect(east.LocationConstraint).to.equal(undefined);
    const eu = await clientAnswering(locationXml('eu-west-1')).send(
      new GetBucketLocationCommand({ Bucket: 'b' }),
    );
    expect(eu.LocationConstraint).to.equal('eu-west-1');
  });

  it('the owner-only ACL and the empty versioning configuration', async () => {
    const acl = await clientAnswering(ownerAclXml(OWNER)).send(new GetBucketAclCommand({ Bucket: 'b' }));
    expect(acl.Owner?.ID).to.equal('owner-id');
    expect(acl.Grants?.map((g) => [g.Grantee?.Type, g.Grantee?.ID, g.Permission])).to.deep.equal([
      ['CanonicalUser', 'owner-id', 'FULL_CONTROL'],
    ]);
    const versioning = await clientAnswering(versioningXml()).send(
      new GetBucketVersioningCommand({ Bucket: 'b' }),
    );
    expect(versioning.Status).to.equal(undefined);
  });

  it('errors: the SDK names them by Code, with the message and the request id', async () => {
    const body = errorXml(
      new S3Error('NoSuchKey', undefined, { fields: { Key: 'k' } }),
      '/b/k',
      'REQ1',
      'HOST1',
    );
    let caught: unknown;
    try {
      await clientAnswering(body, 404, { 'x-amz-request-id': 'REQ1', 'x-amz-id-2': 'HOST1' }).send(
        new GetObjectCommand({ Bucket: 'b', Key: 'k' }),
      );
    } catch (err) {
      caught = err;
    }
    const err = caught as Error & { $metadata: { httpStatusCode: number; requestId: string }; Key?: string };
    expect([err.name, err.message, err.$metadata.httpStatusCode, err.$metadata.requestId]).to.deep.equal([
      'NoSuchKey',
      'The specified key does not exist.',
      404,
      'REQ1',
    ]);
  });
});
