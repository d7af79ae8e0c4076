// The checksum of an S3 multipart upload: the algorithm and type its create asks for, kept in the
// upload's attributes; each part's checksum in that algorithm (sent and verified, or computed
// here); the parts a complete lists checked against them; and the object's checksum made from them.

import {
  type ChecksumAlgorithm,
  type ChecksumType,
  checksumAlgorithm,
  headerChecksum,
  isChecksumValue,
  multipartChecksum,
  trailerChecksum,
} from './checksums.js';
import { S3Error } from './errors.js';
import { type HeaderMap, headerValue } from './headers.js';
import { CHECKSUM_TYPE_ATTRIBUTE, checksumAttribute } from './object-meta.js';
import type { CompletedPart } from './xml-parse.js';

/** The checksum an upload makes of its parts and of the whole object. */
export interface UploadChecksum {
  algorithm: ChecksumAlgorithm;
  type: ChecksumType;
}

/** The checksum a completed upload made (base64; a COMPOSITE one ends in `-N`). */
export interface MadeChecksum extends UploadChecksum {
  value: string;
}

// The upload's attribute naming its algorithm (replaced by the object's checksum at complete);
// CHECKSUM_TYPE_ATTRIBUTE names the type, the upload's and then its object's.
const ALGORITHM_ATTRIBUTE = 'checksum-algorithm';

const lower = (algorithm: string | undefined) => algorithm?.toLowerCase() ?? 'null';

/**
 * The checksum a CreateMultipartUpload asks for (`x-amz-checksum-algorithm`, `x-amz-checksum-type`),
 * checked as S3 checks it; undefined when it asks for none. Without a type, CRC64NVME makes a
 * FULL_OBJECT checksum and the others a COMPOSITE one.
 */
export function requestedChecksum(headers: HeaderMap): UploadChecksum | undefined {
  const name = headerValue(headers, 'x-amz-checksum-algorithm');
  const typeName = headerValue(headers, 'x-amz-checksum-type');
  if (name === undefined) {
    if (typeName === undefined) return undefined;
    throw new S3Error(
      'InvalidRequest',
      'The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.',
    );
  }
  const algorithm = requestedAlgorithm(name);
  const type = typeName?.trim().toUpperCase() ?? (algorithm === 'CRC64NVME' ? 'FULL_OBJECT' : 'COMPOSITE');
  if (type !== 'FULL_OBJECT' && type !== 'COMPOSITE')
    throw new S3Error('InvalidRequest', 'Value for x-amz-checksum-type header is invalid.');
  if (!allowed(algorithm, type))
    throw new S3Error(
      'InvalidRequest',
      `The ${type} checksum type cannot be used with the ${lower(algorithm)} checksum algorithm.`,
    );
  return { algorithm, type };
}

/** The algorithm an `x-amz-checksum-algorithm` header names (a create, a copy); InvalidRequest if none. */
export function requestedAlgorithm(name: string): ChecksumAlgorithm {
  const algorithm = checksumAlgorithm(name.trim());
  if (!algorithm)
    throw new S3Error(
      'InvalidRequest',
      'Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]',
    );
  return algorithm;
}

/** The attributes that keep an upload's checksum until it completes. */
export function uploadChecksumAttributes(checksum: UploadChecksum | undefined): Record<string, string> {
  return checksum
    ? { [ALGORITHM_ATTRIBUTE]: checksum.algorithm, [CHECKSUM_TYPE_ATTRIBUTE]: checksum.type }
    : {};
}

/** The checksum an upload makes, from its attributes, if it makes one. */
export function checksumMade(attributes: Readonly<Record<string, string>>): UploadChecksum | undefined {
  const algorithm = checksumAlgorithm(attributes[ALGORITHM_ATTRIBUTE] ?? '');
  const type = attributes[CHECKSUM_TYPE_ATTRIBUTE];
  if (!algorithm || (type !== 'FULL_OBJECT' && type !== 'COMPOSITE') || !allowed(algorithm, type))
    return undefined;
  return { algorithm, type };
}

