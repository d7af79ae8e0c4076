// The fields of a SigV4 request: credential scope, timestamps, payload mode, and their checks.

import { invalidArgument, S3Error } from './errors.js';

/** The parts of `AKID/20130524/us-east-1/s3/aws4_request`. */
export interface Credential {
  accessKey: string;
  date: string;
  region: string;
  service: string;
  terminal: string;
}

/** Splits a credential; undefined when it does not have the five parts. */
export function parseCredential(text: string): Credential | undefined {
  const parts = text.split('/');
  // Access keys are taken from the right so that one containing `/` still parses.
  if (parts.length < 5) return undefined;
  const [date, region, service, terminal] = parts.slice(-4) as [string, string, string, string];
  const accessKey = parts.slice(0, -4).join('/');
  if (accessKey === '' || !/^\d{8}$/.test(date)) return undefined;
  return { accessKey, date, region, service, terminal };
}

/** Milliseconds since the epoch of an ISO 8601 basic timestamp `20130524T000000Z`, or undefined. */
export function parseAmzDate(text: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const time = Date.UTC(y, mo - 1, d, h, mi, s);
  // Date.UTC rolls 20130231 over to March; a real timestamp formats back to itself.
  return formatAmzDate(time) === text ? time : undefined;
}

/** `20130524T000000Z` for a time in milliseconds. */
export function formatAmzDate(time: number): string {
  return new Date(time)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/** How the body of an authenticated request is protected, from `x-amz-content-sha256`. */
export type Payload =
  /** The body's SHA-256 is signed: it must match this hex digest. */
  | { mode: 'sha256'; sha256: string }
  /** `UNSIGNED-PAYLOAD`: the body is not covered by the signature. */
  | { mode: 'unsigned' }
  /** `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`: aws-chunked, every chunk signed. */
  | { mode: 'signed-chunks' }
  /** `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`: signed chunks and signed trailers. */
  | { mode: 'signed-chunks-trailer' }
  /** `STREAMING-UNSIGNED-PAYLOAD-TRAILER`: aws-chunked, unsigned, a checksum trailer. */
  | { mode: 'unsigned-chunks-trailer' };

const MODES: Record<string, Payload> = {
  'UNSIGNED-PAYLOAD': { mode: 'unsigned' },
  'STREAMING-AWS4-HMAC-SHA256-PAYLOAD': { mode: 'signed-chunks' },
  'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER': { mode: 'signed-chunks-trailer' },
  'STREAMING-UNSIGNED-PAYLOAD-TRAILER': { mode: 'unsigned-chunks-trailer' },
};

/** The payload mode an `x-amz-content-sha256` value names; InvalidArgument for anything else. */
export function parsePayload(value: string): Payload {
  if (/^[0-9a-fA-F]{64}$/.test(value)) return { mode: 'sha256', sha256: value.toLowerCase() };
  const mode = MODES[value];
  if (mode) return mode;
  if (value.startsWith('STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD')) {
    throw new S3Error(
      'NotImplemented',
      'SigV4a (AWS4-ECDSA-P256-SHA256) signing is not implemented by this server',
    );
  }
  throw invalidArgument(
    'x-amz-content-sha256',
    value,
    'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, or a valid sha256 value.',
  );
}

/** The answer S3 gives to Signature Version 2 (and any other scheme it has retired). */
export function unsupportedMechanism(): S3Error {
  return new S3Error(
    'InvalidRequest',
    'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.',
  );
}

/** The list of SignedHeaders: lower-case header names separated by `;`; undefined if malformed. */
export function parseSignedHeaders(text: string): string[] | undefined {
  const names = text.split(';');
  return names.every((n) => /^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(n)) ? names : undefined;
}

/** Clock skew S3 tolerates, in ms. */
export const MAX_SKEW_MS = 15 * 60 * 1000;
/** The longest a presigned URL may live, in seconds. */
export const MAX_PRESIGN_SECONDS = 604_800;

/** The fields common to both ways of signing, once parsed. */
export interface Claim {
  credential: Credential;
  signedHeaders: string[];
  signature: string;
  amzDate: string;
  payloadHash: string;
  presigned: boolean;
}

/** AuthorizationHeaderMalformed, or AuthorizationQueryParametersError for a presigned URL. */
export function malformed(presigned: boolean, detail: string): S3Error {
  return presigned
    ? new S3Error(
        'AuthorizationQueryParametersError',
        `Error parsing the X-Amz-Credential parameter; ${detail}`,
      )
    : new S3Error('AuthorizationHeaderMalformed', `The authorization header is malformed; ${detail}`);
}

/** Checks the credential scope against the gateway: region, service, terminal, date. */
export function checkScope(
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
