// One namespace: files are objects and objects are files; folder objects; listings as S3 pages them.

import { createHash } from 'node:crypto';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectAclCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectAclCommand,
  PutObjectCommand,
  type PutObjectCommandInput,
  PutObjectTaggingCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { expect } from 'chai';
import { createHasher } from '../../src/s3/checksums.js';
import { failure, type S3Cluster, startS3Cluster } from '../helpers/s3-cluster.js';
import { signedRequest } from '../helpers/s3-raw.js';
import { waitFor } from '../helpers/wait.js';

describe('s3 gateway: one namespace with dfs', function () {
  this.timeout(60_000);
  let s3: S3Cluster;
  let client: S3Client;
  const keys = (page: ListObjectsV2CommandOutput) => (page.Contents ?? []).map((c) => c.Key);

  before(async () => {
    s3 = await startS3Cluster();
    client = s3.client();
    await client.send(new CreateBucketCommand({ Bucket: 'nsb' }));
    await Promise.all(
      ['a/1', 'a/2', 'a/b/3', 'a-b', 'c.txt', 'docs/readme.md', 'docs/report.pdf', 'x y/z'].map((Key) =>
        client.send(new PutObjectCommand({ Bucket: 'nsb', Key, Body: Key })),
      ),
    );
  });
  after(async () => {
    await s3?.close();
  });
  afterEach(() => expect(s3.logs.filter((l) => l.startsWith('s3:'))).to.deep.equal([]));

  it('shows files written by the CLI as objects, with an ETag that is no MD5', async () => {
    await s3.cluster.sdk.upload([Buffer.from('from the cli')], '/nsb/cli/file.txt');
    const head = await client.send(new HeadObjectCommand({ Bucket: 'nsb', Key: 'cli/file.txt' }));
    // Its SHA-256 with a dash: clients take a dashless ETag for the MD5 of the body.
    expect(head.ETag).to.equal(`"${createHash('sha256').update('from the cli').digest('hex')}-1"`);
    expect(head.ContentLength).to.equal(12);
    // Attributes S3 keeps its ETag and checksum in, set through the master's API to values no
    // header can carry, are ignored rather than a 500.
    const junk = {
      etag: '\u0101',
      md5: 'a\r\nb',
      'checksum-crc32': '\u0101',
      'checksum-x y': 'abc',
      'checksum-sha256': 'AAAA',
    };
    await s3.cluster.sdk.upload([Buffer.from('from the cli')], '/nsb/cli/junk.txt', { attributes: junk });
    for (const method of ['HEAD', 'GET']) {
      const answer = await signedRequest(s3.url, {
        method,
        path: '/nsb/cli/junk.txt',
        headers: { 'x-amz-checksum-mode': 'ENABLED' },
      });
      expect([answer.status, answer.headers.etag]).to.deep.equal([200, head.ETag]);
      expect(Object.keys(answer.headers).filter((h) => h.startsWith('x-amz-checksum'))).to.deep.equal([]);
    }
    await s3.cluster.sdk.remove('/nsb/cli/junk.txt');
    const got = await client.send(new GetObjectCommand({ Bucket: 'nsb', Key: 'cli/file.txt' }));
    expect(await got.Body?.transformToString()).to.equal('from the cli');
    // Root files are in no bucket; a top-level folder made by the CLI is one.
    await s3.cluster.sdk.mkdir('/made-by-cli');
    await s3.cluster.sdk.upload([Buffer.from('root')], '/root.txt');
    const listed = await signedRequest(s3.url, { path: '/' });
    expect(listed.body).to.include('<Name>made-by-cli</Name>');
    expect(listed.body).to.not.include('root.txt');
  });

  it('lists with delimiters, prefixes that end mid-name, and url encoding', async () => {
    const top = await client.send(new ListObjectsV2Command({ Bucket: 'nsb', Delimiter: '/' }));
    expect(keys(top)).to.deep.equal(['a-b', 'c.txt']);
    expect(top.CommonPrefixes?.map((p) => p.Prefix)).to.deep.equal(['a/', 'cli/', 'docs/', 'x y/']);
    expect(top.KeyCount).to.equal(6);
    const mid = await client.send(new ListObjectsV2Command({ Bucket: 'nsb', Prefix: 'docs/re' }));
    expect(keys(mid)).to.deep.equal(['docs/readme.md', 'docs/report.pdf']);
    const dash = await client.send(new ListObjectsV2Command({ Bucket: 'nsb', Delimiter: '-', Prefix: 'a' }));
    expect(dash.CommonPrefixes?.map((p) => p.Prefix)).to.deep.equal(['a-']);
    expect(keys(dash)).to.deep.equal(['a/1', 'a/2', 'a/b/3']);
    // A key ending in the delimiter right after the prefix is a key, not a common prefix: a page
    // starting after it (by start-after, or by the token of a one-key page) goes on past it.
    await client.send(new CreateBucketCommand({ Bucket: 'delims' }));
    for (const key of ['log-', 'log-1', 'log-2', 'log-3/x'])
      await client.send(new PutObjectCommand({ Bucket: 'delims', Key: key, Body: key }));
    const logs = { Bucket: 'delims', Prefix: 'log-', Delimiter: '-' };
    const after = await client.send(new ListObjectsV2Command({ ...logs, StartAfter: 'log-' }));
    expect(keys(after)).to.deep.equal(['log-1', 'log-2', 'log-3/x']);
    const paged: string[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(
        new ListObjectsV2Command({ ...logs, MaxKeys: 1, ContinuationToken: token }),
      );
      paged.push(...keys(page).map(String));
      token = page.NextContinuationToken;
    } while (token);
    expect(paged).to.deep.equal(['log-', 'log-1', 'log-2', 'log-3/x']);
    const v1 = await client.send(new ListObjectsCommand({ ...logs, Marker: 'log-' }));
    expect((v1.Contents ?? []).map((c) => c.Key)).to.deep.equal(['log-1', 'log-2', 'log-3/x']);
    const encoded = await signedRequest(s3.url, {
      path: '/nsb?list-type=2&prefix=x%20y%2F&encoding-type=url',
    });
    expect(encoded.body).to.include('<Key>x%20y/z</Key>');
    expect(encoded.body).to.include('<EncodingType>url</EncodingType>');
    expect(encoded.body).to.include('<Prefix>x%20y/</Prefix>');
    const none = await client.send(new ListObjectsV2Command({ Bucket: 'nsb', Prefix: 'a//' }));
    expect(none.KeyCount).to.equal(0);
    // Prefixes no dfs name can have list nothing, as on S3 (they are no error).
    for (const prefix of ['dir\\sub/', 'a/../', 'a/./x'])
      expect(
        (await client.send(new ListObjectsV2Command({ Bucket: 'nsb', Prefix: prefix }))).KeyCount,
        prefix,
      ).to.equal(0);
    // Deleting keys no object can have succeeds, as for any missing key.
    const deleted = await client.send(
      new DeleteObjectsCommand({ Bucket: 'nsb', Delete: { Objects: [{ Key: 'a\\b' }, { Key: 'x//y' }] } }),
    );
    expect([deleted.Deleted?.map((d) => d.Key), deleted.Errors ?? []]).to.deep.equal([['a\\b', 'x//y'], []]);
  });

  it('pages with continuation tokens, start-after and v1 markers', async () => {
    const all: string[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(
        new ListObjectsV2Command({ Bucket: 'nsb', MaxKeys: 3, ContinuationToken: token }),
      );
      expect(page.KeyCount).to.be.at.most(3);
      all.push(...keys(page).map(String));
      token = page.NextContinuationToken;
    } while (token);
    expect(all).to.deep.equal([
      'a-b',
      'a/1',
      'a/2',
      'a/b/3',
      'c.txt',
      'cli/file.txt',
      'docs/readme.md',
      'docs/report.pdf',
      'x y/z',
    ]);
    const after = await client.send(
      new ListObjectsV2Command({ Bucket: 'nsb', StartAfter: 'a/2', MaxKeys: 2 }),
    );
    expect([keys(after), after.IsTruncated]).to.deep.equal([['a/b/3', 'c.txt'], true]);
    const v1 = await client.send(new ListObjectsCommand({ Bucket: 'nsb', Delimiter: '/', MaxKeys: 2 }));
    expect([
      v1.Contents?.map((c) => c.Key),
      v1.CommonPrefixes?.map((p) => p.Prefix),
      v1.NextMarker,
    ]).to.deep.equal([['a-b'], ['a/'], 'a/']);
    const v1next = await client.send(new ListObjectsCommand({ Bucket: 'nsb', Delimiter: '/', Marker: 'a/' }));
    expect(v1next.Contents?.map((c) => c.Key)).to.deep.equal(['c.txt']);
    expect(v1next.Contents?.[0]?.Owner?.DisplayName).to.equal('dfs');
    // Starting after the prefix itself (the way to skip a folder object) lists what is below it.
    const below = { Bucket: 'nsb', Prefix: 'a/', Delimiter: '/' };
    const v2 = await client.send(new ListObjectsV2Command({ ...below, StartAfter: 'a/' }));
    expect([keys(v2), v2.CommonPrefixes?.map((p) => p.Prefix)]).to.deep.equal([['a/1', 'a/2'], ['a/b/']]);
    const v1below = await client.send(new ListObjectsCommand({ ...below, Marker: 'a/' }));
    expect(v1below.Contents?.map((c) => c.Key)).to.deep.equal(['a/1', 'a/2']);
  });

  it("serves a bucket named metrics to signed requests; /metrics stays the daemon's unsigned", async () => {
    await client.send(new CreateBucketCommand({ Bucket: 'metrics' }));
    await client.send(new PutObjectCommand({ Bucket: 'metrics', Key: 'm.txt', Body: 'm' }));
    const listed = await client.send(new ListObjectsV2Command({ Bucket: 'metrics' }));
    expect(keys(listed)).to.deep.equal(['m.txt']);
    const v1 = await client.send(new ListObjectsCommand({ Bucket: 'metrics' }));
    expect(v1.Contents?.map((c) => c.Key)).to.deep.equal(['m.txt']);
    const head = await client.send(new HeadBucketCommand({ Bucket: 'metrics' }));
    expect(head.$metadata.httpStatusCode).to.equal(200);
    const raw = await signedRequest(s3.url, { path: '/metrics' });
    expect([raw.status, raw.headers['x-amz-request-id'] !== undefined]).to.deep.equal([200, true]);
    expect(raw.body).to.include('<Name>metrics</Name>');
    const rawHead = await signedRequest(s3.url, { method: 'HEAD', path: '/metrics' });
    expect([rawHead.status, rawHead.headers['x-amz-request-id'] !== undefined]).to.deep.equal([200, true]);
    // Unsigned, the path is the daemon's metrics (behind its token): no S3 answer.
    const unsigned = await fetch(`${s3.url}/metrics`);
    expect(unsigned.headers.get('x-amz-request-id')).to.equal(null);
    expect(unsigned.headers.get('content-type')).to.not.include('xml');
    // Any attempt at authentication (here SigV2, which S3 refuses in its own words) is S3's.
    const v2 = await fetch(`${s3.url}/metrics`, { headers: { authorization: 'AWS AKID:c2lnbmF0dXJl' } });
    expect(v2.headers.get('x-amz-request-id')).to.not.equal(null);
    expect(await v2.text()).to.include('<Error>');
    await client.send(new DeleteObjectCommand({ Bucket: 'metrics', Key: 'm.txt' }));
    await client.send(new DeleteBucketCommand({ Bucket: 'metrics' }));
  });

  it('makes a folder for a zero-byte key ending in "/", lists and deletes it as an object', async () => {
    await client.send(new PutObjectCommand({ Bucket: 'nsb', Key: 'folder/', Body: '' }));
    const head = await client.send(new HeadObjectCommand({ Bucket: 'nsb', Key: 'folder/' }));
    expect([head.ContentLength, head.ETag]).to.deep.equal([0, '"d41d8cd98f00b204e9800998ecf8427e"']);
    const flat = await client.send(new ListObjectsV2Command({ Bucket: 'nsb', Prefix: 'folder' }));
    expect(keys(flat)).to.deep.equal(['folder/']);
    const inside = await client.send(
      new ListObjectsV2Command({ Bucket: 'nsb', Prefix: 'folder/', Delimiter: '/' }),
    );
    expect(keys(inside)).to.deep.equal(['folder/']);
    const implied = await failure(client.send(new HeadObjectCommand({ Bucket: 'nsb', Key: 'docs/' })));
    expect(implied.$metadata.httpStatusCode).to.equal(404);
    const data = await failure(
      client.send(new PutObjectCommand({ Bucket: 'nsb', Key: 'folder2/', Body: 'data' })),
    );
    expect(data.name).to.equal('InvalidArgument');
    await client.send(new PutObjectCommand({ Bucket: 'nsb', Key: 'folder/inner', Body: 'in' }));
    // As on S3, the folder object goes and the object below it stays (dfs keeps the folder implied).
    await client.send(new DeleteObjectCommand({ Bucket: 'nsb', Key: 'folder/' }));
    const gone = await failure(client.send(new HeadObjectCommand({ Bucket: 'nsb', Key: 'folder/' })));
    expect(gone.$metadata.httpStatusCode).to.equal(404);
    const left = await client.send(new ListObjectsV2Command({ Bucket: 'nsb', Prefix: 'folder' }));
    expect(keys(left)).to.deep.equal(['folder/inner']);
    await client.send(new DeleteObjectCommand({ Bucket: 'nsb', Key: 'folder/' }));
    await client.send(new DeleteObjectCommand({ Bucket: 'nsb', Key: 'folder/inner' }));
    expect(
      (await client.send(new ListObjectsV2Command({ Bucket: 'nsb', Prefix: 'folder' }))).KeyCount,
    ).to.equal(0);
    // A folder object makes no objects of its parents, even above files.
    await client.send(new PutObjectCommand({ Bucket: 'nsb', Key: 'up/deep/f', Body: 'f' }));
    for (const key of ['np1/np2/np3/', 'up/deep/'])
      await client.send(new PutObjectCommand({ Bucket: 'nsb', Key: key, Body: '' }));
    const nested = await client.send(new ListObjectsV2Command({ Bucket: 'nsb', Prefix: 'np1' }));
    expect(keys(nested)).to.deep.equal(['np1/np2/np3/']);
    const above = await client.send(new ListObjectsV2Command({ Bucket: 'nsb', Prefix: 'up' }));
    expect(keys(above)).to.deep.equal(['up/deep/', 'up/deep/f']);
    await client.send(new DeleteObjectCommand({ Bucket: 'nsb', Key: 'np1/np2/np3/' }));
    expect((await client.send(new ListObjectsV2Command({ Bucket: 'nsb', Prefix: 'np1' }))).KeyCount).to.equal(
      0,
    );
    const fileUnderFile = await failure(
      client.send(new PutObjectCommand({ Bucket: 'nsb', Key: 'c.txt/below', Body: 'x' })),
    );
    expect(fileUnderFile.name).to.equal('InvalidRequest');
  });

  it("keeps a folder object's content type, headers, metadata, checksum and time, as S3 keeps an object's", async () => {
    const put = (extra: Partial<PutObjectCommandInput>) =>
      client.send(new PutObjectCommand({ Bucket: 'nsb', Key: 'kept/', Body: '', ...extra }));
    await put({
      ContentType: 'text/plain',
      Metadata: { mode: '16877', uid: '1000' },
      CacheControl: 'no-cache',
      ChecksumAlgorithm: 'SHA256',
    });
    const head = await client.send(
      new HeadObjectCommand({ Bucket: 'nsb', Key: 'kept/', ChecksumMode: 'ENABLED' }),
    );
    expect(head.ContentType).to.equal('text/plain');
    expect(head.Metadata).to.deep.equal({ mode: '16877', uid: '1000' });
    expect(head.CacheControl).to.equal('no-cache');
    expect(head.ChecksumSHA256).to.equal(createHash('sha256').update('').digest('base64'));
    // A PUT again replaces them all, and moves its time on.
    await waitFor(async () => Date.now() - (head.LastModified?.getTime() ?? 0) >= 1000, 'a second to pass');
    await put({ ContentType: 'application/x-directory', Metadata: { mode: '16832' } });
    const again = await client.send(new HeadObjectCommand({ Bucket: 'nsb', Key: 'kept/' }));
    expect(again.ContentType).to.equal('application/x-directory');
    expect(again.Metadata).to.deep.equal({ mode: '16832' });
    expect(again.CacheControl).to.equal(undefined);
    expect(again.LastModified?.getTime()).to.be.greaterThan(head.LastModified?.getTime() ?? 0);
    const listed = await client.send(new ListObjectsV2Command({ Bucket: 'nsb', Prefix: 'kept/' }));
    // (HEAD's Last-Modified is an HTTP date, to the second.)
    const second = (date: Date | undefined) => Math.floor((date?.getTime() ?? 0) / 1000);
    expect(second(listed.Contents?.[0]?.LastModified)).to.equal(second(again.LastModified));
    // Two PUTs at once: the folder object is one of them, never a mix of both.
    for (let round = 0; round < 5; round++) {
      await Promise.all([put({ Metadata: { a: '1' } }), put({ Metadata: { b: '2' } })]);
      const both = await client.send(new HeadObjectCommand({ Bucket: 'nsb', Key: 'kept/' }));
      expect([{ a: '1' }, { b: '2' }]).to.deep.include(both.Metadata);
    }
    // A copy onto itself with REPLACE changes it (s3fs's chmod); a copy elsewhere keeps it.
    await client.send(
      new CopyObjectCommand({
        Bucket: 'nsb',
        Key: 'kept/',
        CopySource: 'nsb/kept/',
        MetadataDirective: 'REPLACE',
        Metadata: { mode: '16832' },
        CacheControl: 'max-age=5',
      }),
    );
    const replaced = await client.send(new HeadObjectCommand({ Bucket: 'nsb', Key: 'kept/' }));
    expect([replaced.Metadata, replaced.CacheControl]).to.deep.equal([{ mode: '16832' }, 'max-age=5']);
    await client.send(new CopyObjectCommand({ Bucket: 'nsb', Key: 'kept2/', CopySource: 'nsb/kept/' }));
    const copied = await client.send(new HeadObjectCommand({ Bucket: 'nsb', Key: 'kept2/' }));
    expect([copied.Metadata, copied.CacheControl]).to.deep.equal([{ mode: '16832' }, 'max-age=5']);
    // What anyone with the master's API wrote there is shown only when well-formed: no 500.
    for (const record of ['not json', '{"type":"text/plain\\r\\nX: 1","modified":9000000000000000}']) {
      await s3.cluster.sdk.api.setAttributes('/nsb/kept2/', { set: { 's3-object': record }, remove: [] });
      const odd = await client.send(new HeadObjectCommand({ Bucket: 'nsb', Key: 'kept2/' }));
      expect(odd.ContentType).to.equal('application/x-directory');
      const oddList = await client.send(new ListObjectsV2Command({ Bucket: 'nsb', Prefix: 'kept2/' }));
      expect(oddList.Contents?.map((c) => c.Key)).to.deep.equal(['kept2/']);
    }
    for (const Key of ['kept/', 'kept2/']) await client.send(new DeleteObjectCommand({ Bucket: 'nsb', Key }));
  });

  it('copies with metadata COPY and REPLACE, refuses a copy onto itself, overrides response headers', async () => {
    await client.send(
      new PutObjectCommand({
        Bucket: 'nsb',
        Key: 'm.txt',
        Body: 'meta',
        Metadata: { a: '1' },
        ContentType: 'text/x-a',
      }),
    );
    await client.send(new CopyObjectCommand({ Bucket: 'nsb', Key: 'm-copy.txt', CopySource: 'nsb/m.txt' }));
    const copied = await client.send(new HeadObjectCommand({ Bucket: 'nsb', Key: 'm-copy.txt' }));
    expect([copied.Metadata, copied.ContentType]).to.deep.equal([{ a: '1' }, 'text/x-a']);
    await client.send(
      new CopyObjectCommand({
        Bucket: 'nsb',
        Key: 'm.txt',
        CopySource: 'nsb/m.txt',
        MetadataDirective: 'REPLACE',
        Metadata: { b: '2' },
        ContentType: 'text/x-b',
      }),
    );
    const replaced = await client.send(new HeadObjectCommand({ Bucket: 'nsb', Key: 'm.txt' }));
    expect([replaced.Metadata, replaced.ContentType, replaced.ETag]).to.deep.equal([
      { b: '2' },
      'text/x-b',
      copied.ETag,
    ]);
    const self = await failure(
      client.send(new CopyObjectCommand({ Bucket: 'nsb', Key: 'm.txt', CopySource: 'nsb/m.txt' })),
    );
    expect(self.name).to.equal('InvalidRequest');
    const over = await client.send(
      new GetObjectCommand({
        Bucket: 'nsb',
        Key: 'm.txt',
        ResponseContentType: 'application/x-over',
        ResponseContentDisposition: 'inline',
      }),
    );
    expect([over.ContentType, over.ContentDisposition]).to.deep.equal(['application/x-over', 'inline']);
    // The copy shares the source's chunks: no byte moved.
    const [a, b] = await Promise.all([
      s3.cluster.sdk.stat('/nsb/m.txt'),
      s3.cluster.sdk.stat('/nsb/m-copy.txt'),
    ]);
    expect(b.chunks.map((c) => c.id)).to.deep.equal(a.chunks.map((c) => c.id));
  });

  it('copies onto itself to set a storage class or a checksum; reads an empty tag set; takes the owner-only ACL as a policy', async () => {
    await client.send(new PutObjectCommand({ Bucket: 'nsb', Key: 'c.txt', Body: 'checksummed' }));
    // As `aws s3 cp s3://b/k s3://b/k --storage-class STANDARD` and `rclone settier` send it.
    await client.send(
      new CopyObjectCommand({
        Bucket: 'nsb',
        Key: 'c.txt',
        CopySource: 'nsb/c.txt',
        StorageClass: 'STANDARD',
      }),
    );
    const hasher = createHasher('CRC32');
    hasher.update(Buffer.from('checksummed'));
    const crc32 = hasher.digest().toString('base64');
    const copied = await client.send(
      new CopyObjectCommand({
        Bucket: 'nsb',
        Key: 'c2.txt',
        CopySource: 'nsb/c.txt',
        ChecksumAlgorithm: 'CRC32',
      }),
    );
    expect(copied.CopyObjectResult?.ChecksumCRC32).to.equal(crc32);
    const head = await client.send(
      new HeadObjectCommand({ Bucket: 'nsb', Key: 'c2.txt', ChecksumMode: 'ENABLED' }),
    );
    expect(head.ChecksumCRC32).to.equal(crc32);
    // What aws s3 cp asks of a source before a copy in parts: its tags, of which dfs keeps none.
    const tags = await client.send(new GetObjectTaggingCommand({ Bucket: 'nsb', Key: 'c.txt' }));
    expect(tags.TagSet).to.deep.equal([]);
    expect(
      (await failure(client.send(new GetObjectTaggingCommand({ Bucket: 'nsb', Key: 'none.txt' })))).name,
    ).to.equal('NoSuchKey');
    const setting = await failure(
      client.send(
        new PutObjectTaggingCommand({
          Bucket: 'nsb',
          Key: 'c.txt',
          Tagging: { TagSet: [{ Key: 'a', Value: 'b' }] },
        }),
      ),
    );
    expect(setting.name).to.equal('NotImplemented');
    // The policy GetObjectAcl answers, sent back (s3cmd setacl --acl-private); any other is refused.
    const acl = await client.send(new GetObjectAclCommand({ Bucket: 'nsb', Key: 'c.txt' }));
    await client.send(
      new PutObjectAclCommand({
        Bucket: 'nsb',
        Key: 'c.txt',
        AccessControlPolicy: { Owner: acl.Owner, Grants: acl.Grants },
      }),
    );
    const other = await failure(
      client.send(
        new PutObjectAclCommand({
          Bucket: 'nsb',
          Key: 'c.txt',
          AccessControlPolicy: {
            Owner: acl.Owner,
            Grants: [
              ...(acl.Grants ?? []),
              {
                Grantee: { Type: 'Group', URI: 'http://acs.amazonaws.com/groups/global/AllUsers' },
                Permission: 'READ',
              },
            ],
          },
        }),
      ),
    );
    expect(other.name).to.equal('NotImplemented');
  });
});
