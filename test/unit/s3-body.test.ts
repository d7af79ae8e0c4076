// The verified body: SDK-made uploads end to end, and every check failing before the last byte.

import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { PutObjectCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import { expect } from 'chai';
import { type RequestBodyOptions, readBodyText, requestBody } from '../../src/s3/body.js';
import type { S3Error } from '../../src/s3/errors.js';
import { type HeaderMap, storedContentEncoding } from '../../src/s3/headers.js';
import { type Authenticated, verifySigV4 } from '../../src/s3/sigv4.js';
import { s3CodeOf as codeOf } from '../helpers/errors.js';
import { crc32Base64, drain, piecesOf } from '../helpers/s3-chunked.js';
import { KEY, REGION, SECRET, sdkRequest, type WireRequest } from '../helpers/s3-signers.js';

const options = { region: REGION, credentials: (k: string) => (k === KEY ? SECRET : undefined) };
const unsignedAuth: Pick<Authenticated, 'payload' | 'signing'> = {
  payload: { mode: 'unsigned' },
  signing: { signingKey: Buffer.alloc(32), amzDate: '', scope: '', seedSignature: '' },
};

function bodyOf(request: WireRequest, extra: RequestBodyOptions = {}, split = 1000) {
  const auth = verifySigV4(request, options);
  return requestBody(piecesOf(request.body, split), request.headers, auth, extra);
}

function plain(data: Buffer, headers: HeaderMap, auth = unsignedAuth, opts: RequestBodyOptions = {}) {
  return requestBody(piecesOf(data, 7), { 'content-length': String(data.length), ...headers }, auth, opts);
}

describe('s3 body: uploads made by the AWS SDK', () => {
  const data = Buffer.alloc(200_000);
  for (let i = 0; i < data.length; i++) data[i] = i % 251;

  it('a streamed PutObject: aws-chunked, unsigned, CRC32 trailer', async () => {
    const request = await sdkRequest((c) =>
      c.send(
        new PutObjectCommand({
          Bucket: 'b',
          Key: 'k',
          Body: Readable.from([data.subarray(0, 70_000), data.subarray(70_000)]),
          ContentLength: data.length,
        }),
      ),
    );
    expect(request.headers['x-amz-content-sha256']).to.equal('STREAMING-UNSIGNED-PAYLOAD-TRAILER');
    expect(request.headers['x-amz-trailer']).to.equal('x-amz-checksum-crc32');
    const body = bodyOf(request, { computeMd5: true });
    expect(body.length).to.equal(data.length);
    const { data: got, error } = await drain(body);
    expect(error).to.equal(undefined);
    expect(got.equals(data)).to.equal(true);
    expect(body.digests).to.deep.equal({
      md5: createHash('md5').update(data).digest('hex'),
      checksum: { algorithm: 'CRC32', value: crc32Base64(data) },
    });
    // The same upload with its data changed in flight fails on the CRC32, before the last piece.
    const tampered = { ...request, body: Buffer.from(request.body) };
    tampered.body[1000] = (tampered.body[1000] ?? 0) ^ 1;
    const result = await drain(bodyOf(tampered));
    expect(result.error?.code).to.equal('BadDigest');
    expect(result.data.length).to.be.below(data.length);
  });

  it('a Buffer UploadPart: signed SHA-256 and a CRC32 header, both checked', async () => {
    const request = await sdkRequest((c) =>
      c.send(new UploadPartCommand({ Bucket: 'b', Key: 'k', UploadId: 'u', PartNumber: 1, Body: data })),
    );
    expect(request.headers['x-amz-content-sha256']).to.match(/^[0-9a-f]{64}$/);
    const body = bodyOf(request);
    expect((await drain(body)).data.equals(data)).to.equal(true);
    expect(body.digests?.checksum?.algorithm).to.equal('CRC32');
    const tampered = { ...request, body: Buffer.from(request.body) };
    tampered.body[5] = (tampered.body[5] ?? 0) ^ 1;
    const result = await drain(bodyOf(tampered));
    expect(result.error?.code).to.equal('XAmzContentSHA256Mismatch');
    expect(result.error?.fields.ClientComputedContentSHA256).to.equal(
      request.headers['x-amz-content-sha256'],
    );
    expect(result.data.length).to.be.below(data.length);
  });
});

describe('s3 body: checks', () => {
  const data = Buffer.from('some body bytes');
  const md5 = createHash('md5').update(data).digest('base64');

  it('checks Content-MD5 and reports the MD5', async () => {
    const ok = plain(data, { 'content-md5': md5 });
    expect((await drain(ok)).error).to.equal(undefined);
    expect(ok.digests?.md5).to.equal(Buffer.from(md5, 'base64').toString('hex'));
    const wrong = await drain(plain(data, { 'content-md5': createHash('md5').update('x').digest('base64') }));
    expect([wrong.error?.code, wrong.data.length < data.length]).to.deep.equal(['BadDigest', true]);
    expect(codeOf(() => plain(data, { 'content-md5': 'nope' }))).to.equal('InvalidDigest');
  });

  it('checks x-amz-checksum-* headers of every algorithm', async () => {
    const sha256 = createHash('sha256').update(data).digest('base64');
    const ok = plain(data, { 'x-amz-checksum-sha256': sha256 });
    expect((await drain(ok)).error).to.equal(undefined);
    expect(ok.digests?.checksum).to.deep.equal({ algorithm: 'SHA256', value: sha256 });
    const sha1 = createHash('sha1').update('other').digest('base64');
    const wrong = await drain(plain(data, { 'x-amz-checksum-sha1': sha1 }));
    expect([wrong.error?.code, wrong.error?.message]).to.deep.equal([
      'BadDigest',
      'The SHA1 you specified did not match the calculated checksum.',
    ]);
  });

  it('checks a signed SHA-256 and a SHA256 checksum together', async () => {
    const hex = createHash('sha256').update(data).digest('hex');
    const auth = { ...unsignedAuth, payload: { mode: 'sha256' as const, sha256: hex } };
    const body = plain(data, { 'x-amz-checksum-sha256': Buffer.from(hex, 'hex').toString('base64') }, auth);
    expect((await drain(body)).error).to.equal(undefined);
    const other = plain(
      data,
      { 'x-amz-checksum-sha256': createHash('sha256').update('x').digest('base64') },
      auth,
    );
    expect((await drain(other)).error?.code).to.equal('BadDigest');
  });

  it('enforces the declared length', async () => {
    const short = requestBody(piecesOf(data, 4), { 'content-length': String(data.length + 1) }, unsignedAuth);
    expect((await drain(short)).error?.code).to.equal('IncompleteBody');
    expect(codeOf(() => plain(data, {}, unsignedAuth, { maxSize: 4 }))).to.equal('EntityTooLarge');
    const unknown = requestBody(piecesOf(data, 4), { 'transfer-encoding': 'chunked' }, unsignedAuth, {
      maxSize: 8,
    });
    expect(unknown.length).to.equal(undefined);
    expect((await drain(unknown)).error?.code).to.equal('EntityTooLarge');
    expect(codeOf(() => plain(data, { 'content-length': '1e3' }))).to.equal('InvalidArgument');
  });

  it('refuses aws-chunked without a decoded length, and trailers without a trailer mode', () => {
    const chunked = { ...unsignedAuth, payload: { mode: 'unsigned-chunks-trailer' as const } };
    const err = codeOf(() =>
      requestBody(piecesOf(data, 4), { 'x-amz-trailer': 'x-amz-checksum-crc32' }, chunked),
    );
    expect(err).to.equal('MissingContentLength');
    expect(codeOf(() => plain(data, { 'x-amz-trailer': 'x-amz-checksum-crc32' }))).to.equal('InvalidRequest');
    const both = {
      'x-amz-trailer': 'x-amz-checksum-crc32',
      'x-amz-checksum-crc32': 'AAAAAA==',
      'x-amz-decoded-content-length': '1',
    };
    expect(codeOf(() => requestBody(piecesOf(data, 4), both, chunked))).to.equal('InvalidRequest');
  });

  it('turns a broken connection into IncompleteBody, and can be read only once', async () => {
    async function* broken() {
      yield Buffer.from('abc');
      throw Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
    }
    const body = requestBody(broken(), { 'content-length': '10' }, unsignedAuth);
    expect((await drain(body)).error?.code).to.equal('IncompleteBody');
    expect(() => body[Symbol.asyncIterator]()).to.throw('only once');
  });

  it('stores Content-Encoding without aws-chunked', () => {
    expect(storedContentEncoding({ 'content-encoding': 'aws-chunked' })).to.equal(undefined);
    expect(storedContentEncoding({ 'content-encoding': 'gzip,aws-chunked' })).to.equal('gzip');
    expect(storedContentEncoding({ 'content-encoding': 'AWS-Chunked, br' })).to.equal('br');
    expect(storedContentEncoding({})).to.equal(undefined);
  });

  it('reads small XML bodies with a limit', async () => {
    expect(await readBodyText(plain(Buffer.from('<a>ü</a>'), {}), 100)).to.equal('<a>ü</a>');
    let err: unknown;
    try {
      await readBodyText(plain(Buffer.alloc(101), {}), 100);
    } catch (e) {
      err = e;
    }
    expect((err as S3Error).code).to.equal('MaxMessageLengthExceeded');
    const unknown = requestBody(piecesOf(Buffer.alloc(101), 10), {}, unsignedAuth);
    let streamed: unknown;
    try {
      await readBodyText(unknown, 100);
    } catch (e) {
      streamed = e;
    }
    expect((streamed as S3Error).code).to.equal('MaxMessageLengthExceeded');
  });
});
