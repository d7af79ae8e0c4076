// The client library (SDK) shared by the CLI and the web client: every call to the master, and
// the chunked, replicated, verified upload and download paths.

import { createHash, randomUUID } from 'node:crypto';
import type { Writable } from 'node:stream';
import { parseBaseUrl } from '../config.js';
import { DfsError } from '../protocol/errors.js';
import { UPLOAD_HEADER } from '../protocol/headers.js';
import { normalisePath, normalisePrefix } from '../protocol/paths.js';
import type {
  Allocation,
  ChunkLocation,
  ClusterConfig,
  ClusterStatus,
  FileInfo,
  FsckReport,
  ListEntry,
  ListResponse,
  Manifest,
  NodeInfo,
  Receipt,
} from '../protocol/types.js';
import { fetchChunk, putChunk } from './chunk-io.js';
import { BufferPool, chunks, fileChunks } from './chunker.js';
import { Limiter } from './limit.js';
import { type JsonCallOptions, jsonCall } from './transport.js';

/** How to reach a cluster. */
export interface ClientOptions {
  /** Base URL of the master. */
  master: string;
  /** Access token ($DFS_TOKEN), if the cluster has one. */
  token?: string;
  /** Chunks uploaded at once; default 4. */
  uploadConcurrency?: number;
  /** Chunks fetched ahead while downloading; default 3. */
  prefetch?: number;
}

/** Progress of a transfer: bytes so far. */
export type Progress = (bytes: number) => void;

/** Options of an upload. */
export interface UploadOptions {
  onProgress?: Progress;
  signal?: AbortSignal;
  /** Only replace the file if its current version was created at this time (0: only if absent). */
  ifMatch?: number;
}

/** Options of a download. */
export interface DownloadOptions {
  /** First byte, inclusive. */
  start?: number;
  /** Last byte, inclusive. */
  end?: number;
  onProgress?: Progress;
  signal?: AbortSignal;
  /** An already fetched FileInfo, to skip one round trip. */
  info?: FileInfo;
}

// Placement retries for one chunk before the upload fails.
const CHUNK_ATTEMPTS = 5;

/** A connection to a dfs cluster. */
export class DfsClient {
  readonly master: string;
  readonly token: string;
  private readonly headers: Record<string, string>;
  private readonly uploadConcurrency: number;
  private readonly prefetch: number;
  private configPromise: Promise<ClusterConfig> | undefined;

  constructor(options: ClientOptions) {
    this.master = parseBaseUrl(options.master, 'master URL');
    this.token = options.token ?? '';
    this.headers = this.token ? { authorization: `Bearer ${this.token}` } : {};
    this.uploadConcurrency = options.uploadConcurrency ?? 4;
    this.prefetch = options.prefetch ?? 3;
  }

  private call<T>(
    method: 'get' | 'post' | 'delete',
    route: string,
    options: JsonCallOptions = {},
  ): Promise<T> {
    return jsonCall<T>(method, `${this.master}${route}`, `master ${this.master}`, {
      ...options,
      headers: { ...this.headers, ...options.headers },
    });
  }

  /** The cluster's chunk size, replication and limits (cached). */
  config(): Promise<ClusterConfig> {
    this.configPromise ??= this.call<ClusterConfig>('get', '/api/config').catch((err) => {
      this.configPromise = undefined;
      throw err;
    });
    return this.configPromise;
  }

  /** One page of a listing. */
  list(
    prefix = '/',
    options: { delimiter?: boolean; after?: string; limit?: number } = {},
  ): Promise<ListResponse> {
    const searchParams: Record<string, string> = { prefix: normalisePrefix(prefix) };
    if (options.delimiter) searchParams.delimiter = '/';
    if (options.after) searchParams.after = options.after;
    if (options.limit) searchParams.limit = String(options.limit);
    return this.call('get', '/api/files', { searchParams });
  }

