// A request body written as durable dfs chunks, verified on the way (nothing is committed here).

import type { Context } from 'koa';
import type { ChunkRef } from '../protocol/types.js';
import type { WrittenChunks } from '../sdk/upload.js';
import { type ChecksumAlgorithm, checksumHeaderName, type SentChecksum } from './checksums.js';
import { S3Error } from './errors.js';
import { sendEmpty } from './middleware.js';
import type { S3Request } from './request.js';

/** A body written and verified: its chunks (pinned by `written.uploadId`), MD5 and checksum. */
export interface WrittenBody {
  written: WrittenChunks;
  /** Hex MD5 of the bytes. */
  md5: string;
  /** The `x-amz-checksum-*` the client sent (header or trailer), verified, or the one computed. */
  checksum?: SentChecksum;
}

/**
 * Streams the request body into new chunks under a fresh upload lease (or `uploadId`'s). The
 * body's iterator ends only once every check has passed (signature, Content-MD5, checksum,
 * length), so bytes that fail one are never returned; the chunks of a fresh lease are released
 * with it by the SDK. With `compute`, a body that brings no checksum gets one of that algorithm
 * (a part of a multipart upload that makes checksums).
 */
export async function writeBody(
  request: S3Request,
  uploadId?: string,
  compute?: ChecksumAlgorithm,
): Promise<WrittenBody> {
  if (compute) request.body.computeChecksum(compute);
  const written = await request.deps.sdk.writeChunks(request.body, {
    signal: request.signal,
    uploadId,
    expectedSize: request.body.length,
    sha256: request.body.signedSha256,
  });
  const digests = request.body.digests;
  // The gateway asks every body for its MD5 (s3Authenticate's computeMd5): S3's ETag.
  if (digests?.md5 === undefined) throw new S3Error('InternalError', 'the body MD5 was not computed');
  return { written, md5: digests.md5, checksum: digests.checksum };
}

/** The answer to a stored body (PutObject, UploadPart): its ETag and the checksum it was sent with. */
export function sendWritten(ctx: Context, body: WrittenBody): void {
  ctx.set('ETag', `"${body.md5}"`);
  if (body.checksum) ctx.set(checksumHeaderName(body.checksum.algorithm), body.checksum.value);
  sendEmpty(ctx);
}

// Most chunks the master places in one allocate call.
const ALLOCATE_BATCH = 1000;

/** Pins chunks the cluster holds (a part's, or a copied file's) to upload `uploadId`'s lease. */
export async function pinChunks(
  request: Pick<S3Request, 'deps' | 'signal'>,
  chunks: readonly ChunkRef[],
  uploadId: string,
): Promise<void> {
  for (let i = 0; i < chunks.length; i += ALLOCATE_BATCH) {
    const batch = chunks.slice(i, i + ALLOCATE_BATCH).map((c) => ({ id: c.id, size: c.size }));
    await request.deps.sdk.api.allocate(batch, [], uploadId, { signal: request.signal });
  }
}
