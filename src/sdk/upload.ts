// The write path: chunks hashed, placed by the master, sent down a pipeline of nodes (several at
// once, failing over to other nodes), then the manifest committed.

import { createHash, randomUUID } from 'node:crypto';
import { DfsError } from '../protocol/errors.js';
import { UPLOAD_HEADER } from '../protocol/headers.js';
import { normalisePath } from '../protocol/paths.js';
import type { Allocation, Manifest, Receipt } from '../protocol/types.js';
import { putChunk } from './chunk-io.js';
import type { BufferPool } from './chunker.js';
import type { DfsClient, UploadOptions } from './client.js';
import { Limiter } from './limit.js';

// Placement retries for one chunk before the upload fails.
const CHUNK_ATTEMPTS = 5;

/**
 * Uploads chunks (buffers from `pool`, released here once sent) to `remotePath` and commits.
 * Memory: chunk size × (concurrency + 1).
 */
export async function uploadChunks(
  client: DfsClient,
  source: AsyncIterable<Buffer>,
  pool: BufferPool,
  remotePath: string,
  options: UploadOptions,
): Promise<Manifest> {
  const path = normalisePath(remotePath);
  const config = await client.config();
  const uploadId = randomUUID();
  const fileHash = createHash('sha256');
  const refs: { id: string; size: number }[] = [];
  const receipts: Receipt[] = [];
  const limiter = new Limiter(client.uploadConcurrency);
  const tasks: Promise<void>[] = [];
  let failure: unknown;
  let size = 0;
  let sent = 0;
  // Whatever ends the loop early (a bad source, an abort, a size limit, a failed chunk), the
  // chunks already in flight are awaited before the upload settles: nothing runs on behind it.
  try {
    for await (const chunk of source) {
      options.signal?.throwIfAborted();
      if (size + chunk.length > config.maxFileSize) {
        throw new DfsError(
          'payload_too_large',
          `file is larger than the cluster's limit of ${config.maxFileSize} bytes`,
        );
      }
      fileHash.update(chunk);
      size += chunk.length;
      const id = createHash('sha256').update(chunk).digest('hex');
      refs.push({ id, size: chunk.length });
      await limiter.slot();
      if (failure) break;
      const task = limiter
        .run(() => storeChunk(client, id, chunk, uploadId, options.signal))
        .then((r) => {
          receipts.push(...r);
          sent += chunk.length;
          options.onProgress?.(sent);
        })
        .catch((err) => {
          failure ??= err;
        })
        .finally(() => pool.release(chunk));
      tasks.push(task);
    }
  } catch (err) {
    failure ??= err;
  }
  await Promise.all(tasks);
  if (failure) throw failure;
  options.signal?.throwIfAborted();
  const manifest = await client.call<Manifest>('post', '/api/files', {
    json: { path, size, sha256: fileHash.digest('hex'), chunks: refs, receipts, ifMatch: options.ifMatch },
    headers: { [UPLOAD_HEADER]: uploadId },
  });
  options.onProgress?.(size);
  return manifest;
}

/** Places and sends one chunk, failing over to other nodes; returns the receipts. */
async function storeChunk(
  client: DfsClient,
  id: string,
  data: Buffer,
  uploadId: string,
  signal?: AbortSignal,
): Promise<Receipt[]> {
  const exclude = new Set<string>();
  let lastError: unknown;
  for (let attempt = 0; attempt < CHUNK_ATTEMPTS; attempt++) {
    signal?.throwIfAborted();
    const { allocations } = await client.call<{ allocations: Allocation[] }>('post', '/api/chunks/allocate', {
      json: { chunks: [{ id, size: data.length }], exclude: [...exclude] },
      headers: { [UPLOAD_HEADER]: uploadId },
    });
    const allocation = allocations[0];
    if (!allocation || allocation.stored) return [];
    try {
      const receipts = await putChunk(allocation.targets, id, allocation.token, data, signal);
      const acked = new Set(receipts.filter((r) => r.chunkId === id).map((r) => r.nodeId));
      if (allocation.targets.every((t) => acked.has(t.nodeId))) return receipts;
      throw new DfsError('bad_gateway', 'a replica did not acknowledge the chunk');
    } catch (err) {
      lastError = err;
      const failed = (err as { failedNode?: string }).failedNode;
      const culprit = allocation.targets.find((t) => t.url === failed) ?? allocation.targets[0];
      // A refusal of the request itself (bad token, too large) will not get better elsewhere.
      const code = (err as DfsError).code;
      if (signal?.aborted || code === 'payload_too_large' || code === 'forbidden' || code === 'unauthorized')
        throw err;
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