  /** Every file below `prefix`, following pages. */
  async *listAll(prefix = '/'): AsyncGenerator<ListEntry> {
    let after: string | undefined;
    do {
      const page = await this.list(prefix, { after, limit: 5000 });
      yield* page.entries;
      after = page.next;
    } while (after);
  }

  /** A file's manifest with replica locations. */
  stat(path: string): Promise<FileInfo> {
    return this.call('get', `/api/files${encodePath(normalisePath(path))}`);
  }

  /** Deletes a file. */
  async remove(path: string): Promise<void> {
    await this.call('delete', `/api/files${encodePath(normalisePath(path))}`);
  }

  /** Renames a file or folder. */
  move(from: string, to: string, overwrite = false): Promise<{ moved: number }> {
    return this.call('post', '/api/move', {
      json: { from: normalisePath(from), to: normalisePath(to), overwrite },
    });
  }

  /** Creates a folder. */
  async mkdir(path: string): Promise<string> {
    return (await this.call<{ path: string }>('post', '/api/dirs', { json: { path: normalisePath(path) } }))
      .path;
  }

  /** Removes an empty folder. */
  async rmdir(path: string): Promise<void> {
    await this.call('delete', `/api/dirs${encodePath(normalisePath(path))}`);
  }

  /** Every storage node. */
  async nodes(): Promise<NodeInfo[]> {
    return (await this.call<{ nodes: NodeInfo[] }>('get', '/api/nodes')).nodes;
  }

  /** Cluster health. */
  status(): Promise<ClusterStatus> {
    return this.call('get', '/api/status');
  }

  /** Checks every file at or below `prefix` (a folder or one file) against live replicas. */
  fsck(prefix = '/'): Promise<FsckReport> {
    return this.call('get', '/api/fsck', { searchParams: { prefix } });
  }

  /**
   * Uploads a byte stream to `remotePath`: cut into chunks, each hashed and sent through a
   * pipeline of nodes (several at once), then committed. Memory: chunk size × (concurrency + 1).
   */
  async upload(
    source: AsyncIterable<Buffer | Uint8Array | string>,
    remotePath: string,
    options: UploadOptions = {},
  ): Promise<Manifest> {
    const config = await this.config();
    const pool = new BufferPool(config.chunkSize, this.uploadConcurrency + 1);
    return this.uploadChunks(chunks(source, config.chunkSize, pool), pool, remotePath, options);
  }

  /** Uploads a local file, reading straight into the chunk buffers (no intermediate copies). */
  async uploadFile(localPath: string, remotePath: string, options: UploadOptions = {}): Promise<Manifest> {
    const config = await this.config();
    const pool = new BufferPool(config.chunkSize, this.uploadConcurrency + 1);
    return this.uploadChunks(fileChunks(localPath, pool), pool, remotePath, options);
  }

  private async uploadChunks(
    source: AsyncIterable<Buffer>,
    pool: BufferPool,
    remotePath: string,
    options: UploadOptions,
  ): Promise<Manifest> {
    const path = normalisePath(remotePath);
    const config = await this.config();
    const uploadId = randomUUID();
    const fileHash = createHash('sha256');
    const refs: { id: string; size: number }[] = [];
    const receipts: Receipt[] = [];
    const limiter = new Limiter(this.uploadConcurrency);
    const tasks: Promise<void>[] = [];
    let failure: unknown;
    let size = 0;
    let sent = 0;
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
        .run(() => this.storeChunk(id, chunk, uploadId, options.signal))
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
    await Promise.all(tasks);
    if (failure) throw failure;
    options.signal?.throwIfAborted();
    const manifest = await this.call<Manifest>('post', '/api/files', {
      json: { path, size, sha256: fileHash.digest('hex'), chunks: refs, receipts, ifMatch: options.ifMatch },
      headers: { [UPLOAD_HEADER]: uploadId },
    });
    options.onProgress?.(size);
    return manifest;
  }

