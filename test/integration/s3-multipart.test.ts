// Multipart uploads through the gateway: part rules, completion twice, abort, listings, UploadPartCopy.

import { createHash, randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  type CompletedPart,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { expect } from 'chai';
import { DfsError } from '../../src/protocol/errors.js';
import { createHasher } from '../../src/s3/checksums.js';
import { failure, type S3Cluster, startS3Cluster } from '../helpers/s3-cluster.js';
import { codeOf, signedRequest } from '../helpers/s3-raw.js';
import { waitFor } from '../helpers/wait.js';

const MiB = 1 << 20;
const md5 = (data: Buffer) => createHash('md5').update(data).digest('hex');
const sha1Of = (data: Buffer) => createHash('sha1').update(data).digest('base64');
const crcOf = (algorithm: 'CRC32' | 'CRC32C', data: Buffer) => {
  const hasher = createHasher(algorithm);
  hasher.update(data);
  return hasher.digest().toString('base64');
};
const crc32Of = (data: Buffer) => crcOf('CRC32', data);
const crc32c = (data: Buffer) => crcOf('CRC32C', data);

describe('s3 gateway: multipart uploads', function () {
  this.timeout(60_000);
  let s3: S3Cluster;
  let client: S3Client;
  const create = async (key: string) =>
    (
      await client.send(
        new CreateMultipartUploadCommand({ Bucket: 'mpu', Key: key, ContentType: 'text/x-parts' }),
      )
    ).UploadId as string;
  const part = async (key: string, uploadId: string, n: number, body: Buffer) =>
    (
      await client.send(
        new UploadPartCommand({ Bucket: 'mpu', Key: key, UploadId: uploadId, PartNumber: n, Body: body }),
      )
    ).ETag as string;
  const complete = (key: string, uploadId: string, parts: CompletedPart[]) =>
    client.send(
      new CompleteMultipartUploadCommand({
        Bucket: 'mpu',
        Key: key,
        UploadId: uploadId,
        MultipartUpload: { Parts: parts },
      }),
    );

  before(async () => {
    s3 = await startS3Cluster();
    client = s3.client();
    await client.send(new CreateBucketCommand({ Bucket: 'mpu' }));
  });
  after(async () => {
    await s3?.close();
  });
  afterEach(() => expect(s3.logs.filter((l) => l.startsWith('s3:'))).to.deep.equal([]));

  it('completes out-of-order uploaded parts; a second complete answers the same ETag', async () => {
    const one = randomBytes(5 * MiB);
    const two = randomBytes(MiB + 7);
    const id = await create('twice.bin');
    const e2 = await part('twice.bin', id, 2, two);
    const e1 = await part('twice.bin', id, 1, one);
    expect([e1, e2]).to.deep.equal([`"${md5(one)}"`, `"${md5(two)}"`]);
    const listed = await client.send(new ListPartsCommand({ Bucket: 'mpu', Key: 'twice.bin', UploadId: id }));
    expect(listed.Parts?.map((p) => [p.PartNumber, p.Size])).to.deep.equal([
      [1, 5 * MiB],
      [2, MiB + 7],
    ]);
    const parts = [
      { PartNumber: 1, ETag: e1 },
      { PartNumber: 2, ETag: e2 },
    ];
    const first = await complete('twice.bin', id, parts);
    const etag = `"${md5(Buffer.concat([Buffer.from(md5(one), 'hex'), Buffer.from(md5(two), 'hex')]))}-2"`;
    expect(first.ETag).to.equal(etag);
    expect(first.Location).to.equal(`${s3.url}/mpu/twice.bin`);
    expect((await complete('twice.bin', id, parts)).ETag).to.equal(etag);
    // A complete of other parts, once the upload is done, names no upload.
    expect((await failure(complete('twice.bin', id, parts.slice(0, 1)))).name).to.equal('NoSuchUpload');
    const got = await client.send(new GetObjectCommand({ Bucket: 'mpu', Key: 'twice.bin' }));
    expect(got.ContentType).to.equal('text/x-parts');
    expect(
      Buffer.from((await got.Body?.transformToByteArray()) ?? []).equals(Buffer.concat([one, two])),
    ).to.equal(true);
    const gone = await failure(
      client.send(new ListPartsCommand({ Bucket: 'mpu', Key: 'twice.bin', UploadId: id })),
    );
    expect(gone.name).to.equal('NoSuchUpload');
  });

  it('answers InvalidPart, InvalidPartOrder, EntityTooSmall and NoSuchUpload', async () => {
    const id = await create('rules.bin');
    const small = await part('rules.bin', id, 1, randomBytes(1000));
    const last = await part('rules.bin', id, 2, randomBytes(1000));
    const wrong = await failure(
      complete('rules.bin', id, [{ PartNumber: 1, ETag: '"0123456789abcdef0123456789abcdef"' }]),
    );
    expect(wrong.name).to.equal('InvalidPart');
    const missing = await failure(complete('rules.bin', id, [{ PartNumber: 3, ETag: small }]));
    expect(missing.name).to.equal('InvalidPart');
    const tiny = await failure(
      complete('rules.bin', id, [
        { PartNumber: 1, ETag: small },
        { PartNumber: 2, ETag: last },
      ]),
    );
    expect([tiny.name, tiny.$metadata.httpStatusCode]).to.deep.equal(['EntityTooSmall', 400]);
    const order = await signedRequest(s3.url, {
      method: 'POST',
      path: `/mpu/rules.bin?uploadId=${id}`,
      body: `<CompleteMultipartUpload><Part><PartNumber>2</PartNumber><ETag>${last}</ETag></Part><Part><PartNumber>1</PartNumber><ETag>${small}</ETag></Part></CompleteMultipartUpload>`,
    });
    expect(codeOf(order)).to.equal('InvalidPartOrder');
    const malformed = await signedRequest(s3.url, {
      method: 'POST',
      path: `/mpu/rules.bin?uploadId=${id}`,
      body: '<nope',
    });
    expect(codeOf(malformed)).to.equal('MalformedXML');
    // A single small part is a whole object: the last part may be small. The upload makes no
    // checksum: the one the SDK sent with the part (its default), listed again, is taken.
    const listedCrc = { PartNumber: 2, ETag: last, ChecksumCRC32: 'AAAAAA==' };
    expect((await complete('rules.bin', id, [listedCrc])).ETag).to.match(/-1"$/);
    const after = await failure(part('rules.bin', id, 3, Buffer.from('late')));
    expect(after.name).to.equal('NoSuchUpload');
    const bogus = await failure(part('rules.bin', 'no-such-upload-id', 1, Buffer.from('x')));
    expect(bogus.name).to.equal('NoSuchUpload');
    const otherKey = await create('a.bin');
    const mismatch = await failure(part('b.bin', otherKey, 1, Buffer.from('x')));
    expect(mismatch.name).to.equal('NoSuchUpload');
  });

  it('makes a FULL_OBJECT checksum of the whole object, and checks one sent at the complete', async () => {
    const created = await client.send(
      new CreateMultipartUploadCommand({
        Bucket: 'mpu',
        Key: 'whole.bin',
        ChecksumAlgorithm: 'CRC32C',
        ChecksumType: 'FULL_OBJECT',
      }),
    );
    expect([created.ChecksumAlgorithm, created.ChecksumType]).to.deep.equal(['CRC32C', 'FULL_OBJECT']);
    const id = created.UploadId as string;
    const [one, two] = [randomBytes(5 * MiB), randomBytes(1234)];
    const sent: { PartNumber: number; ETag?: string; ChecksumCRC32C?: string }[] = [];
    for (const [n, body] of [one, two].entries()) {
      const answer = await client.send(
        new UploadPartCommand({
          Bucket: 'mpu',
          Key: 'whole.bin',
          UploadId: id,
          PartNumber: n + 1,
          Body: body,
          ChecksumAlgorithm: 'CRC32C',
        }),
      );
      expect(answer.ChecksumCRC32C).to.equal(crc32c(body));
      sent.push({ PartNumber: n + 1, ETag: answer.ETag, ChecksumCRC32C: answer.ChecksumCRC32C });
    }
    const whole = crc32c(Buffer.concat([one, two]));
    const completeWith = (value: string) =>
      client.send(
        new CompleteMultipartUploadCommand({
          Bucket: 'mpu',
          Key: 'whole.bin',
          UploadId: id,
          MultipartUpload: { Parts: sent },
          ChecksumCRC32C: value,
        }),
      );
    const wrong = await failure(completeWith(crc32c(one)));
    expect([wrong.name, wrong.$metadata.httpStatusCode]).to.deep.equal(['BadDigest', 400]);
    const done = await completeWith(whole);
    expect([done.ChecksumCRC32C, done.ChecksumType]).to.deep.equal([whole, 'FULL_OBJECT']);
    // The SDK checks a FULL_OBJECT checksum against the bytes it reads.
    const got = await client.send(
      new GetObjectCommand({ Bucket: 'mpu', Key: 'whole.bin', ChecksumMode: 'ENABLED' }),
    );
    expect([got.ChecksumCRC32C, got.ChecksumType]).to.deep.equal([whole, 'FULL_OBJECT']);
    const listed = await client.send(new ListObjectsV2Command({ Bucket: 'mpu', Prefix: 'whole.bin' }));
    expect(listed.Contents?.map((c) => [c.ChecksumAlgorithm, c.ChecksumType])).to.deep.equal([
      [['CRC32C'], 'FULL_OBJECT'],
    ]);
    expect(
      Buffer.from((await got.Body?.transformToByteArray()) ?? []).equals(Buffer.concat([one, two])),
    ).to.equal(true);
  });

  it("refuses checksum settings S3 refuses, and parts or completes that do not match the upload's checksum", async () => {
    const createWith = (extra: Record<string, string>) =>
      signedRequest(s3.url, { method: 'POST', path: '/mpu/refused.bin?uploads', headers: extra });
    const refused: Record<string, string>[] = [
      { 'x-amz-checksum-algorithm': 'FOO' },
      { 'x-amz-checksum-type': 'FULL_OBJECT' },
      { 'x-amz-checksum-algorithm': 'SHA1', 'x-amz-checksum-type': 'FULL_OBJECT' },
      { 'x-amz-checksum-algorithm': 'CRC64NVME', 'x-amz-checksum-type': 'COMPOSITE' },
      { 'x-amz-checksum-algorithm': 'CRC32', 'x-amz-checksum-type': 'SIDEWAYS' },
    ];
    for (const headers of refused)
      expect(codeOf(await createWith(headers)), JSON.stringify(headers)).to.equal('InvalidRequest');
    const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: 'mpu', Prefix: 'refused' }));
    expect(uploads.Uploads ?? []).to.deep.equal([]);

    const id = (
      await client.send(
        new CreateMultipartUploadCommand({ Bucket: 'mpu', Key: 'sums.bin', ChecksumAlgorithm: 'CRC32' }),
      )
    ).UploadId as string;
    const other = await failure(
      client.send(
        new UploadPartCommand({
          Bucket: 'mpu',
          Key: 'sums.bin',
          UploadId: id,
          PartNumber: 1,
          Body: Buffer.from('sha'),
          ChecksumAlgorithm: 'SHA256',
        }),
      ),
    );
    expect([other.name, other.message]).to.deep.equal([
      'InvalidRequest',
      'Checksum Type mismatch occurred, expected checksum Type: crc32, actual checksum Type: sha256',
    ]);
    // A part sent without a checksum: refused for a COMPOSITE checksum (made of the parts' own)…
    const bare = s3.client({ requestChecksumCalculation: 'WHEN_REQUIRED' });
    const body = randomBytes(3000);
    const bareTo = (key: string, upload: string) =>
      bare.send(
        new UploadPartCommand({ Bucket: 'mpu', Key: key, UploadId: upload, PartNumber: 1, Body: body }),
      );
    expect((await failure(bareTo('sums.bin', id))).message).to.equal(
      'Checksum Type mismatch occurred, expected checksum Type: crc32, actual checksum Type: null',
    );
    const { ETag } = await client.send(
      new UploadPartCommand({ Bucket: 'mpu', Key: 'sums.bin', UploadId: id, PartNumber: 1, Body: body }),
    );
    const listed = await client.send(new ListPartsCommand({ Bucket: 'mpu', Key: 'sums.bin', UploadId: id }));
    expect([listed.ChecksumAlgorithm, listed.ChecksumType, listed.Parts?.[0]?.ChecksumCRC32]).to.deep.equal([
      'CRC32',
      'COMPOSITE',
      crc32Of(body),
    ]);
    const open = await client.send(new ListMultipartUploadsCommand({ Bucket: 'mpu', Prefix: 'sums' }));
    expect(open.Uploads?.map((u) => [u.ChecksumAlgorithm, u.ChecksumType])).to.deep.equal([
      ['CRC32', 'COMPOSITE'],
    ]);
    const completeWith = (part: Record<string, string | number | undefined>) =>
      failure(complete('sums.bin', id, [{ PartNumber: 1, ETag: ETag as string, ...part }]));
    expect((await completeWith({})).name).to.equal('InvalidRequest');
    expect((await completeWith({ ChecksumCRC32: 'AAAAAA==' })).name).to.equal('InvalidPart');
    expect((await completeWith({ ChecksumSHA1: sha1Of(body) })).name).to.equal('InvalidRequest');
    const listedRight = [{ PartNumber: 1, ETag: ETag as string, ChecksumCRC32: crc32Of(body) }];
    const otherType = await failure(
      client.send(
        new CompleteMultipartUploadCommand({
          Bucket: 'mpu',
          Key: 'sums.bin',
          UploadId: id,
          MultipartUpload: { Parts: listedRight },
          ChecksumType: 'FULL_OBJECT',
        }),
      ),
    );
    expect(otherType.name).to.equal('BadDigest');
    const done = await complete('sums.bin', id, listedRight);
    expect(done.ChecksumCRC32).to.equal(`${crc32Of(Buffer.from(crc32Of(body), 'base64'))}-1`);

    // …and computed here for a FULL_OBJECT one.
    const full = (
      await client.send(
        new CreateMultipartUploadCommand({
          Bucket: 'mpu',
          Key: 'full.bin',
          ChecksumAlgorithm: 'CRC32',
          ChecksumType: 'FULL_OBJECT',
        }),
      )
    ).UploadId as string;
    expect((await bareTo('full.bin', full)).ChecksumCRC32).to.equal(crc32Of(body));
    await client.send(new AbortMultipartUploadCommand({ Bucket: 'mpu', Key: 'full.bin', UploadId: full }));
  });

  it('completes an upload begun before part checksums were kept, whatever checksums its complete lists', async () => {
    // As a gateway of the previous version made it: no checksum attributes.
    const id = 'upload-from-an-older-gateway';
    const info = {
      path: '/mpu/older.bin',
      contentType: 'application/octet-stream',
      metadata: {},
      attributes: {},
    };
    await s3.cluster.sdk.api.createMultipart(id, info);
    const body = randomBytes(2000);
    const sent = await client.send(
      new UploadPartCommand({ Bucket: 'mpu', Key: 'older.bin', UploadId: id, PartNumber: 1, Body: body }),
    );
    expect(sent.ChecksumCRC32).to.equal(crc32Of(body));
    const done = await complete('older.bin', id, [
      { PartNumber: 1, ETag: sent.ETag as string, ChecksumCRC32: sent.ChecksumCRC32 },
    ]);
    expect([done.ETag, done.ChecksumCRC32]).to.deep.equal([
      `"${md5(Buffer.from(md5(body), 'hex'))}-1"`,
      undefined,
    ]);
  });

  it('copies a part into an upload that makes checksums with its checksum', async () => {
    const source = randomBytes(4000);
    await client.send(new PutObjectCommand({ Bucket: 'mpu', Key: 'copy-source.bin', Body: source }));
    const id = (
      await client.send(
        new CreateMultipartUploadCommand({ Bucket: 'mpu', Key: 'copied.bin', ChecksumAlgorithm: 'SHA256' }),
      )
    ).UploadId as string;
    for (const [n, range] of [
      [1, undefined],
      [2, 'bytes=10-99'],
    ] as const) {
      const copied = await client.send(
        new UploadPartCopyCommand({
          Bucket: 'mpu',
          Key: 'copied.bin',
          UploadId: id,
          PartNumber: n,
          CopySource: 'mpu/copy-source.bin',
          CopySourceRange: range,
        }),
      );
      const bytes = range ? source.subarray(10, 100) : source;
      expect(copied.CopyPartResult?.ChecksumSHA256).to.equal(
        createHash('sha256').update(bytes).digest('base64'),
      );
    }
    await client.send(new AbortMultipartUploadCommand({ Bucket: 'mpu', Key: 'copied.bin', UploadId: id }));
  });

  it('answers NoSuchUpload to a part still streaming in when its upload is aborted', async () => {
    const id = await create('aborted-midway.bin');
    const data = randomBytes(2 * MiB + 1000);
    const body = new PassThrough();
    const sent = failure(
      client.send(
        new UploadPartCommand({
          Bucket: 'mpu',
          Key: 'aborted-midway.bin',
          UploadId: id,
          PartNumber: 1,
          Body: body,
          ContentLength: data.length,
        }),
      ),
    );
    // The first chunk is written under the upload's lease; then the upload ends, then the rest
    // comes (in two pieces: the gateway holds the newest piece back until the next arrives).
    body.write(data.subarray(0, MiB + 10));
    body.write(data.subarray(MiB + 10, MiB + 20));
    const first = createHash('sha256').update(data.subarray(0, MiB)).digest('hex');
    await waitFor(() => s3.cluster.nodes.some((n) => n.store.has(first)), 'the first chunk stored');
    await client.send(
      new AbortMultipartUploadCommand({ Bucket: 'mpu', Key: 'aborted-midway.bin', UploadId: id }),
    );
    body.end(data.subarray(MiB + 20));
    const answer = await sent;
    expect([answer.name, answer.$metadata.httpStatusCode]).to.deep.equal(['NoSuchUpload', 404]);
  });

  it('answers 503 to a part whose chunks were lost before it was recorded; the part sent again completes', async () => {
    const id = await create('lost-part.bin');
    // The master's store refuses the part once, as when a crash of the metadata store forgot the
    // pins of its chunks (written, not yet recorded): the upload itself is still open.
    const { store } = s3.cluster.master;
    const putPart = store.putPart;
    let refusals = 0;
    store.putPart = (...args) => {
      if (refusals++ > 0) return putPart.apply(store, args);
      return Promise.reject(new DfsError('conflict', `chunk ${'0'.repeat(64)} is no longer stored`));
    };
    try {
      const data = randomBytes(3000);
      const refused = await failure(
        client.send(
          new UploadPartCommand({
            Bucket: 'mpu',
            Key: 'lost-part.bin',
            UploadId: id,
            PartNumber: 1,
            Body: data,
          }),
        ),
      );
      expect([refused.name, refused.$metadata.httpStatusCode]).to.deep.equal(['ServiceUnavailable', 503]);
      const etag = await part('lost-part.bin', id, 1, data);
      await complete('lost-part.bin', id, [{ ETag: etag, PartNumber: 1 }]);
      const got = await client.send(new GetObjectCommand({ Bucket: 'mpu', Key: 'lost-part.bin' }));
      expect(Buffer.from((await got.Body?.transformToByteArray()) ?? []).equals(data)).to.equal(true);
      // The refusal is logged, as every 5xx is (taken out here: the hook after each test wants none).
      const logged = s3.logs.findIndex((l) => l.includes("503 ServiceUnavailable The part's data was lost"));
      expect(logged).to.be.at.least(0);
      s3.logs.splice(logged, 1);
    } finally {
      store.putPart = putPart;
    }
  });

  it('lists open uploads by key and aborts one (its parts released)', async () => {
    const id = await create('dir/abort-me.bin');
    await part('dir/abort-me.bin', id, 1, randomBytes(2000));
    const open = await client.send(new ListMultipartUploadsCommand({ Bucket: 'mpu', Prefix: 'dir/' }));
    expect(open.Uploads?.map((u) => [u.Key, u.UploadId])).to.deep.equal([['dir/abort-me.bin', id]]);
    const rolled = await client.send(new ListMultipartUploadsCommand({ Bucket: 'mpu', Delimiter: '/' }));
    expect(rolled.CommonPrefixes?.map((p) => p.Prefix)).to.include('dir/');
    // Page by page, one entry a page: the common prefix once, then what lies after it.
    const second = await create('dir/second.bin');
    const after = await create('dir0.bin');
    const pages: string[] = [];
    let markers: { KeyMarker?: string; UploadIdMarker?: string } = { KeyMarker: 'dir' };
    for (let page = 0; page < 5; page++) {
      const answer = await client.send(
        new ListMultipartUploadsCommand({ Bucket: 'mpu', Delimiter: '/', MaxUploads: 1, ...markers }),
      );
      pages.push(
        ...(answer.CommonPrefixes ?? []).map((p) => p.Prefix ?? ''),
        ...(answer.Uploads ?? []).map((u) => u.Key ?? ''),
      );
      if (!answer.IsTruncated) break;
      markers = { KeyMarker: answer.NextKeyMarker, UploadIdMarker: answer.NextUploadIdMarker };
    }
    expect(pages).to.deep.equal(['dir/', 'dir0.bin']);
    for (const [key, upload] of [
      ['dir/second.bin', second],
      ['dir0.bin', after],
    ] as const)
      await client.send(new AbortMultipartUploadCommand({ Bucket: 'mpu', Key: key, UploadId: upload }));
    await client.send(
      new AbortMultipartUploadCommand({ Bucket: 'mpu', Key: 'dir/abort-me.bin', UploadId: id }),
    );
    const again = await failure(
      client.send(new AbortMultipartUploadCommand({ Bucket: 'mpu', Key: 'dir/abort-me.bin', UploadId: id })),
    );
    expect([again.name, again.$metadata.httpStatusCode]).to.deep.equal(['NoSuchUpload', 404]);
    const none = await client.send(new ListMultipartUploadsCommand({ Bucket: 'mpu', Prefix: 'dir/' }));
    expect(none.Uploads ?? []).to.deep.equal([]);
  });

  it('copies parts: a whole object (its chunks reused) and a byte range', async () => {
    const source = randomBytes(6 * MiB);
    await client.send(new PutObjectCommand({ Bucket: 'mpu', Key: 'source.bin', Body: source }));
    const id = await create('copied.bin');
    const whole = await client.send(
      new UploadPartCopyCommand({
        Bucket: 'mpu',
        Key: 'copied.bin',
        UploadId: id,
        PartNumber: 1,
        CopySource: 'mpu/source.bin',
      }),
    );
    expect(whole.CopyPartResult?.ETag).to.equal(`"${md5(source)}"`);
    const range = await client.send(
      new UploadPartCopyCommand({
        Bucket: 'mpu',
        Key: 'copied.bin',
        UploadId: id,
        PartNumber: 2,
        CopySource: 'mpu/source.bin',
        CopySourceRange: 'bytes=100-1099',
      }),
    );
    expect(range.CopyPartResult?.ETag).to.equal(`"${md5(source.subarray(100, 1100))}"`);
    await complete('copied.bin', id, [
      { PartNumber: 1, ETag: whole.CopyPartResult?.ETag as string },
      { PartNumber: 2, ETag: range.CopyPartResult?.ETag as string },
    ]);
    const got = await client.send(new GetObjectCommand({ Bucket: 'mpu', Key: 'copied.bin' }));
    const expected = Buffer.concat([source, source.subarray(100, 1100)]);
    expect(Buffer.from((await got.Body?.transformToByteArray()) ?? []).equals(expected)).to.equal(true);
    // The whole-object part is the source's own chunks.
    const [src, copy] = await Promise.all([
      s3.cluster.sdk.stat('/mpu/source.bin'),
      s3.cluster.sdk.stat('/mpu/copied.bin'),
    ]);
    expect(copy.chunks.slice(0, src.chunks.length).map((c) => c.id)).to.deep.equal(
      src.chunks.map((c) => c.id),
    );
    const bad = await failure(
      client.send(
        new UploadPartCopyCommand({
          Bucket: 'mpu',
          Key: 'copied2.bin',
          UploadId: await create('copied2.bin'),
          PartNumber: 1,
          CopySource: 'mpu/source.bin',
          CopySourceRange: 'bytes=0-99999999',
        }),
      ),
    );
    expect(bad.name).to.equal('InvalidArgument');
  });
});
