// Multipart uploads: create, upload a part, complete (twice is fine), abort. Parts live in the master.

import { createHash } from 'node:crypto';
import type { PartRecord } from '../meta/types.js';
import type { Receipt } from '../protocol/types.js';
import { readBodyText } from './body.js';
import { headerChecksum } from './checksums.js';
import { writeGeneration } from './conditional.js';
import { isDfs } from './dfs-errors.js';
import { S3Error } from './errors.js';
import { headerValue } from './headers.js';
import { sendEmpty } from './middleware.js';
import {
  checksumMade,
  completedChecksum,
  objectAttributes,
  partChecksumAlgorithm,
  requestedChecksum,
  uploadChecksumAttributes,
} from './multipart-checksum.js';
import {
  contentAttributes,
  ETAG_ATTRIBUTE,
  etagOf,
  metadataFromHeaders,
  requestContentType,
  storedChecksum,
} from './object-meta.js';
import { folderCannotHoldData, isFolderKey, objectPath } from './object-paths.js';
import { bucketOf, keyOfRoute, requireBucket, type S3Request, sendXml } from './request.js';
import { findUpload, MIN_PART_SIZE, newUploadId, noSuchUpload, requireUpload } from './uploads.js';
import { uriEncode } from './uri.js';
import { sendWritten, writeBody } from './write-body.js';
import { completeUploadXml, initiateUploadXml } from './xml-multipart.js';
import { type CompletedPart, parseCompleteMultipartUpload, unquoteEtag } from './xml-parse.js';

// A CompleteMultipartUpload of 10,000 parts with checksums is about 2 MB.
const MAX_COMPLETE_BODY = 4 * 1024 * 1024;

/** The object path of a multipart request: a key that can be a file (not a folder object). */
function uploadPath(request: S3Request): { bucket: string; key: string; path: string } {
  const { bucket } = bucketOf(request);
  const key = keyOfRoute(request);
  if (isFolderKey(key)) throw folderCannotHoldData(key);
  return { bucket, key, path: objectPath(bucket, key) };
}

/** The route's upload id. */
function uploadIdOf(request: S3Request): string {
  return request.route.uploadId ?? '';
}

/** CreateMultipartUpload: the object's type, metadata and content headers are fixed now. */
export async function createMultipartUpload(request: S3Request): Promise<void> {
  const { bucket, key, path } = uploadPath(request);
  await requireBucket(request);
  const uploadId = newUploadId();
  const { headers } = request;
  const checksum = requestedChecksum(headers);
  await request.deps.sdk.api.createMultipart(
    uploadId,
    {
      path,
      contentType: requestContentType(headers) ?? '',
      metadata: metadataFromHeaders(headers),
      attributes: { ...contentAttributes(headers), ...uploadChecksumAttributes(checksum) },
    },
    { signal: request.signal },
  );
  if (checksum) {
    request.ctx.set('x-amz-checksum-algorithm', checksum.algorithm);
    request.ctx.set('x-amz-checksum-type', checksum.type);
  }
  sendXml(request.ctx, initiateUploadXml(bucket, key, uploadId));
}

/** UploadPart: a part replaces any earlier part with its number. */
export async function uploadPart(request: S3Request): Promise<void> {
  const { path } = uploadPath(request);
  const uploadId = uploadIdOf(request);
  const upload = checksumMade((await requireUpload(request, path, uploadId)).attributes ?? {});
  // A part of an upload that makes checksums brings one of its algorithm, or gets one here.
  const sent = partChecksumAlgorithm(request.headers, upload);
  const compute = sent === undefined ? upload?.algorithm : undefined;
  // Under the upload's own lease: a part that fails midway (a bad checksum, a client that hangs
  // up) leaves the upload open; its chunks stay pinned until it completes or is aborted.
  const body = await underUpload(uploadId, () => writeBody(request, uploadId, compute));
  await putPart(request, uploadId, {
    number: request.route.partNumber ?? 0,
    size: body.written.size,
    etag: `"${body.md5}"`,
    ...(upload && { checksum: body.checksum?.value }),
    chunks: body.written.chunks,
    receipts: body.written.receipts,
  });
  sendWritten(request.ctx, body);
}

/**
 * Runs `write`, which writes chunks under upload `uploadId`'s lease: a lease that ended meanwhile
 * (the upload was aborted or completed while the part streamed in) is NoSuchUpload.
 */
export async function underUpload<T>(uploadId: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (isDfs(err, 'conflict')) throw noSuchUpload(uploadId);
    throw err;
  }
}

/**
 * Records a part; an upload that ended meanwhile is NoSuchUpload. One still open refused the
 * part for its chunks: they were lost before it was recorded (their pins forgotten by a metadata
 * store that crashed, say), and the part sent again writes them afresh: 503, which clients retry.
 */
export async function putPart(
  request: S3Request,
  uploadId: string,
  part: Omit<PartRecord, 'lastModified'> & { receipts?: Receipt[] },
): Promise<void> {
  try {
    await request.deps.sdk.api.putPart(uploadId, part, { signal: request.signal });
  } catch (err) {
    if (!isDfs(err, 'not_found') && !isDfs(err, 'conflict')) throw err;
    if (!(await findUpload(request, uploadId))) throw noSuchUpload(uploadId);
    throw new S3Error(
      'ServiceUnavailable',
      "The part's data was lost before it was recorded; send the part again.",
      {
        cause: err,
      },
    );
  }
}

