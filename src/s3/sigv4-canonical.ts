// The pieces of AWS Signature V4: canonical request, string to sign, signing key, chunk strings.

import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { HeaderMap } from './headers.js';
import type { QueryParam } from './request-target.js';
import { percentDecode, uriEncode } from './uri.js';

/** The only signing algorithm the gateway accepts. */
export const ALGORITHM = 'AWS4-HMAC-SHA256';
/** SHA-256 of nothing, in hex: the payload hash of an empty body. */
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** Hex SHA-256 of `data`. */
export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** HMAC-SHA256 of `data` under `key`. */
export function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

const keyCache = new Map<string, Buffer>();
// Enough for every key of a busy gateway over a day or two of scopes; cleared when exceeded.
const KEY_CACHE_LIMIT = 1024;

/** The SigV4 signing key for a secret and scope, cached per (secret, date, region, service). */
export function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  const id = `${date}\n${region}\n${service}\n${secret}`;
  let key = keyCache.get(id);
  if (!key) {
    key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
    if (keyCache.size >= KEY_CACHE_LIMIT) keyCache.clear();
    keyCache.set(id, key);
  }
  return key;
}

/** Constant-time comparison of two signatures (hex strings). */
export function sameSignature(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * The canonical URIs a signer may have used for `rawPath`: first the path exactly as sent (S3
 * does not normalise `.`, `..` or `//`, and encodes once), then — if different — the path decoded
 * and re-encoded the way SDKs encode, for clients whose HTTP stack sends some characters raw that
 * their signer encoded (AWS's own `test$file.text` example). Both name the same decoded key.
 */
export function canonicalUris(rawPath: string): string[] {
  const decoded = percentDecode(rawPath);
  if (decoded === undefined) return [rawPath];
  const reencoded = uriEncode(decoded, true);
  return reencoded === rawPath ? [rawPath] : [rawPath, reencoded];
}

/** The canonical query string: each name and value re-encoded, sorted by name then value. */
export function canonicalQuery(params: readonly QueryParam[], exclude?: string): string {
  return params
    .filter((p) => p.name !== exclude)
    .map((p) => [uriEncode(p.name), uriEncode(p.value)] as const)
    .sort(([an, av], [bn, bv]) => (an < bn ? -1 : an > bn ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
}

/** A header's canonical value: each value trimmed, runs of spaces folded, repeats joined by commas. */
export function canonicalHeaderValue(value: string | readonly string[] | undefined): string {
  const values = value === undefined ? [] : typeof value === 'string' ? [value] : value;
  return values.map((v) => v.trim().replace(/\s+/g, ' ')).join(',');
}

/** The canonical request of SigV4 from its already canonical parts. */
export function canonicalRequest(
  method: string,
  canonicalUri: string,
  query: string,
  signedHeaders: readonly string[],
  headers: HeaderMap,
  payloadHash: string,
): string {
  const lines = signedHeaders.map((name) => `${name}:${canonicalHeaderValue(headers[name])}\n`).join('');
  return `${method}\n${canonicalUri}\n${query}\n${lines}\n${signedHeaders.join(';')}\n${payloadHash}`;
}

/** The string to sign of a request. */
export function stringToSign(amzDate: string, scope: string, request: string): string {
  return `${ALGORITHM}\n${amzDate}\n${scope}\n${sha256Hex(request)}`;
}

/** The string to sign of one aws-chunked chunk, chained to the previous signature. */
export function chunkStringToSign(
  amzDate: string,
  scope: string,
  previous: string,
  chunkSha256: string,
): string {
  return `AWS4-HMAC-SHA256-PAYLOAD\n${amzDate}\n${scope}\n${previous}\n${EMPTY_SHA256}\n${chunkSha256}`;
}

/** The string to sign of aws-chunked trailers (`name:value\n` each, sorted), after the last chunk. */
export function trailerStringToSign(
  amzDate: string,
  scope: string,
  previous: string,
  trailers: ReadonlyMap<string, string>,
): string {
  const canonical = [...trailers]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => `${name}:${value}\n`)
    .join('');
  return `AWS4-HMAC-SHA256-TRAILER\n${amzDate}\n${scope}\n${previous}\n${sha256Hex(canonical)}`;
}

/** Hex HMAC-SHA256 signature of `text` under `key`. */
export function sign(key: Buffer, text: string): string {
  return hmac(key, text).toString('hex');
}
