// SigV4 refusals: malformed or missing authentication, retired schemes, presigned URL limits.

import { expect } from 'chai';
import { S3Error } from '../../src/s3/errors.js';
import type { HeaderMap } from '../../src/s3/headers.js';
import { parseRequestTarget } from '../../src/s3/request-target.js';
import { type SignedRequest, type SigV4Options, verifySigV4 } from '../../src/s3/sigv4.js';
import {
  canonicalHeaderValue,
  canonicalQuery,
  canonicalRequest,
  sign,
  signingKey,
  stringToSign,
} from '../../src/s3/sigv4-canonical.js';
import { formatAmzDate, parseAmzDate } from '../../src/s3/sigv4-fields.js';
import { KEY, REGION, SECRET, sdkSigner } from '../helpers/s3-signers.js';

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const AMZ_DATE = formatAmzDate(NOW);
const DAY = AMZ_DATE.slice(0, 8);
const EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const options: SigV4Options = {
  region: REGION,
  credentials: (k) => (k === KEY || k === 'team/alice' ? SECRET : undefined),
  now: () => NOW,
};

function refusal(request: SignedRequest, opts: SigV4Options = options): S3Error {
  try {
    verifySigV4(request, opts);
  } catch (err) {
    expect(err).to.be.instanceOf(S3Error);
    return err as S3Error;
  }
  throw new Error('the request was accepted');
}

