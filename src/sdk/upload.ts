// The write path: chunks hashed, leased and placed by the master, sent down a pipeline of nodes
// (several at once, failing over to other nodes). Writing is separate from committing: the
// caller commits the chunks when it chooses (an upload, a multipart part, a WebDAV PUT).

import { createHash, type Hash } from 'node:crypto';
import { DfsError, isUploadGone } from '../protocol/errors.js';
import type { ChunkRef, Receipt } from '../protocol/types.js';
import { PipelineError, putChunk } from './chunk-io.js';
import type { BufferPool } from './chunker.js';
import { Limiter } from './limit.js';
import type { MasterApi } from './master-api.js';
import { newUploadId } from './upload-id.js';

// Placement retries for one chunk before the upload fails.
const CHUNK_ATTEMPTS = 5;

/** Options of writing chunks. */
export interface WriteOptions {
  /** The upload whose lease pins the chunks (default: a new one). */
  uploadId?: string;
  onProgress?: (bytes: number) => void;
  signal?: AbortSignal;
  /** Also compute the MD5 of the bytes (for S3 ETags). */
  md5?: boolean;
  /** Refuse more bytes than this. */
  maxSize?: number;
  /**
   * The source's declared length (a Content-Length): refused at once when over `maxSize`, a body
   * of another length fails before anything is committed, and a small body gets a buffer of its size.
   */
  expectedSize?: number;
  /**
   * The SHA-256 of the whole source (hex), when the source itself checks its bytes against it
   * and fails before its end otherwise (an S3 body signed with its hash): not computed again.
   */
  sha256?: string;
}

/** Chunks written and durable on their nodes, ready to be committed. */
export interface WrittenChunks {
  uploadId: string;
  /** The upload is the write's own (no `uploadId` was given): its commit ends it. */
  own?: boolean;
  chunks: ChunkRef[];
  size: number;
  /** SHA-256 of all the bytes, hex. */
  sha256: string;
  /** MD5 of all the bytes, hex (when asked for). */
  md5?: string;
  receipts: Receipt[];
}

/**
 * Writes the chunks of `source` (buffers from `pool`, released here once sent) with at most
 * `concurrency` in flight. Memory: chunk size × (concurrency + 1).
 */
export async function writeChunks(
  api: MasterApi,
  source: AsyncIterable<Buffer>,
  pool: BufferPool,
  concurrency: number,
  options: WriteOptions,
): Promise<WrittenChunks> {
  const own = options.uploadId === undefined;
  const uploadId = options.uploadId ?? newUploadId();
  // A file's SHA-256 starts as a copy of its first chunk's (the chunk's id): a file of one chunk
  // is hashed once, not twice.
  const wantHash = options.sha256 === undefined;
  let fileHash: Hash | undefined;
  const md5 = options.md5 ? createHash('md5') : undefined;
  const refs: ChunkRef[] = [];
  const receipts: Receipt[] = [];
  const limiter = new Limiter(concurrency);
  const tasks: Promise<void>[] = [];
  let failure: unknown;
  let size = 0;
  let sent = 0;
  if (options.maxSize !== undefined && (options.expectedSize ?? 0) > options.maxSize)
    tooLarge(options.maxSize);
  // A failed chunk or an abort ends the loop at once, not when the source gives its next chunk
  // (a client sending slowly, or not at all, would hold the failure back).
  let stop = () => {};
  const stopped = new Promise<'stop'>((resolve) => {
    stop = () => resolve('stop');
  });
  options.signal?.addEventListener('abort', stop, { once: true });
  const pieces = source[Symbol.asyncIterator]();
  let pending: Promise<IteratorResult<Buffer>> | undefined;
  // Whatever ends the loop early (a bad source, an abort, a size limit, a failed chunk), the
  // chunks already in flight are awaited before the upload settles: nothing runs on behind it.
  try {
    for (;;) {
      pending = pieces.next();
      const next = await Promise.race([pending, stopped]);
      if (next === 'stop') break;
      pending = undefined;
      if (next.done) break;
      const chunk = next.value;
      options.signal?.throwIfAborted();
      if (options.maxSize !== undefined && size + chunk.length > options.maxSize) {
        pool.release(chunk);
        tooLarge(options.maxSize);
      }
      const chunkHash = createHash('sha256').update(chunk);
      if (wantHash) fileHash = fileHash ? fileHash.update(chunk) : chunkHash.copy();
      md5?.update(chunk);
      size += chunk.length;
      const id = chunkHash.digest('hex');
      refs.push({ id, size: chunk.length });
      await limiter.slot();
      if (failure) {
        pool.release(chunk);
        break;
      }
      const task = limiter
        .run(() => storeChunk(api, id, chunk, uploadId, options.signal))
        .then((r) => {
          receipts.push(...r);
          sent += chunk.length;
          options.onProgress?.(sent);
        })
        .catch((err) => {
          failure ??= err;
          stop();
        })
        .finally(() => pool.release(chunk));
      tasks.push(task);
    }
  } catch (err) {
    failure ??= err;
  }
  options.signal?.removeEventListener('abort', stop);
  if (pending) {
    // A read still out: its buffer goes back when it comes, and the source is ended without
    // waiting for it (a stalled client may never send it).
    pending.then(
      (r) => !r.done && pool.release(r.value),
      () => {},
    );
    pieces.return?.()?.catch(() => {});
  } else await pieces.return?.()?.catch(() => {});
  await Promise.all(tasks);
  if (failure) {
    // The chunks written so far are released at once, not after the lease's expiry — when the
    // lease is this call's own (a caller's lease, say a multipart upload's, is the caller's to end).
    if (refs.length > 0 && own) await api.abortUpload(uploadId).catch(() => {});
    throw own ? uploadLost(failure) : failure;
  }
  options.signal?.throwIfAborted();
  return {
    uploadId,
    own,
    chunks: refs,
    size,
    sha256: wantHash ? (fileHash ?? createHash('sha256')).digest('hex') : (options.sha256 as string),
    md5: md5?.digest('hex'),
    receipts,
  };
}

