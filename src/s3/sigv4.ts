// AWS Signature Version 4 verification of S3 requests: Authorization header and presigned URLs.

import { invalidArgument, S3Error } from './errors.js';
import { type HeaderMap, headerValue } from './headers.js';
import { parseRequestTarget, queryMap } from './request-target.js';
import {
  canonicalQuery,
  canonicalRequest,
  canonicalUris,
  sameSignature,
  sign,
  signingKey,
  stringToSign,
} from './sigv4-canonical.js';
import { type Claim, malformed, type Payload, parsePayload, unsupportedMechanism } from './sigv4-fields.js';
import { headerClaim } from './sigv4-header.js';
import { presignedPayload, queryClaim, refuseUnsignedAmzHeaders } from './sigv4-presigned.js';

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

/** Whether a request carries any AWS authentication: an Authorization header, or a signed query. */
export function isAuthenticated(
  authorization: string | undefined,
  query: { has(name: string): boolean },
): boolean {
  return authorization !== undefined || queryV4(query) || queryV2(query);
}

const queryV4 = (query: { has(name: string): boolean }) =>
  query.has('X-Amz-Algorithm') || query.has('X-Amz-Signature') || query.has('X-Amz-Credential');
const queryV2 = (query: { has(name: string): boolean }) =>
  query.has('Signature') && query.has('AWSAccessKeyId');

/**
 * Verifies a request's SigV4 signature (Authorization header or presigned query) and returns who
 * signed it and how its body is protected; throws the S3Error S3 would answer otherwise.
 */
export function verifySigV4(request: SignedRequest, options: SigV4Options): Authenticated {
  const now = (options.now ?? Date.now)();
  const target = parseRequestTarget(request.url);
  const query = queryMap(target.params);
  const authorization = headerValue(request.headers, 'authorization');
  const signedQuery = queryV4(query);
  if (authorization !== undefined && (signedQuery || queryV2(query))) {
    throw invalidArgument(
      'Authorization',
      authorization,
      'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified',
    );
  }
  let claim: Claim;
  if (authorization !== undefined) claim = headerClaim(authorization, request.headers, options.region, now);
  else if (signedQuery) claim = queryClaim(query, request.headers, options.region, now);
  else if (queryV2(query)) throw unsupportedMechanism();
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