// Whether S3 makes a checksum of this type in this algorithm.
function allowed(algorithm: ChecksumAlgorithm, type: ChecksumType): boolean {
  const sha = algorithm === 'SHA1' || algorithm === 'SHA256';
  return type === 'FULL_OBJECT' ? !sha : algorithm !== 'CRC64NVME';
}

const mismatch = (expected: string | undefined, actual: string | undefined) =>
  new S3Error(
    'InvalidRequest',
    `Checksum Type mismatch occurred, expected checksum Type: ${lower(expected)}, actual checksum Type: ${lower(actual)}`,
  );

/**
 * The algorithm of the checksum an UploadPart sends (header or trailer); undefined when it sends
 * none. Refused when the upload makes a checksum of another algorithm, or a COMPOSITE one (made
 * of the parts' own) and the part brings none; a FULL_OBJECT upload's part gets one here.
 */
export function partChecksumAlgorithm(
  headers: HeaderMap,
  upload: UploadChecksum | undefined,
): ChecksumAlgorithm | undefined {
  const sent = headerChecksum(headers)?.algorithm ?? trailerChecksum(headers);
  if (!upload) return sent;
  if (sent !== upload.algorithm && (sent !== undefined || upload.type === 'COMPOSITE'))
    throw mismatch(upload.algorithm, sent);
  return sent;
}

/**
 * Checks the checksums a complete lists against the parts' stored ones, and answers the object's
 * checksum (a COMPOSITE value ends in `-N`), or undefined when it gets none. Of an upload making
 * a checksum, a COMPOSITE one needs every part's listed, and a listed checksum of another
 * algorithm is refused. An upload making none (or begun by an older version) takes what its
 * complete lists unchecked: the SDKs add a checksum to every part by default, and it keeps none.
 * One with a part stored without a checksum (by an older gateway during an upgrade) gets none.
 */
export function completedChecksum(
  upload: UploadChecksum | undefined,
  listed: readonly CompletedPart[],
  stored: readonly { checksum?: string; size: number }[],
  uploadId: string,
): MadeChecksum | undefined {
  if (!upload) return undefined;
  const { algorithm, type } = upload;
  listed.forEach((p, i) => {
    const other = Object.keys(p.checksums).find((a) => a !== algorithm);
    if (other !== undefined) throw mismatch(algorithm, other);
    const value = p.checksums[algorithm];
    const kept = stored[i]?.checksum;
    if (value === undefined && type === 'COMPOSITE')
      throw new S3Error(
        'InvalidRequest',
        `The upload was created using a ${lower(algorithm)} checksum. The complete request must include the checksum for each part. It was missing for part ${p.partNumber} in the request.`,
      );
    if (value !== undefined && kept !== undefined && value !== kept)
      throw new S3Error('InvalidPart', undefined, {
        fields: { UploadId: uploadId, PartNumber: String(p.partNumber), ETag: p.etag },
      });
  });
  const parts = stored.flatMap((p) =>
    p.checksum !== undefined && isChecksumValue(algorithm, p.checksum)
      ? [{ checksum: p.checksum, size: p.size }]
      : [],
  );
  if (parts.length < stored.length) return undefined;
  return { algorithm, type, value: multipartChecksum(algorithm, type, parts) };
}

/** The upload's attributes as its object keeps them: with its checksum and type, not its algorithm. */
export function objectAttributes(
  attributes: Readonly<Record<string, string>>,
  checksum: MadeChecksum | undefined,
): Record<string, string> {
  const { [ALGORITHM_ATTRIBUTE]: _, [CHECKSUM_TYPE_ATTRIBUTE]: __, ...kept } = attributes;
  return checksum
    ? { ...kept, ...checksumAttribute(checksum), [CHECKSUM_TYPE_ATTRIBUTE]: checksum.type }
    : kept;
}
