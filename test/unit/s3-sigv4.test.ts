// SigV4 verification against AWS's documented examples and against real signers (JS SDK, botocore).

import {
  CopyObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { expect } from 'chai';
import { S3Error } from '../../src/s3/errors.js';
import { type SignedRequest, verifySigV4 } from '../../src/s3/sigv4.js';
import { signingKey } from '../../src/s3/sigv4-canonical.js';
import {
  botocoreSign,
  DOC_KEY,
  DOC_SECRET,
  hasBotocore,
  KEY,
  REGION,
  SECRET,
  sdkRequest,
  type WireRequest,
} from '../helpers/s3-signers.js';

const DOC_TIME = Date.UTC(2013, 4, 24, 0, 0, 30);
const docOptions = {
  region: 'us-east-1',
  credentials: (k: string) => (k === DOC_KEY ? DOC_SECRET : undefined),
  now: () => DOC_TIME,
};
const options = { region: REGION, credentials: (k: string) => (k === KEY ? SECRET : undefined) };

/** The S3Error that verifying `request` throws. */
function refusal(request: SignedRequest, opts: Parameters<typeof verifySigV4>[1] = options): S3Error {
  try {
    verifySigV4(request, opts);
  } catch (err) {
    expect(err).to.be.instanceOf(S3Error);
    return err as S3Error;
  }
  throw new Error('the request was accepted');
}

const EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const docHeaders = (signedHeaders: string, signature: string, extra: Record<string, string> = {}) => ({
  host: 'examplebucket.s3.amazonaws.com',
  'x-amz-date': '20130524T000000Z',
  'x-amz-content-sha256': EMPTY,
  ...extra,
  authorization: `AWS4-HMAC-SHA256 Credential=${DOC_KEY}/20130524/us-east-1/s3/aws4_request,SignedHeaders=${signedHeaders},Signature=${signature}`,
});

describe('s3 sigv4: AWS documentation examples', () => {
  it('GET object with a Range', () => {
    const auth = verifySigV4(
      {
        method: 'GET',
        url: '/test.txt',
        headers: docHeaders(
          'host;range;x-amz-content-sha256;x-amz-date',
          'f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
          { range: 'bytes=0-9' },
        ),
      },
      docOptions,
    );
    expect(auth.accessKey).to.equal(DOC_KEY);
    expect(auth.presigned).to.equal(false);
    expect(auth.payload).to.deep.equal({ mode: 'sha256', sha256: EMPTY });
    expect(auth.signing.scope).to.equal('20130524/us-east-1/s3/aws4_request');
    expect(auth.signing.amzDate).to.equal('20130524T000000Z');
    expect(auth.signing.seedSignature).to.equal(
      'f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    );
    expect(auth.signing.signingKey.equals(signingKey(DOC_SECRET, '20130524', 'us-east-1', 's3'))).to.equal(
      true,
    );
  });

  it('PUT object whose path the HTTP layer sends with a raw `$` its signer encoded', () => {
    const auth = verifySigV4(
      {
        method: 'PUT',
        url: '/test$file.text',
        headers: docHeaders(
          'date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class',
          '98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd',
          {
            date: 'Fri, 24 May 2013 00:00:00 GMT',
            'x-amz-storage-class': 'REDUCED_REDUNDANCY',
            'x-amz-content-sha256': '44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072',
          },
        ),
      },
      docOptions,
    );
    expect(auth.payload).to.deep.equal({
      mode: 'sha256',
      sha256: '44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072',
    });
  });

  for (const [url, signature] of [
    ['/?lifecycle', 'fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543'],
    ['/?max-keys=2&prefix=J', '34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7'],
  ] as const) {
    it(`GET ${url}`, () => {
      const headers = docHeaders('host;x-amz-content-sha256;x-amz-date', signature);
      expect(verifySigV4({ method: 'GET', url, headers }, docOptions).accessKey).to.equal(DOC_KEY);
      // The query is part of what was signed.
      expect(refusal({ method: 'GET', url: `${url}&x=1`, headers }, docOptions).code).to.equal(
        'SignatureDoesNotMatch',
      );
    });
  }

  const presignedUrl =
    '/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404';
  const host = { host: 'examplebucket.s3.amazonaws.com' };

  it('a presigned GET, valid until it expires a day later', () => {
    const auth = verifySigV4({ method: 'GET', url: presignedUrl, headers: host }, docOptions);
    expect(auth.presigned).to.equal(true);
    expect(auth.payload).to.deep.equal({ mode: 'unsigned' });
    const late = { ...docOptions, now: () => Date.UTC(2013, 4, 25, 0, 0, 1) };
    const err = refusal({ method: 'GET', url: presignedUrl, headers: host }, late);
    expect([err.code, err.message]).to.deep.equal(['AccessDenied', 'Request has expired']);
    expect(err.fields.Expires).to.equal('2013-05-25T00:00:00.000Z');
    const early = { ...docOptions, now: () => Date.UTC(2013, 4, 23, 23, 44, 0) };
    expect(refusal({ method: 'GET', url: presignedUrl, headers: host }, early).message).to.equal(
      'Request is not valid yet',
    );
  });

  it('refuses a presigned request carrying x-amz-* headers its signer did not sign', () => {
    const err = refusal(
      {
        method: 'GET',
        url: presignedUrl,
        headers: { ...host, 'x-amz-copy-source': 'b/k', 'x-amz-meta-a': '1' },
      },
      docOptions,
    );
    expect(err.code).to.equal('AccessDenied');
    expect(err.fields.HeadersNotSigned).to.equal('x-amz-copy-source, x-amz-meta-a');
  });
});

describe('s3 sigv4: requests signed by the AWS SDK for JavaScript', () => {
  const commands: [string, Parameters<typeof sdkRequest>[0]][] = [
    [
      'PutObject, odd key and metadata',
      (c) =>
        c.send(
          new PutObjectCommand({
            Bucket: 'bucket',
            Key: "dir//../it's (a) *key* ü+%?#~.txt",
            Body: 'data',
            Metadata: { note: '  spaced   out  ' },
            ContentType: 'text/plain; charset=utf-8',
          }),
        ),
    ],
    [
      'GetObject with a Range',
      (c) => c.send(new GetObjectCommand({ Bucket: 'bucket', Key: 'a/b', Range: 'bytes=0-9' })),
    ],
    [
      'ListObjectsV2 with encoded parameters',
      (c) =>
        c.send(
          new ListObjectsV2Command({
            Bucket: 'bucket',
            Prefix: 'a b+c/ü',
            Delimiter: '/',
            StartAfter: "~!*()'",
          }),
        ),
    ],
    [
      'DeleteObjects (POST ?delete)',
      (c) =>
        c.send(
          new DeleteObjectsCommand({ Bucket: 'bucket', Delete: { Objects: [{ Key: 'a' }, { Key: 'b' }] } }),
        ),
    ],
    [
      'UploadPart',
      (c) =>
        c.send(
          new UploadPartCommand({
            Bucket: 'bucket',
            Key: 'k',
            UploadId: 'id+/=',
            PartNumber: 3,
            Body: 'part',
          }),
        ),
    ],
    [
      'CopyObject',
      (c) => c.send(new CopyObjectCommand({ Bucket: 'bucket', Key: 'to', CopySource: 'bucket/from%20x' })),
    ],
    ['HeadBucket', (c) => c.send(new HeadBucketCommand({ Bucket: 'bucket' }))],
  ];
  for (const [name, command] of commands) {
    it(`${name}: accepted, and refused once tampered`, async () => {
      const request = await sdkRequest(command);
      const auth = verifySigV4(request, options);
      expect(auth.accessKey).to.equal(KEY);
      const tampered: WireRequest[] = [
        { ...request, method: request.method === 'GET' ? 'HEAD' : 'GET' },
        { ...request, url: request.url.replace('/bucket', '/bucket2') },
        { ...request, url: `${request.url}${request.url.includes('?') ? '&' : '?'}acl` },
        { ...request, headers: { ...request.headers, host: 'evil.example:9000' } },
        {
          ...request,
          headers: {
            ...request.headers,
            'x-amz-date': (request.headers['x-amz-date'] ?? '').replace(
              /(\d)Z$/,
              (_, d) => `${(Number(d) + 1) % 10}Z`,
            ),
          },
        },
      ];
      if (request.url.includes('?'))
        tampered.push({ ...request, url: request.url.replace(/=([^&]*)/, '=$1x') });
      if (request.headers['content-type']) {
        tampered.push({ ...request, headers: { ...request.headers, 'content-type': 'text/html' } });
      }
      for (const t of tampered)
        expect(refusal(t).code, JSON.stringify(t.url)).to.equal('SignatureDoesNotMatch');
    });
  }

  it('reports the canonical request and string to sign of a mismatch, as S3 does', async () => {
    const request = await sdkRequest((c) => c.send(new GetObjectCommand({ Bucket: 'bucket', Key: 'k' })));
    const err = refusal({ ...request, url: '/bucket/other' });
    expect(err.status).to.equal(403);
    expect(err.fields.AWSAccessKeyId).to.equal(KEY);
    expect(err.fields.CanonicalRequest).to.match(/^GET\n\/bucket\/other\n/);
    expect(err.fields.StringToSign).to.match(
      /^AWS4-HMAC-SHA256\n\d{8}T\d{6}Z\n\d{8}\/eu-central-1\/s3\/aws4_request\n[0-9a-f]{64}$/,
    );
  });

  it('refuses a wrong secret, an unknown key and another region', async () => {
    const wrongSecret = await sdkRequest((c) => c.send(new HeadBucketCommand({ Bucket: 'bucket' })), {
      secret: 'nope',
    });
    expect(refusal(wrongSecret).code).to.equal('SignatureDoesNotMatch');
    const request = await sdkRequest((c) => c.send(new HeadBucketCommand({ Bucket: 'bucket' })));
    const unknown = refusal(request, { ...options, credentials: () => undefined });
    expect([unknown.code, unknown.status, unknown.fields.AWSAccessKeyId]).to.deep.equal([
      'InvalidAccessKeyId',
      403,
      KEY,
    ]);
    const otherRegion = await sdkRequest((c) => c.send(new HeadBucketCommand({ Bucket: 'bucket' })), {
      region: 'us-west-2',
    });
    const err = refusal(otherRegion);
    expect([err.code, err.status, err.fields.Region]).to.deep.equal([
      'AuthorizationHeaderMalformed',
      400,
      REGION,
    ]);
    expect(err.message).to.contain("the region 'us-west-2' is wrong; expecting 'eu-central-1'");
  });

  it('allows 15 minutes of clock skew either way, and no more', async () => {
    const request = await sdkRequest((c) => c.send(new HeadBucketCommand({ Bucket: 'bucket' })));
    const signedAt = Date.parse(
      (request.headers['x-amz-date'] ?? '').replace(
        /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/,
        '$1-$2-$3T$4:$5:$6Z',
      ),
    );
    for (const offset of [-14, 14]) {
      expect(verifySigV4(request, { ...options, now: () => signedAt + offset * 60_000 }).accessKey).to.equal(
        KEY,
      );
    }
    for (const offset of [-16, 16]) {
      const err = refusal(request, { ...options, now: () => signedAt + offset * 60_000 });
      expect([err.code, err.status]).to.deep.equal(['RequestTimeTooSkewed', 403]);
      expect(err.fields.MaxAllowedSkewMilliseconds).to.equal('900000');
      expect(err.fields.RequestTime).to.equal(request.headers['x-amz-date']);
    }
  });

  it('reads the payload mode from x-amz-content-sha256', async () => {
    const put = await sdkRequest((c) =>
      c.send(new PutObjectCommand({ Bucket: 'bucket', Key: 'k', Body: 'abc' })),
    );
    expect(verifySigV4(put, options).payload).to.deep.equal({
      mode: 'sha256',
      sha256: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    });
  });
});

describe('s3 sigv4: requests signed by botocore', () => {
  let signed: WireRequest[] = [];
  before(function () {
    if (!hasBotocore()) this.skip();
    // One Python process for every request: starting botocore takes most of a second.
    signed = botocoreSign([
      {
        method: 'PUT',
        url: 'http://127.0.0.1:9000/bucket/a%20b%2Bc%C3%BC',
        headers: { 'x-amz-meta-n': ' a  b ' },
        body: 'hi',
      },
      { method: 'GET', url: 'http://127.0.0.1:9000/bucket/?list-type=2&prefix=a%2Fb&encoding-type=url' },
      { method: 'POST', url: 'http://127.0.0.1:9000/bucket/k?uploads' },
      { method: 'PUT', url: 'http://localhost:9000/bucket/k?partNumber=2&uploadId=x%2By%3Dz', body: 'part' },
      { method: 'GET', url: 'http://127.0.0.1:9000/bucket/a%20b?versionId=null', presign: 300 },
    ]);
  });

  it('header-signed requests with folded whitespace, encoded paths and queries', () => {
    for (const request of signed.slice(0, 4)) {
      expect(verifySigV4(request, options).accessKey, request.url).to.equal(KEY);
      expect(refusal({ ...request, url: `${request.url}x` }).code).to.equal('SignatureDoesNotMatch');
    }
    expect(verifySigV4(signed[0] as WireRequest, options).payload).to.deep.equal({
      mode: 'sha256',
      sha256: '8f434346648f6b96df89dda901c5176b10a6d83961dd3c1ac88b59b2dc327aa4',
    });
  });

  it('presigned URLs', () => {
    const request = signed[4] as WireRequest;
    const auth = verifySigV4(request, options);
    expect([auth.presigned, auth.payload.mode]).to.deep.equal([true, 'unsigned']);
    expect(refusal({ ...request, url: request.url.replace('/a%20b', '/a%20c') }).code).to.equal(
      'SignatureDoesNotMatch',
    );
  });
});
