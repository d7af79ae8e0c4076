// An upload the master no longer holds open when its commit arrives (a crash of PostgreSQL forgot
// its lease, written unflushed by design, or it lapsed): the cluster's failure, so every front
// answers it as one to send again (503), never as the client's mistake; a multipart upload the
// client itself ended is still its own (NoSuchUpload).

import fs from 'node:fs/promises';
import path from 'node:path';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { expect } from 'chai';
import { DfsError } from '../../src/protocol/errors.js';
import { bytes, collect, randomData, request, tempDir } from '../helpers/cluster.js';
import { forgetLeases } from '../helpers/forget-leases.js';
import { ACCESS_KEY, failure, type S3Cluster, SECRET_KEY, startS3Cluster } from '../helpers/s3-cluster.js';

describe('an upload whose lease the master lost before its commit', () => {
  let s3: S3Cluster;
  let client: S3Client;
  const forget = (n: number) => forgetLeases(s3.cluster.master.store, n);

  before(async () => {
    s3 = await startS3Cluster({ nodes: 2, webClient: true });
    client = s3.client();
    await client.send(new CreateBucketCommand({ Bucket: 'lost' }));
  });
  after(() => s3?.close());

  // Each 503 is logged, as every 5xx is: taken out, and none other left.
  const took = (what: string) => {
    const i = s3.logs.findIndex((l) => l.includes(what) && l.includes('is not open'));
    expect(i, `a logged ${what}`).to.be.at.least(0);
    s3.logs.splice(i, 1);
  };
  afterEach(() => expect(s3.logs.filter((l) => / 5\d\d /.test(l))).to.deep.equal([]));

  it('SDK: a small stream is kept as it is read and sent again once by itself; lost twice it fails as unavailable', async () => {
    const once = forget(1);
    await s3.cluster.sdk.upload(bytes('once'), '/lost/sdk.txt');
    expect(once.left()).to.equal(0);
    expect((await collect(s3.cluster.sdk.download('/lost/sdk.txt'))).toString()).to.equal('once');
    const twice = forget(2);
    const err = (await s3.cluster.sdk.upload(bytes('twice'), '/lost/sdk.txt').catch((e) => e)) as DfsError;
    expect(err).to.be.instanceOf(DfsError);
    expect([err.code, err.status, twice.left()]).to.deep.equal(['unavailable', 503, 0]);
    expect(err.message).to.match(/is not open.*upload the file again/);
    await s3.cluster.sdk.upload(bytes('twice'), '/lost/sdk.txt');
    expect((await s3.cluster.sdk.stat('/lost/sdk.txt')).size).to.equal(5);
  });

  it('SDK: what a stream sent again holds is what it yielded, though it reuses its buffer', async () => {
    const reused = Buffer.alloc(4);
    async function* source() {
      yield reused.fill('a');
      yield reused.fill('b');
      reused.fill('c');
    }
    const lost = forget(1);
    await s3.cluster.sdk.upload(source(), '/lost/reused.txt');
    expect(lost.left()).to.equal(0);
    expect((await collect(s3.cluster.sdk.download('/lost/reused.txt'))).toString()).to.equal('aaaabbbb');
  });

  it('SDK: an upload it can read again (a file, an array) is sent again once by itself', async () => {
    const dir = await tempDir();
    try {
      const file = path.join(dir, 'local.txt');
      await fs.writeFile(file, 'from a file');
      const fromFile = forget(1);
      await s3.cluster.sdk.uploadFile(file, '/lost/file.txt');
      expect(fromFile.left()).to.equal(0);
      const fromArray = forget(1);
      await s3.cluster.sdk.upload([Buffer.from('from an array')], '/lost/array.txt');
      expect(fromArray.left()).to.equal(0);
      expect((await collect(s3.cluster.sdk.download('/lost/file.txt'))).toString()).to.equal('from a file');
      expect((await collect(s3.cluster.sdk.download('/lost/array.txt'))).toString()).to.equal(
        'from an array',
      );
      // Once only: lost twice, it fails.
      const twice = forget(2);
      const err = (await s3.cluster.sdk.uploadFile(file, '/lost/file.txt').catch((e) => e)) as DfsError;
      expect([err.code, twice.left()]).to.deep.equal(['unavailable', 0]);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('SDK: a chunk whose pin was forgotten (the lease itself made again by the next chunk) is unavailable too, in a stream too large to keep', async () => {
    forget(1);
    const data = randomData(1536 * 1024); // two chunks of the test cluster's 1 MiB: two leases; over 1 MiB, not kept
    const err = (await s3.cluster.sdk.upload(bytes(data), '/lost/two.bin').catch((e) => e)) as DfsError;
    expect(err.code).to.equal('unavailable');
    expect(err.message).to.match(/^chunk [0-9a-f]{64} is no longer stored; upload the file again$/);
    await s3.cluster.sdk.upload([data], '/lost/two.bin');
    expect((await s3.cluster.sdk.stat('/lost/two.bin')).size).to.equal(data.length);
  });

  it('web client: a small PUT is sent again by itself; lost twice, it answers 503 unavailable, and the PUT sent again is stored', async () => {
    const url = `${s3.cluster.client?.url}/api/files/lost/web.txt`;
    const put = (body: string) => fetch(url, { method: 'PUT', body, headers: { 'x-dfs-csrf': '1' } });
    const once = forget(1);
    expect((await put('first')).status).to.equal(201);
    expect(once.left()).to.equal(0);
    expect(await (await fetch(`${s3.cluster.client?.url}/api/download/lost/web.txt`)).text()).to.equal(
      'first',
    );
    forget(2);
    const refused = await put('hello');
    expect(refused.status).to.equal(503);
    expect(((await refused.json()) as { error: { code: string } }).error.code).to.equal('unavailable');
    took('PUT /api/files/lost/web.txt');
    expect((await put('hello')).status).to.equal(201);
    expect(await (await fetch(`${s3.cluster.client?.url}/api/download/lost/web.txt`)).text()).to.equal(
      'hello',
    );
  });

  it('WebDAV: a small PUT is sent again by itself; lost twice, it answers 503 (a 409 would say the parent folder is missing)', async () => {
    const url = `${s3.cluster.client?.url}/dav/lost/dav.txt`;
    const put = (body: string) => fetch(url, { method: 'PUT', body });
    const once = forget(1);
    expect((await put('first')).status).to.equal(201);
    expect(once.left()).to.equal(0);
    forget(2);
    expect((await put('dav')).status).to.equal(503);
    took('PUT /dav/lost/dav.txt');
    expect((await put('dav')).status).to.equal(204);
    expect((await request(url)).body.toString()).to.equal('dav');
  });

  it('S3: PutObject answers ServiceUnavailable, which an AWS SDK retries by itself', async () => {
    forget(1);
    const put = (c: S3Client) =>
      c.send(new PutObjectCommand({ Bucket: 'lost', Key: 'o.txt', Body: 'object' }));
    const refused = await failure(put(client));
    expect([refused.name, refused.$metadata.httpStatusCode]).to.deep.equal(['ServiceUnavailable', 503]);
    took('PUT /lost/o.txt');
    // With its default three attempts, the SDK's own retry stores the object.
    forget(1);
    const retrying = new S3Client({
      endpoint: s3.url,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
    });
    await put(retrying).finally(() => retrying.destroy());
    took('PUT /lost/o.txt');
    const got = await client.send(new GetObjectCommand({ Bucket: 'lost', Key: 'o.txt' }));
    expect(await got.Body?.transformToString()).to.equal('object');
  });

  it('S3: completing a multipart upload the store no longer knows is NoSuchUpload, as before', async () => {
    const created = await client.send(new CreateMultipartUploadCommand({ Bucket: 'lost', Key: 'm.bin' }));
    const UploadId = created.UploadId as string;
    const part = await client.send(
      new UploadPartCommand({ Bucket: 'lost', Key: 'm.bin', UploadId, PartNumber: 1, Body: 'part' }),
    );
    await s3.cluster.master.store.abortLease(UploadId, Date.now());
    const refused = await failure(
      client.send(
        new CompleteMultipartUploadCommand({
          Bucket: 'lost',
          Key: 'm.bin',
          UploadId,
          MultipartUpload: { Parts: [{ ETag: part.ETag, PartNumber: 1 }] },
        }),
      ),
    );
    expect([refused.name, refused.$metadata.httpStatusCode]).to.deep.equal(['NoSuchUpload', 404]);
  });
});
