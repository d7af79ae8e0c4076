// The Authorization-header form of SigV4: `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`.

import { invalidArgument, S3Error } from './errors.js';
import { type HeaderMap, headerValue } from './headers.js';
import { ALGORITHM } from './sigv4-canonical.js';
import {
  type Claim,
  checkScope,
  formatAmzDate,
  MAX_SKEW_MS,
  malformed,
  parseAmzDate,
  parseCredential,
  parsePayload,
  parseSignedHeaders,
  unsupportedMechanism,
} from './sigv4-fields.js';

/** The claim of an `Authorization: AWS4-HMAC-SHA256 …` header, checked against region and clock. */
export function headerClaim(authorization: string, headers: HeaderMap, region: string, now: number): Claim {
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
    throw invalidArgument('Authorization', authorization, 'Unsupported Authorization Type');
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
  const credential = checkScope(parseCredential(credentialText), amzDate, false, region);
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
