// The gateway driven by the newest AWS SDK for JavaScript (its 2025 checksum and trailer defaults).

import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketLocationCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { expect } from 'chai';
import { collect } from '../helpers/cluster.js';
import { failure, type S3Cluster, startS3Cluster } from '../helpers/s3-cluster.js';

const md5 = (data: Buffer | string) => createHash('md5').update(data).digest('hex');

describe('s3 gateway: the AWS SDK for JavaScript', function () {
  this.timeout(60_000);
  let s3: S3Cluster;
  let client: S3Client;
  before(async () => {
    s3 = await startS3Cluster();
    client = s3.client();
    await client.send(new CreateBucketCommand({ Bucket: 'photos' }));
  });
  after(async () => {
    await s3?.close();
  });
  afterEach(() => expect(s3.logs.filter((l) => l.startsWith('s3:'))).to.deep.equal([]));

  it('creates, lists, heads and locates buckets; re-creating your own is fine in us-east-1', async () => {
    await client.send(new CreateBucketCommand({ Bucket: 'photos' }));
    const list = await client.send(new ListBucketsCommand({}));
    expect(list.Buckets?.map((b) => b.Name)).to.include('photos');
    await client.send(new HeadBucketCommand({ Bucket: 'photos' }));
    const location = await client.send(new GetBucketLocationCommand({ Bucket: 'photos' }));
    expect(location.LocationConstraint).to.equal(undefined);
    const missing = await failure(client.send(new HeadBucketCommand({ Bucket: 'nope' })));
    expect(missing.$metadata.httpStatusCode).to.equal(404);
  });

  it('lists buckets in name order, page by page, and none of another region', async () => {
    for (const Bucket of ['photos-old', 'photos.raw', 'photosx'])
      await client.send(new CreateBucketCommand({ Bucket }));
    const names = (await client.send(new ListBucketsCommand({ Prefix: 'photos' }))).Buckets?.map(
      (b) => b.Name,
    );
    // A folder listing puts photos-old/ and photos.raw/ before photos/; S3 sorts by name.
    expect(names).to.deep.equal(['photos', 'photos-old', 'photos.raw', 'photosx']);
    const paged: (string | undefined)[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(
        new ListBucketsCommand({ Prefix: 'photos', MaxBuckets: 1, ContinuationToken: token }),
      );
      paged.push(...(page.Buckets ?? []).map((b) => b.Name));
      token = page.ContinuationToken;
    } while (token);
    expect(paged).to.deep.equal(names);
    const elsewhere = await client.send(new ListBucketsCommand({ BucketRegion: 'eu-west-1' }));
    expect(elsewhere.Buckets ?? []).to.deep.equal([]);
    const here = await client.send(new ListBucketsCommand({ BucketRegion: 'us-east-1', Prefix: 'photos' }));
    expect(here.Buckets?.map((b) => b.Name)).to.deep.equal(names);
  });

  it('puts (MD5 ETag, CRC32), gets, ranges and heads with metadata and content headers', async () => {
    const put = await client.send(
      new PutObjectCommand({
        Bucket: 'photos',
        Key: 'dir/hello.txt',
        Body: 'hello world',
        ContentType: 'text/plain',
        CacheControl: 'max-age=60',
        ContentDisposition: 'attachment; filename="x.txt"',
        Metadata: { color: 'blue' },
      }),
    );
    expect(put.ETag).to.equal(`"${md5('hello world')}"`);
    const got = await client.send(new GetObjectCommand({ Bucket: 'photos', Key: 'dir/hello.txt' }));
    expect(await got.Body?.transformToString()).to.equal('hello world');
    expect(got.Metadata).to.deep.equal({ color: 'blue' });
    expect([got.ContentType, got.CacheControl, got.ContentDisposition]).to.deep.equal([
      'text/plain',
      'max-age=60',
      'attachment; filename="x.txt"',
    ]);
    const range = await client.send(
      new GetObjectCommand({ Bucket: 'photos', Key: 'dir/hello.txt', Range: 'bytes=6-' }),
    );
    expect([await range.Body?.transformToString(), range.ContentRange]).to.deep.equal([
      'world',
      'bytes 6-10/11',
    ]);
    const head = await client.send(new HeadObjectCommand({ Bucket: 'photos', Key: 'dir/hello.txt' }));
    expect([head.ContentLength, head.ETag]).to.deep.equal([11, put.ETag]);
    // One namespace: the object is a dfs file.
    expect((await collect(s3.cluster.sdk.download('/photos/dir/hello.txt'))).toString()).to.equal(
      'hello world',
    );
  });

  it('streams a large PutObject as aws-chunked with a CRC32 trailer', async () => {
    const data = randomBytes(700_000);
    const put = await client.send(
      new PutObjectCommand({
        Bucket: 'photos',
        Key: 'streamed.bin',
        Body: Readable.from([data.subarray(0, 300_000), data.subarray(300_000)]),
        ContentLength: data.length,
      }),
    );
    expect(put.ETag).to.equal(`"${md5(data)}"`);
    const got = await client.send(new GetObjectCommand({ Bucket: 'photos', Key: 'streamed.bin' }));
    expect(Buffer.from((await got.Body?.transformToByteArray()) ?? []).equals(data)).to.equal(true);
  });

  it('uploads in parts with lib-storage (12 MiB, 5 MiB parts) and completes, with its CRC-32 checksum of checksums', async () => {
    const data = randomBytes(12 << 20);
    const done = await new Upload({
      client,
      params: { Bucket: 'photos', Key: 'big.bin', Body: Readable.from([data]) },
    }).done();
    const parts = [0, 1, 2].map((i) => data.subarray(i * (5 << 20), (i + 1) * (5 << 20)));
    const partMd5s = parts.map((p) => createHash('md5').update(p).digest());
    expect(done.ETag).to.equal(`"${md5(Buffer.concat(partMd5s))}-3"`);
    // The SDK asks for CRC-32 checksums (its 2025 default): a COMPOSITE one, of the parts' CRCs.
    const crc = (b: Buffer) => {
      const out = Buffer.alloc(4);
      out.writeUInt32BE(crc32(b));
      return out;
    };
    const composite = `${crc(Buffer.concat(parts.map(crc))).toString('base64')}-3`;
    expect([done.ChecksumCRC32, done.ChecksumType]).to.deep.equal([composite, 'COMPOSITE']);
    const got = await client.send(
      new GetObjectCommand({ Bucket: 'photos', Key: 'big.bin', ChecksumMode: 'ENABLED' }),
    );
    expect([got.ChecksumCRC32, got.ChecksumType]).to.deep.equal([composite, 'COMPOSITE']);
    expect(Buffer.from((await got.Body?.transformToByteArray()) ?? []).equals(data)).to.equal(true);
  });

  it('copies (no byte moves), lists v1 and v2, and deletes in bulk', async () => {
    const copy = await client.send(
      new CopyObjectCommand({ Bucket: 'photos', Key: 'copy.txt', CopySource: 'photos/dir/hello.txt' }),
    );
    expect(copy.CopyObjectResult?.ETag).to.equal(`"${md5('hello world')}"`);
    const v2 = await client.send(new ListObjectsV2Command({ Bucket: 'photos', Delimiter: '/' }));
    expect(v2.Contents?.map((c) => c.Key)).to.include('copy.txt');
    expect(v2.CommonPrefixes?.map((c) => c.Prefix)).to.deep.equal(['dir/']);
    const v1 = await client.send(new ListObjectsCommand({ Bucket: 'photos', Prefix: 'dir/' }));
    expect(v1.Contents?.map((c) => c.Key)).to.deep.equal(['dir/hello.txt']);
    const deleted = await client.send(
      new DeleteObjectsCommand({
        Bucket: 'photos',
        Delete: { Objects: [{ Key: 'copy.txt' }, { Key: 'none' }] },
      }),
    );
    expect(deleted.Deleted?.map((d) => d.Key).sort()).to.deep.equal(['copy.txt', 'none']);
    await client.send(new DeleteObjectCommand({ Bucket: 'photos', Key: 'copy.txt' }));
  });

  it('refuses to delete a bucket that is not empty, deletes an empty one', async () => {
    const full = await failure(client.send(new DeleteBucketCommand({ Bucket: 'photos' })));
    expect([full.name, full.$metadata.httpStatusCode]).to.deep.equal(['BucketNotEmpty', 409]);
    await client.send(new CreateBucketCommand({ Bucket: 'empty' }));
    await client.send(new DeleteBucketCommand({ Bucket: 'empty' }));
    const gone = await failure(client.send(new HeadBucketCommand({ Bucket: 'empty' })));
    expect(gone.$metadata.httpStatusCode).to.equal(404);
  });
});
