// S3's naming rules: bucket names, object key length, user metadata size.

import { MAX_METADATA_BYTES } from '../protocol/limits.js';
import { S3Error } from './errors.js';
import type { HeaderMap } from './headers.js';

/** Longest object key, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;

const RESERVED_PREFIXES = ['xn--', 'sthree-', 'amzn-s3-demo-'];
const RESERVED_SUFFIXES = ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'];

/** True when `name` follows S3's bucket naming rules for general purpose buckets. */
export function isValidBucketName(name: string): boolean {
  return (
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name) &&
    !name.includes('..') &&
    !/^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name) &&
    !RESERVED_PREFIXES.some((p) => name.startsWith(p)) &&
    !RESERVED_SUFFIXES.some((s) => name.endsWith(s))
  );
}

/** Throws InvalidBucketName unless `name` is a valid bucket name. */
export function checkBucketName(name: string): void {
  if (!isValidBucketName(name)) {
    throw new S3Error('InvalidBucketName', undefined, { fields: { BucketName: name } });
  }
}

/** Throws KeyTooLongError for a key over 1024 UTF-8 bytes (and InvalidArgument for an empty one). */
export function checkObjectKey(key: string): void {
  if (key === '') throw new S3Error('InvalidArgument', 'An object key must not be empty');
  const size = Buffer.byteLength(key, 'utf8');
  if (size > MAX_KEY_BYTES) {
    throw new S3Error('KeyTooLongError', undefined, {
      fields: { Size: String(size), MaxSizeAllowed: String(MAX_KEY_BYTES) },
    });
  }
}

/**
 * The `x-amz-meta-*` headers as a map from the name after the prefix to the value, exactly as
 * Node received them (latin1 text of the raw bytes, which Node writes back unchanged).
 * MetadataTooLarge when names and values exceed 2 KiB.
 */
export function userMetadata(headers: HeaderMap): Record<string, string> {
  const metadata: Record<string, string> = {};
  let size = 0;
  for (const [name, value] of Object.entries(headers)) {
    if (!name.startsWith('x-amz-meta-') || value === undefined) continue;
    const key = name.slice('x-amz-meta-'.length);
    const text = typeof value === 'string' ? value : value.join(',');
    metadata[key] = text;
    size += Buffer.byteLength(key, 'latin1') + Buffer.byteLength(text, 'latin1');
  }
  if (size > MAX_METADATA_BYTES) {
    throw new S3Error('MetadataTooLarge', undefined, {
      fields: { Size: String(size), MaxSizeAllowed: String(MAX_METADATA_BYTES) },
    });
  }
  return metadata;
}
