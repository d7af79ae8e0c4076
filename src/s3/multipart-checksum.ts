// The checksum of an S3 multipart upload: the algorithm and type its create asks for, kept in the
// upload's attributes; each part's checksum in that algorithm (sent and verified, or computed
// here); the parts a complete lists checked against them; and the object's checksum made from them.

import {
  type ChecksumAlgorithm,
  type ChecksumType,
  checksumAlgorithm,
  headerChecksum,
  multipartChecksum,
  trailerChecksum,
} from './checksums.js';
import { S3Error } from './errors.js';
import { type HeaderMap, headerValue } from './headers.js';
import { CHECKSUM_TYPE_ATTRIBUTE, checksumAttribute } from './object-meta.js';

/** The checksum an upload makes of its parts and of the whole object. */
export interface UploadChecksum {
  algorithm: ChecksumAlgorithm;
  type: ChecksumType;
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
  const algorithm = checksumAlgorithm(name.trim());
  if (!algorithm)
    throw new S3Error(
      'InvalidRequest',
      'Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]',
    );
  const type = typeName?.trim().toUpperCase() ?? (algorithm === 'CRC64NVME' ? 'FULL_OBJECT' : 'COMPOSITE');
  if (type !== 'FULL_OBJECT' && type !== 'COMPOSITE')
    throw new S3Error('InvalidRequest', 'Value for x-amz-checksum-type header is invalid.');
  const sha = algorithm === 'SHA1' || algorithm === 'SHA256';
  if ((type === 'FULL_OBJECT' && sha) || (type === 'COMPOSITE' && algorithm === 'CRC64NVME'))
    throw new S3Error(
      'InvalidRequest',
      `The ${type} checksum type cannot be used with the ${lower(algorithm)} checksum algorithm.`,
    );
  return { algorithm, type };
}

/** The attributes that keep an upload's checksum until it completes. */
export function uploadChecksumAttributes(checksum: UploadChecksum | undefined): Record<string, string> {
  return checksum
    ? { [ALGORITHM_ATTRIBUTE]: checksum.algorithm, [CHECKSUM_TYPE_ATTRIBUTE]: checksum.type }
    : {};
}

/** The checksum an upload makes, from its attributes; undefined for none. */
export function uploadChecksumOf(attributes: Readonly<Record<string, string>>): UploadChecksum | undefined {
  const algorithm = checksumAlgorithm(attributes[ALGORITHM_ATTRIBUTE] ?? '');
  const type = attributes[CHECKSUM_TYPE_ATTRIBUTE];
  return algorithm && (type === 'FULL_OBJECT' || type === 'COMPOSITE') ? { algorithm, type } : undefined;
}

/**
 * The algorithm of the checksum an UploadPart sends (header or trailer), refused when the upload
 * makes another; undefined when it sends none.
 */
export function partChecksumAlgorithm(
  headers: HeaderMap,
  upload: UploadChecksum | undefined,
): ChecksumAlgorithm | undefined {
  const sent = headerChecksum(headers)?.algorithm ?? trailerChecksum(headers);
  if (sent !== undefined && upload !== undefined && sent !== upload.algorithm)
    throw new S3Error(
      'InvalidRequest',
      `Checksum Type mismatch occurred, expected checksum Type: ${lower(upload.algorithm)}, actual checksum Type: ${lower(sent)}`,
    );
  return sent;
}

/** A part as a complete names it and as it is stored. */
interface ListedPart {
  partNumber: number;
  etag: string;
  checksums: Record<string, string>;
}

/**
 * Checks the checksums a complete lists against the parts' stored ones, and answers the object's
 * checksum (base64; a COMPOSITE one ends in `-N`), or undefined when the upload makes none. An
 * upload with a checksum needs one listed for every part, of its algorithm; one without takes none.
 */
export function completedChecksum(
  upload: UploadChecksum | undefined,
  listed: readonly ListedPart[],
  stored: readonly { checksum?: string; size: number }[],
  uploadId: string,
): string | undefined {
  listed.forEach((p, i) => {
    const algorithms = Object.keys(p.checksums);
    const other = algorithms.find((a) => a !== upload?.algorithm);
    if (other !== undefined)
      throw new S3Error(
        'InvalidRequest',
        `Checksum Type mismatch occurred, expected checksum Type: ${lower(upload?.algorithm)}, actual checksum Type: ${lower(other)}`,
      );
    if (!upload) return;
    const value = p.checksums[upload.algorithm];
    if (value === undefined)
      throw new S3Error(
        'InvalidRequest',
        `The upload was created using a ${lower(upload.algorithm)} checksum. The complete request must include the checksum for each part. It was missing for part ${p.partNumber} in the request.`,
      );
    if (value !== stored[i]?.checksum)
      throw new S3Error('InvalidPart', undefined, {
        fields: { UploadId: uploadId, PartNumber: String(p.partNumber), ETag: p.etag },
      });
  });
  if (!upload) return undefined;
  const parts = stored.map((p) => ({ checksum: p.checksum ?? '', size: p.size }));
  return multipartChecksum(upload.algorithm, upload.type, parts);
}

/** The upload's attributes as its object keeps them: with its checksum, not its algorithm. */
export function objectAttributes(
  attributes: Readonly<Record<string, string>>,
  checksum: { algorithm: ChecksumAlgorithm; value: string } | undefined,
): Record<string, string> {
  const { [ALGORITHM_ATTRIBUTE]: _, ...kept } = attributes;
  return checksum ? { ...kept, ...checksumAttribute(checksum) } : kept;
}