  /** Places and sends one chunk, failing over to other nodes; returns the receipts. */
  private async storeChunk(
    id: string,
    data: Buffer,
    uploadId: string,
    signal?: AbortSignal,
  ): Promise<Receipt[]> {
    const exclude = new Set<string>();
    let lastError: unknown;
    for (let attempt = 0; attempt < CHUNK_ATTEMPTS; attempt++) {
      signal?.throwIfAborted();
      const { allocations } = await this.call<{ allocations: Allocation[] }>('post', '/api/chunks/allocate', {
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
        if (
          signal?.aborted ||
          code === 'payload_too_large' ||
          code === 'forbidden' ||
          code === 'unauthorized'
        )
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

  /**
   * Streams a file's bytes (or bytes `start..end`), chunk by chunk in order with a few chunks
   * prefetched. Each chunk is verified against its hash before its bytes are passed on; a node
   * error or a bad copy makes the reader take the next replica and report the bad one.
   */
  async *download(remotePath: string, options: DownloadOptions = {}): AsyncGenerator<Buffer> {
    const info = options.info ?? (await this.stat(remotePath));
    for await (const piece of this.pieces(info, options)) yield piece.data;
  }

  /**
   * Downloads into a writable stream (a file, stdout, an HTTP response) with a fixed set of
   * reused chunk buffers: each is recycled only once the stream has written it, so memory stays
   * flat whatever the file size. Does not end the stream.
   */
  async downloadTo(remotePath: string, out: Writable, options: DownloadOptions = {}): Promise<FileInfo> {
    const info = options.info ?? (await this.stat(remotePath));
    const largest = info.chunks.reduce((max, c) => Math.max(max, c.size), 1);
    const pool = new BufferPool(largest, this.prefetch + 1);
    for await (const piece of this.pieces(info, options, pool)) {
      await new Promise<void>((resolve, reject) =>
        out.write(piece.data, (err) => (err ? reject(err) : resolve())),
      );
      piece.release();
    }
    return info;
  }

  private async *pieces(
    info: FileInfo,
    options: DownloadOptions,
    pool?: BufferPool,
  ): AsyncGenerator<{ data: Buffer; release(): void }> {
    const start = options.start ?? 0;
    const end = Math.min(options.end ?? info.size - 1, info.size - 1);
    const wanted = info.chunks.filter((c) => c.offset <= end && c.offset + c.size > start);
    const inFlight: Promise<Buffer>[] = [];
    let next = 0;
    let done = 0;
    const refill = () => {
      while (inFlight.length < this.prefetch && next < wanted.length) {
        const chunk = wanted[next++] as ChunkLocation;
        const p = (pool ? pool.acquire() : Promise.resolve(undefined)).then((into) =>
          this.readChunk(info.path, chunk, options.signal, into),
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

  /** Fetches and verifies one chunk from the first replica that serves good bytes. */
  private async readChunk(
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
        try {
          const data = await fetchChunk(replica.url, chunk.id, this.token, signal, into);
          if (data.length === chunk.size && createHash('sha256').update(data).digest('hex') === chunk.id)
            return data;
          await this.call('post', `/api/chunks/${chunk.id}/suspect`, {
            json: { nodeId: replica.nodeId },
          }).catch(() => {});
        } catch (err) {
          if (signal?.aborted) throw err;
        }
      }
      // Replicas may have moved (repair) since the manifest was fetched: ask once more.
      const fresh = await this.stat(path).catch(() => undefined);
      replicas = fresh?.chunks.find((c) => c.id === chunk.id)?.replicas ?? [];
    }
    throw new DfsError(
      'unavailable',
      `no good replica of chunk ${chunk.id.slice(0, 12)}… of ${path} (tried ${tried.join(', ') || 'no node: none is alive'})`,
    );
  }
}

/** Percent-encodes each segment of a normalised path for use in a URL. */
export function encodePath(path: string): string {
  return path
    .split('/')
    .map((s) => encodeURIComponent(s))
    .join('/');
}
