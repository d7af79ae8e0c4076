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
      const p = (pool ? pool.acquire() : Promise.resolve(undefined)).then(async (into) => {
        const data = await readChunk(client, info.path, chunk, options.signal, into);
        // Another replica answered first (its own buffer): the pool's is free again.
        if (into && data.buffer !== into.buffer) pool?.release(into);
        return data;
      });
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

/**
 * How long a chunk's read may go unanswered before the next replica is asked too: a node that
 * hangs (frozen, its disk stuck) still accepts connections, and would hold the read for the whole
 * idle timeout. A second past a slow transfer's time at 8 MB/s (2 s for a chunk of 8 MiB).
 */
function hedgeAfter(size: number): number {
  return 1000 + size / 8000;
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
    const fresh = replicas.filter((r) => !tried.includes(r.url));
    tried.push(...fresh.map((r) => r.url));
    const data = await firstGood(client, chunk, fresh, signal, into);
    if (data) return data;
    // Replicas may have moved (repair) since the manifest was fetched: ask once more.
    const again = await client.api.stat(path, { signal }).catch(() => undefined);
    replicas = again?.chunks.find((c) => c.id === chunk.id)?.replicas ?? [];
  }
  throw new DfsError(
    'unavailable',
    `no good replica of chunk ${chunk.id.slice(0, 12)}… of ${path} (${tried.length ? `tried ${tried.join(', ')}` : 'no node is known to hold a copy'})`,
  );
}

/**
 * The chunk's bytes from the first of `replicas` that serves good ones, asked in order: the next
 * when one fails or sends bad bytes, and also when one has not answered within hedgeAfter (the
 * first good answer wins, the others are cut off). Undefined when none served good bytes. `into`
 * is read into by one request at a time, and by none once this settles.
 */
function firstGood(
  client: ReadContext,
  chunk: ChunkLocation,
  replicas: ChunkLocation['replicas'],
  signal: AbortSignal | undefined,
  into: Buffer | undefined,
): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const out = new Set<{ cut: AbortController; settled: Promise<void> }>();
    let next = 0;
    let intoBusy = false;
    let finished = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (result: Buffer | undefined, err?: unknown) => {
      finished = true;
      clearTimeout(timer);
      for (const attempt of out) attempt.cut.abort();
      // Settled first: no cut-off request may still write into `into` once the caller has it.
      void Promise.all([...out].map((a) => a.settled)).then(() =>
        err === undefined ? resolve(result) : reject(err),
      );
    };
    const ask = () => {
      clearTimeout(timer);
      if (finished) return;
      const replica = replicas[next++];
      if (!replica) {
        if (out.size === 0) finish(undefined);
        return;
      }
      const buffer = intoBusy ? undefined : into;
      if (buffer) intoBusy = true;
      const cut = new AbortController();
      const attempt = { cut, settled: Promise.resolve() };
      attempt.settled = readReplica(
        client,
        chunk,
        replica,
        AbortSignal.any([cut.signal, ...(signal ? [signal] : [])]),
        buffer,
      ).then(
        (data) => {
          out.delete(attempt);
          if (buffer) intoBusy = false;
          if (finished) return;
          if (data) finish(data);
          else ask();
        },
        (err: unknown) => {
          out.delete(attempt);
          if (buffer) intoBusy = false;
          if (!finished) finish(undefined, err);
        },
      );
      out.add(attempt);
      timer = setTimeout(ask, hedgeAfter(chunk.size));
    };
    ask();
  });
}

/**
 * One replica's bytes when good; undefined when it failed, or sent bad bytes or none (a bad copy,
 * or one the node says it does not have, is reported: the node checks it). Throws only when the
 * caller aborted.
 */
async function readReplica(
  client: ReadContext,
  chunk: ChunkLocation,
  replica: ChunkLocation['replicas'][number],
  signal: AbortSignal,
  into: Buffer | undefined,
): Promise<Buffer | undefined> {
  const suspect = () => client.api.suspect(chunk.id, replica.nodeId).catch(() => {});
  try {
    const data = await fetchChunk(replica.url, chunk.id, client.token, signal, into);
    if (data.length === chunk.size && createHash('sha256').update(data).digest('hex') === chunk.id)
      return data;
    await suspect();
  } catch (err) {
    if (signal.aborted) throw err;
    if ((err as DfsError).code === 'not_found') await suspect();
  }
  return undefined;
}
