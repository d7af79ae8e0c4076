// AWS Signature Version 4 verification of S3 requests: Authorization header and presigned URLs.

import { S3Error } from './errors.js';
import { type HeaderMap, headerValue } from './headers.js';
import { parseRequestTarget, queryMap } from './request-target.js';
import {
  ALGORITHM,
  canonicalQuery,
  canonicalRequest,
  canonicalUris,
  sameSignature,
  sign,
  signingKey,
  stringToSign,
} from './sigv4-canonical.js';
import {
  type Credential,
  formatAmzDate,
  type Payload,
  parseAmzDate,
  parseCredential,
  parsePayload,
  parseSignedHeaders,
  unsupportedMechanism,
} from './sigv4-fields.js';

/** Finds the secret of an access key; undefined for an unknown key. */
export type CredentialLookup = (accessKey: string) => string | undefined;

/** What the verifier needs to know about the gateway. */
export interface SigV4Options {
  /** The gateway's region; requests signed for another are refused naming this one. */
  region: string;
  credentials: CredentialLookup;
  /** The clock, ms since the epoch; default Date.now. */
  now?: () => number;
}

/** The parts of a request that its signature covers. */
export interface SignedRequest {
  method: string;
  /** The request target exactly as received (Node's `req.url`). */
  url: string;
  /** Lower-case header names; repeated headers as arrays (`req.headersDistinct`). */
  headers: HeaderMap;
}

/** What the aws-chunked decoder needs to check chunk signatures. */
export interface ChunkSigning {
  signingKey: Buffer;
  /** The request timestamp, `20130524T000000Z`. */
  amzDate: string;
  /** `20130524/us-east-1/s3/aws4_request`. */
  scope: string;
  /** The request's own signature, which the first chunk's signature chains from. */
  seedSignature: string;
}

/** A request whose signature checked out. */
export interface Authenticated {
  accessKey: string;
  presigned: boolean;
  payload: Payload;
  signing: ChunkSigning;
}

/** Clock skew S3 tolerates, and the longest a presigned URL may live. */
export const MAX_SKEW_MS = 15 * 60 * 1000;
export const MAX_PRESIGN_SECONDS = 604_800;

/** The fields common to both ways of signing, once parsed. */
interface Claim {
  credential: Credential;
  signedHeaders: string[];
  signature: string;
  amzDate: string;
  payloadHash: string;
  presigned: boolean;
}

/**
 * Verifies a request's SigV4 signature (Authorization header or presigned query) and returns who
 * signed it and how its body is protected; throws the S3Error S3 would answer otherwise.
 */
export function verifySigV4(request: SignedRequest, options: SigV4Options): Authenticated {
  const now = (options.now ?? Date.now)();
  const target = parseRequestTarget(request.url);
  const query = queryMap(target.params);
  const authorization = headerValue(request.headers, 'authorization');
  const queryV4 =
    query.has('X-Amz-Algorithm') || query.has('X-Amz-Signature') || query.has('X-Amz-Credential');
  const queryV2 = query.has('Signature') && query.has('AWSAccessKeyId');
  if (authorization !== undefined && (queryV4 || queryV2)) {
    throw new S3Error(
      'InvalidArgument',
      'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified',
      { fields: { ArgumentName: 'Authorization', ArgumentValue: authorization } },
    );
  }
  let claim: Claim;
  if (authorization !== undefined) claim = headerClaim(authorization, request.headers, options, now);
  else if (queryV4) claim = queryClaim(query, request.headers, options, now);
  else if (queryV2) throw unsupportedMechanism();
  else
    throw new S3Error(
      'AccessDenied',
      'Anonymous access is not allowed; sign the request with AWS Signature V4',
    );

  const { credential, signedHeaders, signature, amzDate, payloadHash } = claim;
  if (!signedHeaders.includes('host')) {
    throw malformed(claim.presigned, 'the SignedHeaders must include host');
  }
  const secret = options.credentials(credential.accessKey);
  if (secret === undefined) {
    throw new S3Error('InvalidAccessKeyId', undefined, { fields: { AWSAccessKeyId: credential.accessKey } });
  }
  if (claim.presigned) refuseUnsignedAmzHeaders(request.headers, signedHeaders);
  const key = signingKey(secret, credential.date, credential.region, credential.service);
  const scope = `${credential.date}/${credential.region}/${credential.service}/${credential.terminal}`;
  const cq = canonicalQuery(target.params, claim.presigned ? 'X-Amz-Signature' : undefined);
  let first: { request: string; toSign: string } | undefined;
  for (const uri of canonicalUris(target.rawPath)) {
    const cr = canonicalRequest(request.method, uri, cq, signedHeaders, request.headers, payloadHash);
    const toSign = stringToSign(amzDate, scope, cr);
    first ??= { request: cr, toSign };
    if (sameSignature(sign(key, toSign), signature)) {
      return {
        accessKey: credential.accessKey,
        presigned: claim.presigned,
        payload: claim.presigned ? presignedPayload(payloadHash) : parsePayload(payloadHash),
        signing: { signingKey: key, amzDate, scope, seedSignature: signature },
      };
    }
  }
  throw new S3Error('SignatureDoesNotMatch', undefined, {
    fields: {
      AWSAccessKeyId: credential.accessKey,
      StringToSign: first?.toSign ?? '',
      SignatureProvided: signature,
      CanonicalRequest: first?.request ?? '',
    },
  });
}

