// The client library (SDK) shared by the CLI and the web client: every call to the master, and
// the chunked, replicated, verified upload and download paths.

import type { Writable } from 'node:stream';
import { parseBaseUrl } from '../config.js';
import { normalisePath, normalisePrefix } from '../protocol/paths.js';
import type {
  ClusterConfig,
  ClusterStatus,
  FileInfo,
  FsckReport,
  ListEntry,
  ListResponse,
  Manifest,
  NodeInfo,
} from '../protocol/types.js';
import { BufferPool, chunks, fileChunks } from './chunker.js';
import { readPieces } from './download.js';
import { type JsonCallOptions, jsonCall } from './transport.js';
import { uploadChunks } from './upload.js';

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

/** A connection to a dfs cluster. */
export class DfsClient {
  readonly master: string;
  readonly token: string;
  private readonly headers: Record<string, string>;
  /** Chunks sent at once by an upload. */
  readonly uploadConcurrency: number;
  /** Chunks fetched ahead by a download. */
  readonly prefetch: number;
  private configPromise: Promise<ClusterConfig> | undefined;

  constructor(options: ClientOptions) {
    this.master = parseBaseUrl(options.master, 'master URL');
    this.token = options.token ?? '';
    this.headers = this.token ? { authorization: `Bearer ${this.token}` } : {};
    this.uploadConcurrency = options.uploadConcurrency ?? 4;
    this.prefetch = options.prefetch ?? 3;
  }

  /** Calls a master JSON route with this client's credentials. */
  call<T>(method: 'get' | 'post' | 'delete', route: string, options: JsonCallOptions = {}): Promise<T> {
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
    source: AsyncIterable<Buffer | Uint8Array | string> | Iterable<Buffer | Uint8Array | string>,
    remotePath: string,
    options: UploadOptions = {},
  ): Promise<Manifest> {
    const config = await this.config();
    const pool = new BufferPool(config.chunkSize, this.uploadConcurrency + 1);
    return uploadChunks(this, chunks(source, config.chunkSize, pool), pool, remotePath, options);
  }

  /** Uploads a local file, reading straight into the chunk buffers (no intermediate copies). */
  async uploadFile(localPath: string, remotePath: string, options: UploadOptions = {}): Promise<Manifest> {
    const config = await this.config();
    const pool = new BufferPool(config.chunkSize, this.uploadConcurrency + 1);
    return uploadChunks(this, fileChunks(localPath, pool), pool, remotePath, options);
  }

  /**
   * Streams a file's bytes (or bytes `start..end`), chunk by chunk in order with a few chunks
   * prefetched. Each chunk is verified against its hash before its bytes are passed on; a node
   * error or a bad copy makes the reader take the next replica and report the bad one.
   */
  async *download(remotePath: string, options: DownloadOptions = {}): AsyncGenerator<Buffer> {
    const info = options.info ?? (await this.stat(remotePath));
    for await (const piece of readPieces(this, info, options)) yield piece.data;
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
    for await (const piece of readPieces(this, info, options, pool)) {
      await new Promise<void>((resolve, reject) =>
        out.write(piece.data, (err) => (err ? reject(err) : resolve())),
      );
      piece.release();
    }
    return info;
  }
}

/** Percent-encodes each segment of a normalised path for use in a URL. */
export function encodePath(path: string): string {
  return path
    .split('/')
    .map((s) => encodeURIComponent(s))
    .join('/');
}
