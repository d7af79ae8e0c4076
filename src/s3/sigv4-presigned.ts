// The presigned-URL form of SigV4: X-Amz-* query parameters, expiry, headers that must be signed.

import { S3Error } from './errors.js';
import { type HeaderMap, headerValue } from './headers.js';
import { ALGORITHM } from './sigv4-canonical.js';
import {
  type Claim,
  checkScope,
  MAX_PRESIGN_SECONDS,
  MAX_SKEW_MS,
  type Payload,
  parseAmzDate,
  parseCredential,
  parsePayload,
  parseSignedHeaders,
} from './sigv4-fields.js';

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

/** The claim of a presigned URL's query, checked against region, clock and expiry. */
export function queryClaim(
  query: Map<string, string>,
  headers: HeaderMap,
  region: string,
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
  const credential = checkScope(parseCredential(credentialText), amzDate, true, region);
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

/** The payload mode of a presigned request: a signed hash or unsigned, never aws-chunked. */
export function presignedPayload(payloadHash: string): Payload {
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
export function refuseUnsignedAmzHeaders(headers: HeaderMap, signed: readonly string[]): void {
  const unsigned = Object.keys(headers).filter(
    (name) => name.startsWith('x-amz-') && headers[name] !== undefined && !signed.includes(name),
  );
  if (unsigned.length > 0) {
    throw new S3Error('AccessDenied', 'There were headers present in the request which were not signed', {
      fields: { HeadersNotSigned: unsigned.join(', ') },
    });
  }
}