/** The parts named by a complete, checked against those stored: InvalidPart, EntityTooSmall. */
function chosenParts(listed: CompletedPart[], stored: PartRecord[], uploadId: string): PartRecord[] {
  const byNumber = new Map(stored.map((p) => [p.number, p]));
  return listed.map((p, i) => {
    const part = byNumber.get(p.partNumber);
    const fields = { UploadId: uploadId, PartNumber: String(p.partNumber), ETag: p.etag };
    if (!part || unquoteEtag(part.etag) !== p.etag) throw new S3Error('InvalidPart', undefined, { fields });
    if (i < listed.length - 1 && part.size < MIN_PART_SIZE)
      throw new S3Error('EntityTooSmall', undefined, {
        fields: { ...fields, ProposedSize: String(part.size), MinSizeAllowed: String(MIN_PART_SIZE) },
      });
    return part;
  });
}

/** S3's multipart ETag: the MD5 of the parts' binary MD5s, then `-N`. */
export function multipartEtag(parts: readonly { etag: string }[]): string {
  const hash = createHash('md5');
  for (const p of parts) hash.update(Buffer.from(unquoteEtag(p.etag), 'hex'));
  return `${hash.digest('hex')}-${parts.length}`;
}

/**
 * CompleteMultipartUpload: one commit of the parts' chunks in order. A complete sent again after
 * it succeeded (its answer lost) finds the file that upload committed and answers the same.
 */
export async function completeMultipartUpload(request: S3Request): Promise<void> {
  const { bucket, key, path } = uploadPath(request);
  const uploadId = uploadIdOf(request);
  const whole = headerChecksum(request.headers);
  const listed = parseCompleteMultipartUpload(await readBodyText(request.body, MAX_COMPLETE_BODY));
  // The object's URL as the client reached the gateway (Koa's ctx.origin is the Origin header).
  const bucketPath = request.route.virtualHost ? '' : `/${uriEncode(bucket)}`;
  const location = `${request.ctx.protocol}://${request.ctx.host}${bucketPath}/${uriEncode(key, true)}`;
  const { sdk } = request.deps;
  const upload = await findUpload(request, uploadId);
  if (!upload) {
    // Only a missing file means "no such upload"; a cluster that cannot answer is an outage.
    const done = await sdk.stat(path, { signal: request.signal }).catch((e: unknown) => {
      if (isDfs(e, 'not_found')) return undefined;
      throw e;
    });
    // Only the same part list completes it again (their ETags make the object's).
    if (done?.uploadId !== uploadId || multipartEtag(listed) !== etagOf(done)) throw noSuchUpload(uploadId);
    const made = storedChecksum(done.attributes);
    checkSentType(request, made);
    if (whole) checkWholeChecksum(whole, made);
    sendXml(request.ctx, completeUploadXml(location, bucket, key, etagOf(done), made));
    return;
  }
  if (upload.info.path !== path) throw noSuchUpload(uploadId);
  const parts = chosenParts(listed, upload.parts, uploadId);
  const etag = multipartEtag(parts);
  const made = checksumMade(upload.info.attributes);
  const checksum = completedChecksum(made, listed, parts, uploadId);
  checkSentType(request, made);
  if (whole) checkWholeChecksum(whole, checksum);
  const ifGeneration = await writeGeneration(request, path);
  try {
    await sdk.commit(
      {
        uploadId,
        chunks: parts.flatMap((p) => p.chunks),
        size: parts.reduce((n, p) => n + p.size, 0),
        sha256: '',
        receipts: [],
      },
      {
        path,
        contentType: upload.info.contentType,
        metadata: upload.info.metadata,
        attributes: { ...objectAttributes(upload.info.attributes, checksum), [ETAG_ATTRIBUTE]: `"${etag}"` },
        ifGeneration,
        signal: request.signal,
      },
    );
  } catch (err) {
    // The upload ended (aborted, expired, completed by another request) between the listing and
    // the commit: the master no longer lists it. Any other conflict is the commit's own.
    if (isDfs(err, 'conflict') && !(await findUpload(request, uploadId))) throw noSuchUpload(uploadId);
    throw err;
  }
  sendXml(request.ctx, completeUploadXml(location, bucket, key, etag, checksum));
}

/** The checksum type a complete names (`x-amz-checksum-type`) must be the upload's: else BadDigest. */
function checkSentType(request: S3Request, made: { type: string } | undefined): void {
  const sent = headerValue(request.headers, 'x-amz-checksum-type');
  if (sent !== undefined && sent.trim().toUpperCase() !== made?.type)
    throw new S3Error(
      'BadDigest',
      `The checksum type you specified (${sent.trim()}) did not match the upload's (${made?.type ?? 'none'}).`,
    );
}

/**
 * A checksum of the whole object sent with a complete: only an upload making a FULL_OBJECT
 * checksum of that algorithm takes one, and it must be the object's.
 */
function checkWholeChecksum(
  sent: { algorithm: string; value: string },
  made: { algorithm: string; value: string; type: string } | undefined,
): void {
  if (made?.type !== 'FULL_OBJECT' || made.algorithm !== sent.algorithm)
    throw new S3Error(
      'InvalidRequest',
      `The upload was created using ${made ? `a ${made.type} ${made.algorithm.toLowerCase()}` : 'no'} checksum; a ${sent.algorithm.toLowerCase()} checksum of the whole object cannot be checked against it.`,
    );
  if (sent.value !== made.value)
    throw new S3Error(
      'BadDigest',
      `The ${sent.algorithm} you specified did not match the calculated checksum.`,
    );
}

/** AbortMultipartUpload: its parts' chunks are released at once. */
export async function abortMultipartUpload(request: S3Request): Promise<void> {
  const { path } = uploadPath(request);
  const uploadId = uploadIdOf(request);
  await requireUpload(request, path, uploadId);
  await request.deps.sdk.api.abortUpload(uploadId, { signal: request.signal });
  sendEmpty(request.ctx, 204);
}