/** A header-signed request made with our own primitives, for shapes no SDK produces. */
function selfSigned(
  overrides: { url?: string; headers?: Record<string, string | string[] | undefined>; key?: string } = {},
): SignedRequest {
  const headers: Record<string, string | string[]> = {};
  const given = {
    host: 'gw.example:5004',
    'x-amz-date': AMZ_DATE,
    'x-amz-content-sha256': EMPTY,
    ...overrides.headers,
  };
  for (const [name, value] of Object.entries(given)) if (value !== undefined) headers[name] = value;
  const signed = Object.keys(headers).sort();
  const url = overrides.url ?? '/bucket/key';
  const target = parseRequestTarget(url);
  const sent = headers['x-amz-date'];
  const amzDate = formatAmzDate(
    sent === undefined ? Date.parse(String(headers.date)) : (parseAmzDate(String(sent)) ?? 0),
  );
  const cr = canonicalRequest(
    'GET',
    target.rawPath,
    canonicalQuery(target.params),
    signed,
    headers as HeaderMap,
    String(headers['x-amz-content-sha256']),
  );
  const scope = `${amzDate.slice(0, 8)}/${REGION}/s3/aws4_request`;
  const signature = sign(
    signingKey(SECRET, amzDate.slice(0, 8), REGION, 's3'),
    stringToSign(amzDate, scope, cr),
  );
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${overrides.key ?? KEY}/${scope}, SignedHeaders=${signed.join(';')}, Signature=${signature}`;
  return { method: 'GET', url, headers };
}

function withAuthorization(authorization: string, extra: Record<string, string> = {}): SignedRequest {
  return {
    method: 'GET',
    url: '/bucket/key',
    headers: { host: 'gw', 'x-amz-date': AMZ_DATE, 'x-amz-content-sha256': EMPTY, authorization, ...extra },
  };
}

describe('s3 sigv4: refusals', () => {
  it('accepts its own signatures, with a Date header only, and an access key containing /', () => {
    expect(verifySigV4(selfSigned(), options).accessKey).to.equal(KEY);
    const dated = selfSigned({ headers: { 'x-amz-date': undefined, date: new Date(NOW).toUTCString() } });
    expect(dated.headers['x-amz-date']).to.equal(undefined);
    expect(verifySigV4(dated, options).signing.amzDate).to.equal(AMZ_DATE);
    expect(verifySigV4(selfSigned({ key: 'team/alice' }), options).accessKey).to.equal('team/alice');
  });

  it('refuses anonymous requests', () => {
    const err = refusal({ method: 'GET', url: '/bucket/key', headers: { host: 'gw' } });
    expect([err.code, err.status]).to.deep.equal(['AccessDenied', 403]);
  });

  it('answers Signature Version 2 as S3 does: use AWS4-HMAC-SHA256', () => {
    for (const request of [
      withAuthorization(`AWS ${KEY}:frJIUN8DYpKDtOLCwo//yllqDzg=`),
      {
        method: 'GET',
        url: `/bucket/key?AWSAccessKeyId=${KEY}&Expires=1700000000&Signature=abc%3D`,
        headers: { host: 'gw' },
      },
    ]) {
      const err = refusal(request);
      expect([err.code, err.status]).to.deep.equal(['InvalidRequest', 400]);
      expect(err.message).to.equal(
        'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.',
      );
    }
  });

  it('refuses SigV4a, unknown schemes and two mechanisms at once', () => {
    expect(refusal(withAuthorization('AWS4-ECDSA-P256-SHA256 Credential=x')).code).to.equal('NotImplemented');
    expect(refusal(withAuthorization('Bearer abc')).code).to.equal('InvalidArgument');
    const both = selfSigned({ url: '/bucket/key?X-Amz-Algorithm=AWS4-HMAC-SHA256' });
    expect(refusal(both).code).to.equal('InvalidArgument');
  });

  const scope = `${DAY}/${REGION}/s3/aws4_request`;
  const sig = 'a'.repeat(64);
  const malformed: [string, string][] = [
    ['no components', 'AWS4-HMAC-SHA256'],
    ['garbage', 'AWS4-HMAC-SHA256 foo'],
    ['no Signature', `AWS4-HMAC-SHA256 Credential=${KEY}/${scope}, SignedHeaders=host`],
    [
      'a repeated component',
      `AWS4-HMAC-SHA256 Credential=${KEY}/${scope}, Credential=${KEY}/${scope}, SignedHeaders=host, Signature=${sig}`,
    ],
    [
      'an unknown component',
      `AWS4-HMAC-SHA256 Credential=${KEY}/${scope}, SignedHeaders=host, Signature=${sig}, Extra=1`,
    ],
    [
      'a short credential',
      `AWS4-HMAC-SHA256 Credential=${KEY}/${DAY}/${REGION}, SignedHeaders=host, Signature=${sig}`,
    ],
    [
      'a credential date that is not a date',
      `AWS4-HMAC-SHA256 Credential=${KEY}/2026-01-15/${REGION}/s3/aws4_request, SignedHeaders=host, Signature=${sig}`,
    ],
    [
      'another service',
      `AWS4-HMAC-SHA256 Credential=${KEY}/${DAY}/${REGION}/ec2/aws4_request, SignedHeaders=host, Signature=${sig}`,
    ],
    [
      'another terminal',
      `AWS4-HMAC-SHA256 Credential=${KEY}/${DAY}/${REGION}/s3/aws5_request, SignedHeaders=host, Signature=${sig}`,
    ],
    [
      'a credential date that is not the request date',
      `AWS4-HMAC-SHA256 Credential=${KEY}/20260114/${REGION}/s3/aws4_request, SignedHeaders=host, Signature=${sig}`,
    ],
    [
      'upper-case signed headers',
      `AWS4-HMAC-SHA256 Credential=${KEY}/${scope}, SignedHeaders=Host, Signature=${sig}`,
    ],
    ['empty signed headers', `AWS4-HMAC-SHA256 Credential=${KEY}/${scope}, SignedHeaders=, Signature=${sig}`],
    [
      'unsigned host',
      `AWS4-HMAC-SHA256 Credential=${KEY}/${scope}, SignedHeaders=x-amz-date, Signature=${sig}`,
    ],
  ];
  for (const [name, authorization] of malformed) {
    it(`refuses an Authorization header with ${name}: AuthorizationHeaderMalformed`, () => {
      const err = refusal(withAuthorization(authorization));
      expect([err.code, err.status]).to.deep.equal(['AuthorizationHeaderMalformed', 400]);
    });
  }

  it('needs a valid x-amz-date or Date', () => {
    const header = `AWS4-HMAC-SHA256 Credential=${KEY}/${scope}, SignedHeaders=host, Signature=${sig}`;
    for (const date of [undefined, '2026-01-15T12:00:00Z', '20260231T000000Z']) {
      const request = withAuthorization(header);
      const headers = request.headers as Record<string, string | undefined>;
      headers['x-amz-date'] = date;
      const err = refusal(request);
      expect([err.code, err.message]).to.deep.equal([
        'AccessDenied',
        'AWS authentication requires a valid Date or x-amz-date header',
      ]);
    }
  });

  it('needs x-amz-content-sha256 naming a hash or a known mode', () => {
    const header = `AWS4-HMAC-SHA256 Credential=${KEY}/${scope}, SignedHeaders=host, Signature=${sig}`;
    const missing = withAuthorization(header);
    delete (missing.headers as Record<string, unknown>)['x-amz-content-sha256'];
    expect(refusal(missing).code).to.equal('InvalidRequest');
    expect(refusal(withAuthorization(header, { 'x-amz-content-sha256': 'abc' })).code).to.equal(
      'InvalidArgument',
    );
    const ecdsa = withAuthorization(header, {
      'x-amz-content-sha256': 'STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD',
    });
    expect(refusal(ecdsa).code).to.equal('NotImplemented');
  });

  it('reports each streaming mode', () => {
    const modes = {
      'UNSIGNED-PAYLOAD': 'unsigned',
      'STREAMING-AWS4-HMAC-SHA256-PAYLOAD': 'signed-chunks',
      'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER': 'signed-chunks-trailer',
      'STREAMING-UNSIGNED-PAYLOAD-TRAILER': 'unsigned-chunks-trailer',
    };
    for (const [value, mode] of Object.entries(modes)) {
      expect(
        verifySigV4(selfSigned({ headers: { 'x-amz-content-sha256': value } }), options).payload,
      ).to.deep.equal({
        mode,
      });
    }
  });

  it('canonicalises repeated headers and runs of spaces', () => {
    expect(canonicalHeaderValue(['  a   b ', 'c\t\td'])).to.equal('a b,c d');
    expect(canonicalHeaderValue(undefined)).to.equal('');
    const request = selfSigned({ headers: { 'x-amz-meta-list': ['one', ' two  three '] } });
    expect(verifySigV4(request, options).accessKey).to.equal(KEY);
    const joined = { ...request, headers: { ...request.headers, 'x-amz-meta-list': 'one, two three' } };
    expect(refusal(joined).code).to.equal('SignatureDoesNotMatch');
  });

  it('parses only real timestamps', () => {
    expect(parseAmzDate('20130524T000000Z')).to.equal(Date.UTC(2013, 4, 24));
    for (const bad of [
      '20130532T000000Z',
      '20130524T250000Z',
      '20130524T000000',
      '2013-05-24T00:00:00Z',
      '',
    ]) {
      expect(parseAmzDate(bad), bad).to.equal(undefined);
    }
  });
});