/**
 * A master's refusal of an upload it no longer holds open (its lease lapsed or was forgotten in a
 * crash of the metadata store, a chunk's pin was lost) as the caller of an upload of the SDK's own
 * sees it: the cluster's failure (503), to be sent again, not the request's.
 */
export function uploadLost(err: unknown): unknown {
  return isUploadGone(err) ? new DfsError('unavailable', err.message, { cause: err }) : err;
}

/** True for an error uploadLost made. */
export function isUploadLost(err: unknown): boolean {
  return err instanceof DfsError && err.code === 'unavailable' && isUploadGone(err.cause);
}

function tooLarge(maxSize: number): never {
  throw new DfsError('payload_too_large', `file is larger than the cluster's limit of ${maxSize} bytes`);
}

/** Places and sends one chunk, failing over to other nodes; returns the receipts. */
async function storeChunk(
  api: MasterApi,
  id: string,
  data: Buffer,
  uploadId: string,
  signal?: AbortSignal,
): Promise<Receipt[]> {
  const exclude = new Set<string>();
  let lastError: unknown;
  for (let attempt = 0; attempt < CHUNK_ATTEMPTS; attempt++) {
    signal?.throwIfAborted();
    const [allocation] = await api.allocate([{ id, size: data.length }], [...exclude], uploadId, { signal });
    if (!allocation || allocation.stored) return [];
    try {
      const receipts = await putChunk(
        allocation.targets.map((t) => t.url),
        id,
        allocation.token,
        data,
        signal,
      );
      const acked = new Set(receipts.filter((r) => r.chunkId === id).map((r) => r.nodeId));
      if (allocation.targets.every((t) => acked.has(t.nodeId))) return receipts;
      throw new DfsError('bad_gateway', 'a replica did not acknowledge the chunk');
    } catch (err) {
      lastError = err;
      // A refusal of the request itself (bad token, too large) will not get better elsewhere.
      if (signal?.aborted || !(err instanceof PipelineError || (err as DfsError).code === 'bad_gateway'))
        throw err;
      const failed = err instanceof PipelineError ? err.failedNode : undefined;
      const culprit = allocation.targets.find((t) => t.url === failed) ?? allocation.targets[0];
      if (culprit) exclude.add(culprit.nodeId);
    }
  }
  throw lastError instanceof DfsError
    ? new DfsError(
        lastError.code,
        `could not store a chunk after ${CHUNK_ATTEMPTS} attempts: ${lastError.message}`,
      )
    : lastError;
}
