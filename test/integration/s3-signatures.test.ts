// SigV4 at the gateway: refusals that change nothing, clock skew, region, tampering, presign
// expiry, signed aws-chunked bodies, Expect headers, virtual-hosted-style addressing.

import { createHash, randomBytes } from 'node:crypto';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { expect } from 'chai';
import { signingKey } from '../../src/s3/sigv4-canonical.js';
import { putExpecting } from '../helpers/adversary.js';
import { signedBody } from '../helpers/s3-chunked.js';
import { ACCESS_KEY, type S3Cluster, SECRET_KEY, startS3Cluster } from '../helpers/s3-cluster.js';
import { codeOf, presignedUrl, type RawRequest, sendRaw, signedRequest } from '../helpers/s3-raw.js';

describe('s3 gateway: signatures', function () {
  this.timeout(60_000);
  let s3: S3Cluster;
  const send = (request: RawRequest) => signedRequest(s3.url, request);
  const exists = async (key: string) => (await send({ method: 'HEAD', path: `/sig/${key}` })).status === 200;

  before(async () => {
    s3 = await startS3Cluster({ domains: ['s3.test'] });
    const client = s3.client();
    await client.send(new CreateBucketCommand({ Bucket: 'sig' }));
    await client.send(new PutObjectCommand({ Bucket: 'sig', Key: 'doc.txt', Body: 'document' }));
  });
  after(async () => {
    await s3?.close();
  });
  afterEach(() => expect(s3.logs.filter((l) => l.startsWith('s3:'))).to.deep.equal([]));

  it('refuses anonymous, unknown-key and wrongly signed requests, changing nothing', async () => {
    const anonymous = await sendRaw(s3.url, 'PUT', '/sig/anon', { 'content-length': '1' }, 'x');
    expect([anonymous.status, codeOf(anonymous)]).to.deep.equal([403, 'AccessDenied']);
    const unknown = await send({ method: 'PUT', path: '/sig/unknown', body: 'x', accessKey: 'AKIDNOBODY' });
    expect([unknown.status, codeOf(unknown)]).to.deep.equal([403, 'InvalidAccessKeyId']);
    const wrong = await send({ method: 'PUT', path: '/sig/wrong', body: 'x', secret: 'not-the-secret' });
    expect([wrong.status, codeOf(wrong)]).to.deep.equal([403, 'SignatureDoesNotMatch']);
    const tampered = await send({
      method: 'PUT',
      path: '/sig/tampered',
      body: 'x',
      headers: { 'x-amz-meta-owner': 'alice' },
      tamper: (h) => {
        h['x-amz-meta-owner'] = 'mallory';
      },
    });
    expect([tampered.status, codeOf(tampered)]).to.deep.equal([403, 'SignatureDoesNotMatch']);
    const body = await send({ method: 'PUT', path: '/sig/body', body: 'x', tamper: () => {} });
    expect(body.status).to.equal(200);
    for (const key of ['anon', 'unknown', 'wrong', 'tampered']) expect(await exists(key)).to.equal(false);
  });

  it('stores a body signed with its SHA-256 under that hash, checked byte for byte; a body that differs stores nothing', async () => {
    // Several chunks (1 MiB each here): the file's hash is the signed one, not computed again.
    const data = randomBytes(3 * 1024 * 1024 + 7);
    const sha256 = createHash('sha256').update(data).digest('hex');
    const put = await send({ method: 'PUT', path: '/sig/signed.bin', body: data });
    expect(put.status).to.equal(200);
    const info = await s3.cluster.sdk.stat('/sig/signed.bin');
    expect(info.sha256).to.equal(sha256);
    expect(info.chunks.length).to.equal(4);
    const flipped = Buffer.from(data);
    flipped.writeUInt8(flipped.readUInt8(flipped.length - 1) ^ 1, flipped.length - 1);
    const bad = await send({
      method: 'PUT',
      path: '/sig/bad.bin',
      body: flipped,
      headers: { 'x-amz-content-sha256': sha256 },
    });
    expect([bad.status, codeOf(bad)]).to.deep.equal([400, 'XAmzContentSHA256Mismatch']);
    expect(await exists('bad.bin')).to.equal(false);
  });

  it('refuses a skewed clock and another region', async () => {
    const skewed = await send({ path: '/sig/doc.txt', date: new Date(Date.now() - 20 * 60_000) });
    expect([skewed.status, codeOf(skewed)]).to.deep.equal([403, 'RequestTimeTooSkewed']);
    const ahead = await send({ path: '/sig/doc.txt', date: new Date(Date.now() + 20 * 60_000) });
    expect(codeOf(ahead)).to.equal('RequestTimeTooSkewed');
    const within = await send({ path: '/sig/doc.txt', date: new Date(Date.now() - 5 * 60_000) });
    expect(within.body).to.equal('document');
    const region = await send({ path: '/sig/doc.txt', region: 'eu-west-1' });
    expect([region.status, codeOf(region)]).to.deep.equal([400, 'AuthorizationHeaderMalformed']);
    expect(region.body).to.include('<Region>us-east-1</Region>');
  });

  it('honours presigned GET and PUT until they expire', async () => {
    const get = await presignedUrl(s3.url, { path: '/sig/doc.txt', expiresIn: 60 });
    expect(await (await fetch(get)).text()).to.equal('document');
    const put = await presignedUrl(s3.url, { method: 'PUT', path: '/sig/presigned-put', expiresIn: 60 });
    expect((await fetch(put, { method: 'PUT', body: 'via url' })).status).to.equal(200);
    const client = s3.client();
    const got = await client.send(new GetObjectCommand({ Bucket: 'sig', Key: 'presigned-put' }));
    expect(await got.Body?.transformToString()).to.equal('via url');
    const old = await presignedUrl(s3.url, {
      path: '/sig/doc.txt',
      expiresIn: 60,
      date: new Date(Date.now() - 120_000),
    });
    const expired = await fetch(old);
    expect(expired.status).to.equal(403);
    expect(await expired.text()).to.match(/<Code>AccessDenied<\/Code><Message>Request has expired/);
    const expiredPut = await presignedUrl(s3.url, {
      method: 'PUT',
      path: '/sig/late-put',
      expiresIn: 1,
      date: new Date(Date.now() - 10_000),
    });
    expect((await fetch(expiredPut, { method: 'PUT', body: 'late' })).status).to.equal(403);
    expect(await exists('late-put')).to.equal(false);
  });

  it('checks every chunk signature of STREAMING-AWS4-HMAC-SHA256-PAYLOAD; a tampered chunk stores nothing', async () => {
    const chunks = [Buffer.alloc(70_000, 'a'), Buffer.alloc(1000, 'b')];
    const length = chunks.reduce((n, c) => n + c.length, 0);
    const upload = async (key: string, tamper: boolean) => {
      // Sign the headers first to learn the seed signature, then sign the chunks from it.
      const request: RawRequest = {
        method: 'PUT',
        path: `/sig/${key}`,
        headers: {
          'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
          'content-encoding': 'aws-chunked',
          'x-amz-decoded-content-length': String(length),
        },
      };
      let seed = '';
      let amzDate = '';
      await send({
        ...request,
        tamper: (h) => {
          seed = /Signature=([0-9a-f]{64})/.exec(h.authorization ?? '')?.[1] ?? '';
          amzDate = h['x-amz-date'] ?? '';
        },
      }).catch(() => undefined);
      const scope = `${amzDate.slice(0, 8)}/us-east-1/s3/aws4_request`;
      const body = signedBody(
        {
          signingKey: signingKey(SECRET_KEY, amzDate.slice(0, 8), 'us-east-1', 's3'),
          amzDate,
          scope,
          seedSignature: seed,
        },
        chunks,
      );
      // A flipped byte in the last data chunk.
      if (tamper) body.writeUInt8((body.at(-100) ?? 0) ^ 1, body.length - 100);
      const headers = {
        host: new URL(s3.url).host,
        ...request.headers,
        'x-amz-date': amzDate,
        'content-length': String(body.length),
        authorization: `AWS4-HMAC-SHA256 Credential=${ACCESS_KEY}/${scope}, SignedHeaders=content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length, Signature=${seed}`,
      };
      return sendRaw(s3.url, 'PUT', `/sig/${key}`, headers, body);
    };
    const ok = await upload('chunked', false);
    expect(ok.status, ok.body).to.equal(200);
    const got = await send({ path: '/sig/chunked' });
    expect(got.body).to.equal(Buffer.concat(chunks).toString());
    // Signed chunk by chunk, not with its hash: the file's SHA-256 is computed from its bytes.
    const stored = await s3.cluster.sdk.stat('/sig/chunked');
    expect(stored.sha256).to.equal(createHash('sha256').update(Buffer.concat(chunks)).digest('hex'));
    const bad = await upload('chunked-bad', true);
    expect([bad.status, codeOf(bad)]).to.deep.equal([403, 'SignatureDoesNotMatch']);
    expect(await exists('chunked-bad')).to.equal(false);
  });

  it('sends 100 Continue only to a request it accepts, and ignores odd Expect values', async () => {
    const put = (path: string, expect100: string, headers: Record<string, string>) =>
      putExpecting(s3.url, path, { ...headers, expect: expect100 }, 'continued');
    // Sign a PUT of 'continued' and send it with Expect headers.
    let signed: Record<string, string> = {};
    await send({
      method: 'PUT',
      path: '/sig/expect',
      body: 'continued',
      tamper: (h) => {
        signed = { ...h };
      },
    });
    const good = await put('/sig/expect', '100-continue', signed);
    expect(good).to.deep.equal({ status: 200, continued: true });
    const refused = await put('/sig/expect', '100-continue', {
      ...signed,
      'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
    });
    expect(refused).to.deep.equal({ status: 403, continued: false });
    const odd = await put('/sig/expect', 'something-odd', signed);
    expect(odd.status).to.equal(200);
  });

  it('serves virtual-hosted-style requests under --domain', async () => {
    const { port } = new URL(s3.url);
    const answer = await send({ path: '/doc.txt', headers: { host: `sig.s3.test:${port}` } });
    expect([answer.status, answer.body]).to.deep.equal([200, 'document']);
    const listing = await send({ path: '/?list-type=2', headers: { host: `sig.s3.test:${port}` } });
    expect(listing.body).to.include('<Key>doc.txt</Key>');
    // A multipart upload's Location names the object as the client addressed it.
    const host = { host: `sig.s3.test:${port}` };
    const created = await send({ method: 'POST', path: '/vh.txt?uploads', headers: host });
    const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(created.body)?.[1] as string;
    const part = await send({
      method: 'PUT',
      path: `/vh.txt?partNumber=1&uploadId=${uploadId}`,
      headers: host,
      body: 'x',
    });
    const body = `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${part.headers.etag}</ETag></Part></CompleteMultipartUpload>`;
    const done = await send({ method: 'POST', path: `/vh.txt?uploadId=${uploadId}`, headers: host, body });
    expect(done.body).to.include(`<Location>http://sig.s3.test:${port}/vh.txt</Location>`);
  });
});
