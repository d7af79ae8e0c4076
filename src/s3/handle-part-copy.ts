// UploadPartCopy: a whole source reuses its chunks (pinned to the upload); a range is read and rewritten.

import type { Receipt } from '../protocol/types.js';
import { type ChecksumAlgorithm, createHasher, type Hasher } from './checksums.js';
import { S3Error } from './errors.js';
import { copySource, type FoundSource } from './handle-copy.js';
import { putPart, underUpload } from './handle-multipart.js';
import { headerValue } from './headers.js';
import { checksumMade } from './multipart-checksum.js';
import { EMPTY_MD5, storedChecksum, storedMd5 } from './object-meta.js';
import { isFolderKey, objectPath } from './object-paths.js';
import { copySourceRange } from './range.js';
import { bucketOf, keyOfRoute, type S3Request, sendXml } from './request.js';
import { MAX_PART_SIZE, requireUpload } from './uploads.js';
import { pinChunks } from './write-body.js';
import { copyResultXml } from './xml-results.js';

/** A part's bytes as chunks the upload pins, with their MD5 (and checksum, if the upload makes them). */
interface PartData {
  chunks: { id: string; size: number }[];
  size: number;
  md5: string;
  checksum?: string;
  /** The nodes' receipts for chunks written anew (a range): the master learns their holders at once. */
  receipts?: Receipt[];
}

/**
 * The whole source as a part: its chunks, pinned to the upload, and no byte moved. Its MD5 (the
 * part's ETag) is stored with files written through S3, and so may be its checksum of the
 * upload's algorithm; what is not stored is computed by reading the source once.
 */
async function wholeSource(
  request: S3Request,
  source: FoundSource,
  uploadId: string,
  algorithm: ChecksumAlgorithm | undefined,
): Promise<PartData> {
  const file = source.file;
  if (!file) {
    // A folder object: no bytes.
    const checksum = algorithm && createHasher(algorithm).digest().toString('base64');
    return { chunks: [], size: 0, md5: EMPTY_MD5, ...(checksum && { checksum }) };
  }
  if (file.size > MAX_PART_SIZE)
    throw new S3Error(
      'InvalidRequest',
      `The specified copy source is larger than the maximum allowable size for a copy source: ${MAX_PART_SIZE}`,
    );
  let md5 = storedMd5(file.attributes);
  const stored = storedChecksum(file.attributes);
  let checksum =
    stored && stored.algorithm === algorithm && stored.type === 'FULL_OBJECT' ? stored.value : undefined;
  if (!md5 || (algorithm && !checksum)) {
    const hash = createHasher('MD5');
    const sum = algorithm && createHasher(algorithm);
    for await (const piece of request.deps.sdk.download(file.path, { info: file, signal: request.signal })) {
      hash.update(piece);
      sum?.update(piece);
    }
    md5 = hash.digest().toString('hex');
    checksum = sum?.digest().toString('base64');
  }
  const chunks = file.chunks.map((c) => ({ id: c.id, size: c.size }));
  await pinChunks(request, chunks, uploadId);
  return { chunks, size: file.size, md5, ...(checksum && { checksum }) };
}

/** Yields `source`'s pieces, hashing each on the way. */
async function* hashing<T extends Uint8Array>(source: AsyncIterable<T>, hasher: Hasher): AsyncGenerator<T> {
  for await (const piece of source) {
    hasher.update(piece);
    yield piece;
  }
}

/** A byte range of the source as a part: read, verified, and written as new chunks. */
async function rangeOfSource(
  request: S3Request,
  source: FoundSource,
  range: { start: number; end: number },
  uploadId: string,
  algorithm: ChecksumAlgorithm | undefined,
): Promise<PartData> {
  const file = source.file;
  if (!file) throw new S3Error('InvalidArgument', 'A folder object has no bytes to copy a range of');
  const bytes = request.deps.sdk.download(file.path, {
    info: file,
    start: range.start,
    end: range.end,
    signal: request.signal,
  });
  // Written under the upload's own lease, as an UploadPart's body is.
  const sum = algorithm && createHasher(algorithm);
  const written = await request.deps.sdk.writeChunks(sum ? hashing(bytes, sum) : bytes, {
    uploadId,
    md5: true,
    signal: request.signal,
  });
  return {
    chunks: written.chunks,
    size: written.size,
    md5: written.md5 ?? EMPTY_MD5,
    ...(sum && { checksum: sum.digest().toString('base64') }),
    receipts: written.receipts,
  };
}

/** UploadPartCopy. */
export async function uploadPartCopy(request: S3Request): Promise<void> {
  const { bucket } = bucketOf(request);
  const key = keyOfRoute(request);
  const uploadId = request.route.uploadId ?? '';
  if (isFolderKey(key)) throw new S3Error('NoSuchUpload', undefined, { fields: { UploadId: uploadId } });
  const upload = await requireUpload(request, objectPath(bucket, key), uploadId);
  const algorithm = checksumMade(upload.attributes ?? {})?.algorithm;
  const source = await copySource(request);
  const range = copySourceRange(headerValue(request.headers, 'x-amz-copy-source-range'), source.object.size);
  const part = await underUpload(uploadId, () =>
    range
      ? rangeOfSource(request, source, range, uploadId, algorithm)
      : wholeSource(request, source, uploadId, algorithm),
  );
  await putPart(request, uploadId, {
    number: request.route.partNumber ?? 0,
    size: part.size,
    etag: `"${part.md5}"`,
    ...(part.checksum && { checksum: part.checksum }),
    chunks: part.chunks,
    receipts: part.receipts,
  });
  const checksums = algorithm && part.checksum ? { [algorithm]: part.checksum } : undefined;
  sendXml(request.ctx, copyResultXml('CopyPartResult', part.md5, new Date(), checksums));
}
