// The read path: chunks fetched in order with a few prefetched, each verified against its hash
// before its bytes are passed on, failing over to the next replica and reporting bad ones.

import { createHash } from 'node:crypto';
import { DfsError } from '../protocol/errors.js';
import type { ChunkLocation, FileInfo } from '../protocol/types.js';
import { fetchChunk } from './chunk-io.js';
import type { BufferPool } from './chunker.js';
import type { MasterApi } from './master-api.js';

/** What a read needs: the master API, the access token for nodes, chunks fetched ahead. */
export interface ReadContext {
  api: MasterApi;
  token: string;
  prefetch: number;
}

/** Options of a read. */
export interface ReadOptions {
  /** First byte, inclusive. */
  start?: number;
  /** Last byte, inclusive. */
  end?: number;
  onProgress?: (bytes: number) => void;
  signal?: AbortSignal;
}

/**
 * Yields the verified bytes of `info` (or of `start..end`) in order. With a pool, chunk buffers
 * come from it and each piece's `release` gives its buffer back once the consumer is done.
 */
export async function* readPieces(
  client: ReadContext,
  info: FileInfo,
  options: ReadOptions,
  pool?: BufferPool,
): AsyncGenerator<{ data: Buffer; release(): void }> {
  const start = options.start ?? 0;
  const end = Math.min(options.end ?? info.size - 1, info.size - 1);
  const wanted = info.chunks.filter((c) => c.offset <= end && c.offset + c.size > start);
  const inFlight: Promise<Buffer>[] = [];
  let next = 0;
  let done = 0;
  const refill = () => {
    while (inFlight.length < client.prefetch && next < wanted.length) {
      const chunk = wanted[next++] as ChunkLocation;
      const p = (pool ? pool.acquire() : Promise.resolve(undefined)).then((into) =>
        readChunk(client, info.path, chunk, options.signal, into),
      );
      p.catch(() => {}); // observed below, in order
      inFlight.push(p);
    }
  };
  for (const chunk of wanted) {
    refill();
    const data = await (inFlight.shift() as Promise<Buffer>);
    const from = Math.max(start - chunk.offset, 0);
    const to = Math.min(end - chunk.offset + 1, chunk.size);
    const slice = from === 0 && to === chunk.size ? data : data.subarray(from, to);
    done += slice.length;
    options.onProgress?.(done);
    yield { data: slice, release: () => pool?.release(data) };
  }
  options.signal?.throwIfAborted();
}

/** The verified bytes of a file stored in one chunk, in one buffer (no streaming machinery). */
export async function readSingleChunk(client: ReadContext, info: FileInfo): Promise<Buffer> {
  const [chunk] = info.chunks;
  if (!chunk || info.chunks.length > 1)
    throw new DfsError('bad_request', `${info.path} is not stored in one chunk: stream it`);
  return readChunk(client, info.path, chunk);
}

/** Fetches and verifies one chunk from the first replica that serves good bytes. */
async function readChunk(
  client: ReadContext,
  path: string,
  chunk: ChunkLocation,
  signal?: AbortSignal,
  into?: Buffer,
): Promise<Buffer> {
  const tried: string[] = [];
  let replicas = chunk.replicas;
  for (let round = 0; round < 2; round++) {
    for (const replica of replicas) {
      if (tried.includes(replica.url)) continue;
      tried.push(replica.url);
      // A bad copy, or one the node says it does not have, is reported: the node checks it.
      const suspect = () => client.api.suspect(chunk.id, replica.nodeId).catch(() => {});
      try {
        const data = await fetchChunk(replica.url, chunk.id, client.token, signal, into);
        if (data.length === chunk.size && createHash('sha256').update(data).digest('hex') === chunk.id)
          return data;
        await suspect();
      } catch (err) {
        if (signal?.aborted) throw err;
        if ((err as DfsError).code === 'not_found') await suspect();
      }
    }
    // Replicas may have moved (repair) since the manifest was fetched: ask once more.
    const fresh = await client.api.stat(path, { signal }).catch(() => undefined);
    replicas = fresh?.chunks.find((c) => c.id === chunk.id)?.replicas ?? [];
  }
  throw new DfsError(
    'unavailable',
    `no good replica of chunk ${chunk.id.slice(0, 12)}… of ${path} (${tried.length ? `tried ${tried.join(', ')}` : 'no node is known to hold a copy'})`,
  );
}