describe('s3 sigv4: presigned URL limits', () => {
  async function presign(expiresIn: number, region = REGION) {
    const signed = await sdkSigner(region).presign(
      // As @aws-sdk/s3-request-presigner prepares it: the payload declared unsigned.
      {
        method: 'GET',
        protocol: 'http:',
        hostname: 'gw',
        path: '/bucket/a%20b',
        query: {},
        headers: { host: 'gw', 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
      },
      { expiresIn, signingDate: new Date(NOW) },
    );
    const query = new URLSearchParams(signed.query as Record<string, string>).toString();
    return { method: 'GET', url: `/bucket/a%20b?${query}`, headers: { host: 'gw' } };
  }
  const at = (ms: number): SigV4Options => ({ ...options, now: () => ms });

  it('accepts a URL for up to a week, until it expires', async () => {
    const request = await presign(604_800);
    expect(verifySigV4(request, at(NOW + 604_799_000)).presigned).to.equal(true);
    expect(refusal(request, at(NOW + 604_801_000)).message).to.equal('Request has expired');
  });

  it('refuses X-Amz-Expires outside 1..604800 and malformed parameters', async () => {
    const request = await presign(60);
    const edits: [string, string, string][] = [
      [
        'X-Amz-Expires=60',
        'X-Amz-Expires=604801',
        'X-Amz-Expires must be less than a week (in seconds) that is 604800',
      ],
      ['X-Amz-Expires=60', 'X-Amz-Expires=0', 'X-Amz-Expires must be at least 1 second'],
      ['X-Amz-Expires=60', 'X-Amz-Expires=-1', 'X-Amz-Expires should be a number'],
      [
        'X-Amz-Algorithm=AWS4-HMAC-SHA256',
        'X-Amz-Algorithm=AWS4-HMAC-SHA1',
        'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"',
      ],
      [
        `X-Amz-Date=${AMZ_DATE}`,
        'X-Amz-Date=2026-01-15',
        "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"",
      ],
    ];
    for (const [from, to, message] of edits) {
      expect(request.url).to.contain(from);
      const err = refusal({ ...request, url: request.url.replace(from, to) });
      expect([err.code, err.status, err.message]).to.deep.equal([
        'AuthorizationQueryParametersError',
        400,
        message,
      ]);
    }
    const missing = refusal({ ...request, url: request.url.replace(/&X-Amz-Signature=[0-9a-f]+/, '') });
    expect(missing.code).to.equal('AuthorizationQueryParametersError');
    expect(missing.message).to.contain('requires the X-Amz-Algorithm');
  });

  it('refuses another region naming ours, and any tampering', async () => {
    const err = refusal(await presign(60, 'us-east-1'));
    expect([err.code, err.fields.Region]).to.deep.equal(['AuthorizationQueryParametersError', REGION]);
    const request = await presign(60);
    expect(refusal({ ...request, url: request.url.replace('a%20b', 'a%20c') }).code).to.equal(
      'SignatureDoesNotMatch',
    );
    expect(refusal({ ...request, url: `${request.url}&response-content-type=text%2Fhtml` }).code).to.equal(
      'SignatureDoesNotMatch',
    );
    expect(refusal({ ...request, method: 'PUT' }).code).to.equal('SignatureDoesNotMatch');
  });
});