function malformed(presigned: boolean, detail: string): S3Error {
  return presigned
    ? new S3Error(
        'AuthorizationQueryParametersError',
        `Error parsing the X-Amz-Credential parameter; ${detail}`,
      )
    : new S3Error('AuthorizationHeaderMalformed', `The authorization header is malformed; ${detail}`);
}

/** Checks the credential scope against the gateway: region, service, terminal, date. */
function checkScope(
  credential: Credential | undefined,
  amzDate: string,
  presigned: boolean,
  region: string,
): Credential {
  if (!credential) {
    throw malformed(
      presigned,
      'the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".',
    );
  }
  if (credential.region !== region) {
    const error = malformed(presigned, `the region '${credential.region}' is wrong; expecting '${region}'`);
    throw new S3Error(error.code, error.message, { fields: { Region: region } });
  }
  if (credential.service !== 's3') {
    throw malformed(presigned, `incorrect service "${credential.service}". This endpoint belongs to "s3".`);
  }
  if (credential.terminal !== 'aws4_request') {
    throw malformed(
      presigned,
      `incorrect terminal "${credential.terminal}". This endpoint uses "aws4_request".`,
    );
  }
  if (credential.date !== amzDate.slice(0, 8)) {
    throw malformed(presigned, 'Invalid credential date. Date is not the same as X-Amz-Date.');
  }
  return credential;
}

