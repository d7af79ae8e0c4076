// An upload the master no longer holds open when its commit arrives (a crash of PostgreSQL forgot
// its lease, written unflushed by design, or it lapsed): the cluster's failure. The SDK commits it
// again under a new upload, its chunks pinned again without their bytes sent again, when they are
// still stored; else sends the bytes again when it can read them again; else every front answers
// it as one to send again (503), never as the client's mistake. A multipart upload the client
// itself ended is still its own (NoSuchUpload).

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
import { forgetLeases, type LeaseFate, scriptLeases } from '../helpers/forget-leases.js';
import { ACCESS_KEY, failure, type S3Cluster, SECRET_KEY, startS3Cluster } from '../helpers/s3-cluster.js';

describe('an upload whose lease the master lost before its commit', () => {
  let s3: S3Cluster;
  let client: S3Client;
  const forget = (n: number) => forgetLeases(s3.cluster.master.store, n);
  const script = (...fates: LeaseFate[]) => scriptLeases(s3.cluster.master.store, fates);
  // Lost, and its chunks not pinned again (condemned): the SDK's last resort, sending the bytes again.
  const unpinnable = (times = 1) => script(...Array<LeaseFate[]>(times).fill(['forget', 'condemn']).flat());

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

  // What `act` answers, every lease `lost` was to lose lost on the way (begun before `act`).
  const despite = async <T>(lost: { left(): number }, act: Promise<T>): Promise<T> => {
    const answer = await act;
    expect(lost.left(), 'leases still to lose').to.equal(0);
    return answer;
  };

  it('SDK: an upload the master lost is committed again, its chunks pinned again without their bytes sent again (a stream too large to keep)', async () => {
    // Two chunks of the test cluster's 1 MiB, from a stream read once and over the 1 MiB kept:
    // the first chunk's pin is forgotten (its lease made again by the second).
    const data = randomData(1536 * 1024);
    await despite(forget(1), s3.cluster.sdk.upload(bytes(data), '/lost/two.bin'));
    expect((await collect(s3.cluster.sdk.download('/lost/two.bin'))).equals(data)).to.equal(true);
  });

  it('SDK: chunks no longer stored in full are not pinned again: a stream too large to keep fails unavailable', async () => {
    const fates = script('forget', 'keep', 'condemn');
    const data = randomData(1536 * 1024);
    const err = (await s3.cluster.sdk.upload(bytes(data), '/lost/gone.bin').catch((e) => e)) as DfsError;
    expect([err.code, err.status, fates.left()]).to.deep.equal(['unavailable', 503, 0]);
    expect(err.message).to.match(/^chunk [0-9a-f]{64} is no longer stored; upload the file again$/);
    expect(((await s3.cluster.sdk.stat('/lost/gone.bin').catch((e) => e)) as DfsError).code).to.equal(
      'not_found',
    );
    // Sent again (its bytes), it is stored.
    await s3.cluster.sdk.upload([data], '/lost/gone.bin');
    expect((await s3.cluster.sdk.stat('/lost/gone.bin')).size).to.equal(data.length);
  });

  it('SDK: a small stream is kept as it is read and sent again once; lost again, it fails as unavailable', async () => {
    await despite(unpinnable(), s3.cluster.sdk.upload(bytes('once'), '/lost/sdk.txt'));
    expect((await collect(s3.cluster.sdk.download('/lost/sdk.txt'))).toString()).to.equal('once');
    const twice = unpinnable(2);
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
    await despite(unpinnable(), s3.cluster.sdk.upload(source(), '/lost/reused.txt'));
    expect((await collect(s3.cluster.sdk.download('/lost/reused.txt'))).toString()).to.equal('aaaabbbb');
  });

  it('SDK: an upload it can read again (a file, an array) is sent again once by itself', async () => {
    const dir = await tempDir();
    try {
      const file = path.join(dir, 'local.txt');
      await fs.writeFile(file, 'from a file');
      await despite(unpinnable(), s3.cluster.sdk.uploadFile(file, '/lost/file.txt'));
      await despite(unpinnable(), s3.cluster.sdk.upload([Buffer.from('from an array')], '/lost/array.txt'));
      expect((await collect(s3.cluster.sdk.download('/lost/file.txt'))).toString()).to.equal('from a file');
      expect((await collect(s3.cluster.sdk.download('/lost/array.txt'))).toString()).to.equal(
        'from an array',
      );
      // Once only: lost again, it fails.
      const twice = unpinnable(2);
      const err = (await s3.cluster.sdk.uploadFile(file, '/lost/file.txt').catch((e) => e)) as DfsError;
      expect([err.code, twice.left()]).to.deep.equal(['unavailable', 0]);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('web client: a PUT the master lost is stored all the same; lost over and over, it answers 503 unavailable, and the PUT sent again is stored', async () => {
    const url = `${s3.cluster.client?.url}/api/files/lost/web.txt`;
    const put = (body: string) => fetch(url, { method: 'PUT', body, headers: { 'x-dfs-csrf': '1' } });
    expect((await despite(forget(1), put('pinned'))).status).to.equal(201);
    expect((await despite(unpinnable(), put('first'))).status).to.equal(201);
    expect(await (await fetch(`${s3.cluster.client?.url}/api/download/lost/web.txt`)).text()).to.equal(
      'first',
    );
    forget(4);
    const refused = await put('hello');
    expect(refused.status).to.equal(503);
    expect(((await refused.json()) as { error: { code: string } }).error.code).to.equal('unavailable');
    took('PUT /api/files/lost/web.txt');
    expect((await put('hello')).status).to.equal(201);
    expect(await (await fetch(`${s3.cluster.client?.url}/api/download/lost/web.txt`)).text()).to.equal(
      'hello',
    );
  });

  it('WebDAV: a PUT the master lost is stored all the same; lost over and over, it answers 503 (a 409 would say the parent folder is missing)', async () => {
    const url = `${s3.cluster.client?.url}/dav/lost/dav.txt`;
    const put = (body: string) => fetch(url, { method: 'PUT', body });
    expect((await despite(forget(1), put('pinned'))).status).to.equal(201);
    expect((await despite(unpinnable(), put('first'))).status).to.equal(204);
    forget(4);
    expect((await put('dav')).status).to.equal(503);
    took('PUT /dav/lost/dav.txt');
    expect((await put('dav')).status).to.equal(204);
    expect((await request(url)).body.toString()).to.equal('dav');
  });

  it('S3: a PutObject the master lost is stored all the same; lost again, ServiceUnavailable, which an AWS SDK retries by itself', async () => {
    const put = (c: S3Client, Body = 'object') =>
      c.send(new PutObjectCommand({ Bucket: 'lost', Key: 'o.txt', Body }));
    await despite(forget(1), put(client, 'pinned'));
    forget(2);
    const refused = await failure(put(client));
    expect([refused.name, refused.$metadata.httpStatusCode]).to.deep.equal(['ServiceUnavailable', 503]);
    took('PUT /lost/o.txt');
    // With its default three attempts, the SDK's own retry stores the object.
    forget(2);
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
