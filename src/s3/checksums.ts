// S3's flexible checksums (x-amz-checksum-*), Content-MD5, and the hashers behind them.

import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { Crc32c, Crc64Nvme, combineCrcs } from './crc.js';
import { S3Error } from './errors.js';
import { type HeaderMap, headerValue } from './headers.js';

/** The checksum algorithms S3 clients send, by their S3 names. */
export const CHECKSUM_ALGORITHMS = ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

const DIGEST_BYTES: Record<ChecksumAlgorithm, number> = {
  CRC32: 4,
  CRC32C: 4,
  CRC64NVME: 8,
  SHA1: 20,
  SHA256: 32,
};

/** An incremental hash with a binary digest. */
export interface Hasher {
  update(data: Uint8Array): void;
  digest(): Buffer;
}

/** A fresh hasher for a checksum algorithm, or MD5 (Content-MD5 and ETags). */
export function createHasher(algorithm: ChecksumAlgorithm | 'MD5'): Hasher {
  switch (algorithm) {
    case 'CRC32': {
      let value = 0;
      return {
        update: (data) => {
          // zlib's crc32 of no bytes is 0, whatever it continues from.
          if (data.length > 0) value = crc32(data, value);
        },
        digest: () => {
          const out = Buffer.alloc(4);
          out.writeUInt32BE(value >>> 0);
          return out;
        },
      };
    }
    case 'CRC32C':
      return new Crc32c();
    case 'CRC64NVME':
      return new Crc64Nvme();
    default: {
      const hash = createHash(algorithm === 'SHA1' ? 'sha1' : algorithm === 'SHA256' ? 'sha256' : 'md5');
      return { update: (data) => hash.update(data), digest: () => hash.digest() };
    }
  }
}

/**
 * The header (and trailer) name of an algorithm's checksum: `x-amz-checksum-crc32`. Any name is
 * taken (a stored checksum's algorithm is the attribute's, unchecked).
 */
export function checksumHeaderName(algorithm: string): string {
  return `x-amz-checksum-${algorithm.toLowerCase()}`;
}

/** The algorithm named by `crc32`, `CRC32` or `x-amz-checksum-crc32`; undefined if unknown. */
export function checksumAlgorithm(name: string): ChecksumAlgorithm | undefined {
  const bare = name.toUpperCase().replace(/^X-AMZ-CHECKSUM-/, '');
  return CHECKSUM_ALGORITHMS.find((a) => a === bare);
}

// Headers that start like a checksum but are not one.
const NOT_CHECKSUMS = new Set(['x-amz-checksum-algorithm', 'x-amz-checksum-type', 'x-amz-checksum-mode']);

/** A checksum the client sent for the body: the algorithm and its base64 value. */
export interface SentChecksum {
  algorithm: ChecksumAlgorithm;
  value: string;
}

/** True when `value` is the canonical base64 of exactly `bytes` bytes. */
function isBase64Of(value: string, bytes: number): boolean {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value)) return false;
  const decoded = Buffer.from(value, 'base64');
  // Round-tripping rejects missing padding and stray bits that Buffer would silently accept.
  return decoded.length === bytes && decoded.toString('base64') === value;
}

/** True when `value` is a well-formed `algorithm` checksum (base64 of a digest of its length). */
export function isChecksumValue(algorithm: ChecksumAlgorithm, value: string): boolean {
  return isBase64Of(value, DIGEST_BYTES[algorithm]);
}

/** Checks a checksum value's form; InvalidRequest naming the header (or trailer) when wrong. */
export function checkChecksumValue(algorithm: ChecksumAlgorithm, value: string, where = 'header'): void {
  if (!isChecksumValue(algorithm, value)) {
    throw new S3Error('InvalidRequest', `Value for ${checksumHeaderName(algorithm)} ${where} is invalid.`);
  }
}

/**
 * The `x-amz-checksum-*` header of a request, validated; undefined when there is none.
 * InvalidRequest for several or a malformed value, NotImplemented for an algorithm we lack.
 */
export function headerChecksum(headers: HeaderMap): SentChecksum | undefined {
  const names = Object.keys(headers).filter(
    (n) => n.startsWith('x-amz-checksum-') && !NOT_CHECKSUMS.has(n) && headers[n] !== undefined,
  );
  if (names.length === 0) return undefined;
  if (names.length > 1) {
    throw new S3Error(
      'InvalidRequest',
      'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.',
    );
  }
  const name = names[0] as string;
  const algorithm = checksumAlgorithm(name);
  if (!algorithm)
    throw new S3Error('NotImplemented', `the checksum ${name} is not implemented by this server`);
  const value = headerValue(headers, name) ?? '';
  checkChecksumValue(algorithm, value);
  return { algorithm, value };
}

/** The checksum algorithm `x-amz-trailer` announces; InvalidRequest for anything but one checksum. */
export function trailerChecksum(headers: HeaderMap): ChecksumAlgorithm | undefined {
  const trailer = headerValue(headers, 'x-amz-trailer');
  if (trailer === undefined || trailer.trim() === '') return undefined;
  const names = trailer.split(',').map((n) => n.trim().toLowerCase());
  const algorithm = names.length === 1 ? checksumAlgorithm(names[0] as string) : undefined;
  if (!algorithm || !(names[0] as string).startsWith('x-amz-checksum-')) {
    throw new S3Error('InvalidRequest', 'The value specified in the x-amz-trailer header is not supported');
  }
  return algorithm;
}

/** The 16 bytes a `Content-MD5` header holds; InvalidDigest when it is not base64 of 16 bytes. */
export function contentMd5(headers: HeaderMap): Buffer | undefined {
  const value = headerValue(headers, 'content-md5');
  if (value === undefined) return undefined;
  if (!isBase64Of(value.trim(), 16)) throw new S3Error('InvalidDigest');
  return Buffer.from(value.trim(), 'base64');
}

/** The checksum types of a multipart upload: of the whole object, or of the parts' checksums. */
export type ChecksumType = 'FULL_OBJECT' | 'COMPOSITE';

/**
 * A multipart object's checksum from its parts' (base64) checksums: for FULL_OBJECT, the CRC of
 * the whole object, combined from the parts'; for COMPOSITE, the checksum of the parts' checksums
 * end to end, then `-N` (S3's "checksum of checksums").
 */
export function multipartChecksum(
  algorithm: ChecksumAlgorithm,
  type: ChecksumType,
  parts: { checksum: string; size: number }[],
): string {
  if (type === 'FULL_OBJECT') {
    if (algorithm === 'SHA1' || algorithm === 'SHA256')
      throw new Error(`${algorithm} has no full-object form`);
    const crcs = parts.map((p) => ({ crc: Buffer.from(p.checksum, 'base64'), size: p.size }));
    return combineCrcs(algorithm, crcs).toString('base64');
  }
  const hasher = createHasher(algorithm);
  for (const p of parts) hasher.update(Buffer.from(p.checksum, 'base64'));
  return `${hasher.digest().toString('base64')}-${parts.length}`;
}