function headerClaim(authorization: string, headers: HeaderMap, options: SigV4Options, now: number): Claim {
  const text = authorization.trim();
  const space = text.search(/\s/);
  const scheme = space < 0 ? text : text.slice(0, space);
  const rest = space < 0 ? '' : text.slice(space);
  if (scheme === 'AWS') throw unsupportedMechanism();
  if (scheme === 'AWS4-ECDSA-P256-SHA256') {
    throw new S3Error(
      'NotImplemented',
      'SigV4a (AWS4-ECDSA-P256-SHA256) signing is not implemented by this server',
    );
  }
  if (scheme !== ALGORITHM) {
    throw new S3Error('InvalidArgument', 'Unsupported Authorization Type', {
      fields: { ArgumentName: 'Authorization', ArgumentValue: authorization },
    });
  }
  const fields = new Map<string, string>();
  for (const part of rest.split(',')) {
    const eq = part.indexOf('=');
    const name = part.slice(0, Math.max(eq, 0)).trim();
    if (eq < 0 || fields.has(name)) throw malformed(false, `the component "${part.trim()}" is malformed.`);
    fields.set(name, part.slice(eq + 1).trim());
  }
  const credentialText = fields.get('Credential');
  const signedText = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (
    credentialText === undefined ||
    signedText === undefined ||
    signature === undefined ||
    fields.size !== 3
  ) {
    throw malformed(
      false,
      'the authorization header requires three components: Credential, SignedHeaders, and Signature.',
    );
  }
  const signedHeaders = parseSignedHeaders(signedText);
  if (!signedHeaders) throw malformed(false, 'the SignedHeaders component is malformed.');
  const { amzDate, time, sent } = requestDate(headers);
  const credential = checkScope(parseCredential(credentialText), amzDate, false, options.region);
  if (Math.abs(now - time) > MAX_SKEW_MS) {
    throw new S3Error('RequestTimeTooSkewed', undefined, {
      fields: {
        RequestTime: sent,
        ServerTime: new Date(now).toISOString(),
        MaxAllowedSkewMilliseconds: String(MAX_SKEW_MS),
      },
    });
  }
  const payloadHash = headerValue(headers, 'x-amz-content-sha256');
  if (payloadHash === undefined) {
    throw new S3Error('InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
  }
  parsePayload(payloadHash);
  return {
    credential,
    signedHeaders,
    signature,
    amzDate,
    payloadHash,
    presigned: false,
  };
}

/** The request time from `x-amz-date`, else `Date`; AccessDenied when neither is valid. */
function requestDate(headers: HeaderMap): { amzDate: string; time: number; sent: string } {
  const amz = headerValue(headers, 'x-amz-date');
  const date = headerValue(headers, 'date');
  const sent = amz ?? date ?? '';
  const time = amz !== undefined ? parseAmzDate(amz) : date !== undefined ? Date.parse(date) : undefined;
  if (time === undefined || Number.isNaN(time)) {
    throw new S3Error('AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header');
  }
  return { amzDate: formatAmzDate(time), time, sent };
}

const QUERY_FIELDS = [
  'X-Amz-Algorithm',
  'X-Amz-Credential',
  'X-Amz-Signature',
  'X-Amz-Date',
  'X-Amz-SignedHeaders',
  'X-Amz-Expires',
] as const;

function queryError(message: string): S3Error {
  return new S3Error('AuthorizationQueryParametersError', message);
}

function queryClaim(
  query: Map<string, string>,
  headers: HeaderMap,
  options: SigV4Options,
  now: number,
): Claim {
  const [algorithm, credentialText, signature, amzDate, signedText, expiresText] = QUERY_FIELDS.map((name) =>
    query.get(name),
  );
  if (
    algorithm === undefined ||
    credentialText === undefined ||
    signature === undefined ||
    amzDate === undefined ||
    signedText === undefined ||
    expiresText === undefined
  ) {
    throw queryError(
      'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.',
    );
  }
  if (algorithm !== ALGORITHM) throw queryError('X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"');
  const time = parseAmzDate(amzDate);
  if (time === undefined)
    throw queryError("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"");
  if (!/^\d{1,7}$/.test(expiresText)) throw queryError('X-Amz-Expires should be a number');
  const expires = Number(expiresText);
  if (expires > MAX_PRESIGN_SECONDS) {
    throw queryError('X-Amz-Expires must be less than a week (in seconds) that is 604800');
  }
  if (expires < 1) throw queryError('X-Amz-Expires must be at least 1 second');
  const signedHeaders = parseSignedHeaders(signedText);
  if (!signedHeaders) throw queryError('X-Amz-SignedHeaders is malformed.');
  const credential = checkScope(parseCredential(credentialText), amzDate, true, options.region);
  if (time - now > MAX_SKEW_MS) throw new S3Error('AccessDenied', 'Request is not valid yet');
  if (now > time + expires * 1000) {
    throw new S3Error('AccessDenied', 'Request has expired', {
      fields: {
        'X-Amz-Expires': expiresText,
        Expires: new Date(time + expires * 1000).toISOString(),
        ServerTime: new Date(now).toISOString(),
      },
    });
  }
  // A presigned URL signs no body unless the signer put a hash in the query (the JS SDK hoists
  // its `x-amz-content-sha256: UNSIGNED-PAYLOAD` header there, lower-case) or in a header.
  const hashParam = [...query.keys()].find((name) => name.toLowerCase() === 'x-amz-content-sha256');
  const payloadHash =
    (hashParam && query.get(hashParam)) ?? headerValue(headers, 'x-amz-content-sha256') ?? 'UNSIGNED-PAYLOAD';
  return { credential, signedHeaders, signature, amzDate, payloadHash, presigned: true };
}

function presignedPayload(payloadHash: string): Payload {
  const payload = parsePayload(payloadHash);
  if (payload.mode !== 'sha256' && payload.mode !== 'unsigned') {
    throw new S3Error('InvalidRequest', 'aws-chunked payloads cannot be sent with a presigned URL');
  }
  return payload;
}

/**
 * S3 refuses a presigned request carrying `x-amz-*` headers its signer did not sign: whoever
 * holds the URL must not add, say, `x-amz-copy-source` or metadata to it.
 */
function refuseUnsignedAmzHeaders(headers: HeaderMap, signed: readonly string[]): void {
  const unsigned = Object.keys(headers).filter(
    (name) => name.startsWith('x-amz-') && headers[name] !== undefined && !signed.includes(name),
  );
  if (unsigned.length > 0) {
    throw new S3Error('AccessDenied', 'There were headers present in the request which were not signed', {
      fields: { HeadersNotSigned: unsigned.join(', ') },
    });
  }
}
