// The client library (SDK) shared by the CLI, the web client, WebDAV and the S3 gateway: the
// master API with failover, and the chunked, replicated, verified write and read paths.
// Writing and committing are separate steps; every call takes an AbortSignal.

import { Readable, type Writable } from 'node:stream';
import { parseMasters } from '../config.js';
import type { MkdirOptions, RmdirOptions } from '../meta/store.js';
import { DfsError } from '../protocol/errors.js';
import { MAX_ALLOCATE } from '../protocol/limits.js';
import { normalisePath, normalisePrefix } from '../protocol/paths.js';
import type {
  ChunkRef,
  ClusterConfig,
  FileInfo,
  ListEntry,
  ListResponse,
  Manifest,
} from '../protocol/types.js';
import { BufferPool, chunks, fileChunks, SPARE_MIN } from './chunker.js';
import { type ReadOptions, readPieces, readSingleChunk } from './download.js';
import { type CallOptions, type ListCallOptions, type ListOptions, MasterApi } from './master-api.js';
import { isUploadLost, uploadLost, type WriteOptions, type WrittenChunks, writeChunks } from './upload.js';
import { newUploadId } from './upload-id.js';

/**
 * Runs an upload whose bytes can be read again (a file, an array, a small stream kept whole); one
 * the cluster lost before its commit (see uploadLost) is sent again, once, when `possible`.
 */
async function again(upload: () => Promise<Manifest>, possible = () => true): Promise<Manifest> {
  try {
    return await upload();
  } catch (err) {
    if (!isUploadLost(err) || !possible()) throw err;
    return upload();
  }
}

// A stream of at most this many bytes is kept as it is read, so that an upload of it the cluster
// lost (under way when PostgreSQL crashed), whose chunks cannot be pinned again either (see
// commit), is sent again as a file's is: most files are small, and a WebDAV client or curl shows
// a 503 where an S3 client would send the body again.
const KEPT_MAX = 1024 * 1024;

type Source = AsyncIterable<Buffer | Uint8Array | string> | Iterable<Buffer | Uint8Array | string>;

/**
 * A source read once, whose pieces are kept (copied: a caller may reuse its buffers) while they
 * total at most `max` bytes: read again once it was read whole, it yields them.
 */
class Kept implements AsyncIterable<Buffer | Uint8Array | string> {
  private pieces: (Buffer | string)[] | undefined = [];
  private size = 0;
  private ended = false;

  constructor(
    private readonly source: Source,
    private readonly max: number,
  ) {}

  /** The source was read to its end and all of it is kept. */
  get whole(): boolean {
    return this.ended && this.pieces !== undefined;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer | Uint8Array | string> {
    if (this.ended) return yield* this.pieces ?? [];
    for await (const piece of this.source) {
      if (this.pieces) {
        this.size += typeof piece === 'string' ? Buffer.byteLength(piece) : piece.length;
        if (this.size > this.max) this.pieces = undefined;
        else this.pieces.push(typeof piece === 'string' ? piece : Buffer.from(piece));
      }
      yield piece;
    }
    this.ended = true;
  }
}

/** How to reach a cluster. */
export interface ClientOptions {
  /** Base URL of the master, or several, comma-separated or as a list. */
  master: string | readonly string[];
  /** Access token ($DFS_TOKEN), if the cluster has one. */
  token?: string;
  /** Chunks uploaded at once; default 4. */
  uploadConcurrency?: number;
  /** Chunks fetched ahead while downloading; default 3. */
  prefetch?: number;
}

/** Progress of a transfer: bytes so far. */
export type Progress = (bytes: number) => void;

/** What a commit makes of written chunks. */
export interface CommitOptions extends CallOptions {
  path: string;
  contentType?: string;
  metadata?: Record<string, string>;
  attributes?: Record<string, string>;
  /** Only commit if the current version has this generation (0: only if the path is free). */
  ifGeneration?: number;
  /** Only commit if the current version does not have this generation. */
  ifNotGeneration?: number;
}

/** Options of an upload (write, then commit). */
export interface UploadOptions extends Omit<CommitOptions, 'path'>, Pick<WriteOptions, 'expectedSize'> {
  onProgress?: Progress;
  /** Also compute the MD5 of the bytes (for S3 ETags): the result is in `attributes.md5`. */
  md5?: boolean;
}

/** Options of a download. */
export interface DownloadOptions extends ReadOptions {
  /** An already fetched FileInfo, to skip one round trip. */
  info?: FileInfo;
}

/** A file opened for reading: its manifest and its (verified) bytes. */
export interface OpenFile {
  info: FileInfo;
  stream: Readable;
}

/** A connection to a dfs cluster. */
export class DfsClient {
  /** Every route of the master, with failover. */
  readonly api: MasterApi;
  readonly token: string;
  /** Chunks sent at once by an upload. */
  readonly uploadConcurrency: number;
  /** Chunks fetched ahead by a download. */
  readonly prefetch: number;
  private configPromise: Promise<ClusterConfig> | undefined;

  constructor(options: ClientOptions) {
    const masters = typeof options.master === 'string' ? parseMasters(options.master) : [...options.master];
    this.token = options.token ?? '';
    this.api = new MasterApi(masters, this.token);
    this.uploadConcurrency = options.uploadConcurrency ?? 4;
    this.prefetch = options.prefetch ?? 3;
  }

  /** The cluster's chunk size, replication and limits (cached). */
  config(): Promise<ClusterConfig> {
    this.configPromise ??= this.api.config().catch((err) => {
      this.configPromise = undefined;
      throw err;
    });
    return this.configPromise;
  }

  /** One page of a listing. */
  list(prefix = '/', options: Omit<ListOptions, 'prefix'> & ListCallOptions = {}): Promise<ListResponse> {
    const { signal, forWrite, ...query } = options;
    return this.api.list({ ...query, prefix: normalisePrefix(prefix) }, { signal, forWrite });
  }

  /** Every page of a listing, in order (from `options.after`, when given). */
  async *pages(
    prefix = '/',
    options: Omit<ListOptions, 'prefix'> & CallOptions = {},
  ): AsyncGenerator<ListResponse> {
    let after = options.after;
    do {
      const page = await this.list(prefix, { ...options, after });
      yield page;
      after = page.next;
    } while (after);
  }

  /** Every file below `prefix`, following pages. */
  async *listAll(
    prefix = '/',
    options: { health?: boolean; signal?: AbortSignal } = {},
  ): AsyncGenerator<ListEntry> {
    for await (const page of this.pages(prefix, { limit: 5000, ...options }))
      for (const e of page.entries) if (e.type === 'file') yield e;
  }

  /** A file's manifest with replica locations. */
  stat(path: string, options: CallOptions = {}): Promise<FileInfo> {
    return this.api.stat(normalisePath(path), options);
  }

  /** Deletes a file (only if its version is `ifGeneration`, when given). */
  async remove(path: string, options: CallOptions & { ifGeneration?: number } = {}): Promise<void> {
    await this.api.remove(normalisePath(path), options.ifGeneration, options);
  }

  /** Deletes a folder and everything in it, in one transaction; returns the files deleted. */
  removeTree(path: string, options: CallOptions = {}): Promise<number> {
    return this.api.removeTree(normalisePath(path), options);
  }

  /** Renames a file or folder. */
  move(from: string, to: string, overwrite = false, options: CallOptions = {}): Promise<{ moved: number }> {
    return this.api.move(normalisePath(from), normalisePath(to), overwrite, options);
  }

  /**
   * Creates a folder and its missing ancestors, all explicit (they stay when emptied); with
   * `impliedParents`, only the folder itself (an S3 folder object makes no objects of its parents).
   */
  mkdir(path: string, options: CallOptions & MkdirOptions = {}): Promise<string> {
    return this.api.mkdir(normalisePath(path), options);
  }

  /**
   * Removes an empty folder; with `keepContents`, only the folder's own entry (what is below it
   * stays, and still implies the folder).
   */
  async rmdir(path: string, options: CallOptions & RmdirOptions = {}): Promise<void> {
    await this.api.rmdir(normalisePath(path), options);
  }

  /** Every storage node. */
  nodes() {
    return this.api.nodes();
  }

  /** Cluster health. */
  status() {
    return this.api.status();
  }

  /** Checks every file at or below `prefix` (a folder or one file) against live replicas. */
  fsck(prefix = '/') {
    return this.api.fsck(prefix);
  }

  /** Writes the bytes of `source` as durable, replicated chunks, ready to be committed. */
  writeChunks(source: Source, options: WriteOptions = {}): Promise<WrittenChunks> {
    return this.write((size, pool) => chunks(source, size, pool, options.expectedSize), options);
  }

  /** Writes a local file's chunks, read straight into the chunk buffers. */
  writeFileChunks(localPath: string, options: WriteOptions = {}): Promise<WrittenChunks> {
    return this.write((_, pool) => fileChunks(localPath, pool), options);
  }

  // Writes the chunks `cut` yields into buffers of a pool of the cluster's chunk size.
  private async write(
    cut: (chunkSize: number, pool: BufferPool) => AsyncIterable<Buffer>,
    options: WriteOptions,
  ): Promise<WrittenChunks> {
    const config = await this.config();
    const pool = new BufferPool(config.chunkSize, this.uploadConcurrency + 1);
    try {
      return await writeChunks(this.api, cut(config.chunkSize, pool), pool, this.uploadConcurrency, {
        maxSize: config.maxFileSize,
        ...options,
      });
    } finally {
      pool.close();
    }
  }

  /**
   * Commits a manifest: written chunks (with their receipts), or chunks of files already stored
   * (a copy: no bytes move). A resent commit of the same upload is answered, never applied twice.
   * An upload of the SDK's own that the master lost is committed again under a new one when its
   * chunks are still stored; else it fails 'unavailable' (see uploadLost).
   */
  async commit(
    written: Omit<WrittenChunks, 'uploadId'> & { uploadId?: string },
    options: CommitOptions,
  ): Promise<Manifest> {
    const { signal, ...rest } = options;
    const path = normalisePath(options.path); // first: a bad path begins nothing
    const request = {
      ...rest,
      path,
      size: written.size,
      sha256: written.sha256,
      chunks: written.chunks,
      receipts: written.receipts,
    };
    const uploadId = written.uploadId ?? newUploadId();
    // The master applies a commit only under an upload it has begun (a lease): writing a chunk
    // begins one; an upload that wrote none (an empty file, a copy) begins it now.
    if (written.uploadId === undefined || written.chunks.length === 0) await this.begin(uploadId, signal);
    const commit = this.api.commit(request, uploadId, { signal });
    // An upload of this client's own that the master has lost is the cluster's failure; one of
    // the caller's (a multipart upload's) is the caller's to answer.
    if (written.uploadId !== undefined && !written.own) return commit;
    try {
      return await commit;
    } catch (err) {
      const lost = uploadLost(err);
      // The master lost the upload (a crash of PostgreSQL forgot its lease or a chunk's pin), not
      // its chunks, which are on their nodes: pinned again under a new upload, they are committed
      // without their bytes sent again — when every one is still stored in full.
      if (!isUploadLost(lost)) throw lost;
      const again = newUploadId();
      if (!(await this.repin(written.chunks, again, signal))) {
        signal?.throwIfAborted();
        throw lost;
      }
      return this.api.commit(request, again, { signal }).catch((e) => Promise.reject(uploadLost(e)));
    }
  }

  // Begins upload `uploadId` pinning `chunks`; false (the upload ended) when any of them is not
  // stored in full on live nodes, and so would have to be written again, or the master failed.
  private async repin(chunks: ChunkRef[], uploadId: string, signal: AbortSignal | undefined) {
    const unique = [...new Map(chunks.map((c) => [c.id, c])).values()];
    const failed = () => false;
    let pinned = unique.length > 0 || (await this.begin(uploadId, signal).then(() => true, failed));
    for (let i = 0; pinned && i < unique.length; i += MAX_ALLOCATE)
      pinned = await this.api
        .allocate(unique.slice(i, i + MAX_ALLOCATE), [], uploadId, { signal })
        .then((placed) => placed.every((a) => a.stored), failed);
    if (!pinned) await this.api.abortUpload(uploadId).catch(() => {});
    return pinned;
  }

  // Begins upload `uploadId` with an empty allocate. A master of the previous version refuses an
  // empty one (400), and takes a commit without a lease.
  private async begin(uploadId: string, signal: AbortSignal | undefined): Promise<void> {
    await this.api.allocate([], [], uploadId, { signal }).catch((err: unknown) => {
      if (!(err instanceof DfsError && err.code === 'bad_request')) throw err;
    });
  }

  /**
   * Uploads a byte stream to `remotePath`: writes its chunks, then commits them. An upload the
   * cluster lost is sent again once when its bytes can be (an array; a stream of at most 1 MiB).
   */
  async upload(source: Source, remotePath: string, options: UploadOptions = {}): Promise<Manifest> {
    const path = normalisePath(remotePath); // first: a bad path writes nothing
    const send = (from: Source) => async () =>
      this.finish(path, await this.writeChunks(from, options), options);
    if (Array.isArray(source)) return again(send(source));
    const kept = new Kept(source, KEPT_MAX);
    return again(send(kept), () => kept.whole);
  }

  /** Uploads a local file. */
  async uploadFile(localPath: string, remotePath: string, options: UploadOptions = {}): Promise<Manifest> {
    const path = normalisePath(remotePath);
    return again(async () => this.finish(path, await this.writeFileChunks(localPath, options), options));
  }

  // Commits what was written at `path`, with the MD5 as an attribute when one was computed.
  private async finish(path: string, written: WrittenChunks, options: UploadOptions): Promise<Manifest> {
    const { onProgress, md5: _, expectedSize: __, ...commit } = options;
    const attributes = written.md5 ? { ...options.attributes, md5: written.md5 } : options.attributes;
    const manifest = await this.commit(written, { ...commit, path, attributes });
    onProgress?.(written.size);
    return manifest;
  }

  /** Copies a file as a new manifest over the same chunks: no bytes move. */
  async copy(from: string, to: string, options: Omit<CommitOptions, 'path'> = {}): Promise<Manifest> {
    const info = await this.stat(from, options);
    return this.commit(
      {
        chunks: info.chunks.map((c) => ({ id: c.id, size: c.size })),
        size: info.size,
        sha256: info.sha256,
        receipts: [],
      },
      {
        contentType: info.contentType,
        metadata: info.metadata,
        attributes: info.attributes,
        ...options,
        path: to,
      },
    );
  }

  /**
   * Streams a file's bytes (or bytes `start..end`), chunk by chunk in order with a few chunks
   * prefetched. Each chunk is verified against its hash before its bytes are passed on; a node
   * error or a bad copy makes the reader take the next replica and report the bad one.
   */
  async *download(remotePath: string, options: DownloadOptions = {}): AsyncGenerator<Buffer> {
    const info = options.info ?? (await this.stat(remotePath, options));
    for await (const piece of readPieces(this, info, options)) yield piece.data;
  }

  /**
   * The verified bytes of a small file, stored in one chunk, in one buffer: what serving it
   * whole needs, without a stream's machinery. (A larger file is read with `downloadTo`.)
   */
  readSingleChunk(info: FileInfo): Promise<Buffer> {
    return readSingleChunk(this, info);
  }

  /** Opens a file: its manifest and a stream of its verified bytes (or of `start..end`). */
  async open(remotePath: string, options: DownloadOptions = {}): Promise<OpenFile> {
    const info = options.info ?? (await this.stat(remotePath, options));
    return {
      info,
      stream: Readable.from(this.download(info.path, { ...options, info }), { objectMode: false }),
    };
  }

  /**
   * Downloads into a writable stream (a file, stdout, an HTTP response) with a fixed set of
   * reused chunk buffers: each is recycled only once the stream has written it, so memory stays
   * flat whatever the file size. Does not end the stream.
   */
  async downloadTo(remotePath: string, out: Writable, options: DownloadOptions = {}): Promise<FileInfo> {
    const info = options.info ?? (await this.stat(remotePath, options));
    const largest = info.chunks.reduce((max, c) => Math.max(max, c.size), 1);
    // Buffers of the cluster's chunk size when worth keeping for the next transfer, whatever the
    // size of this file's chunks (a buffer kept is taken only by a pool of its size). A master
    // that cannot say its chunk size fails no download: the file's own size is used.
    const chunkSize =
      largest < SPARE_MIN
        ? largest
        : await this.config().then(
            (c) => c.chunkSize,
            () => largest,
          );
    const size = Math.max(largest, chunkSize);
    const pool = new BufferPool(size, this.prefetch + 1);
    try {
      for await (const piece of readPieces(this, info, options, pool)) {
        await written(out, piece.data, options.signal);
        // (Not released when the write failed: its buffer may still be queued in the stream.)
        piece.release();
      }
    } finally {
      pool.close();
    }
    return info;
  }
}

/**
 * Resolves once `out` has taken `data`. A stream that closes first (an HTTP client that left)
 * may never call back a write it had queued: its close fails the wait, or the download would
 * hang for good, holding its chunk buffers.
 */
function written(out: Writable, data: Buffer, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const closed = () =>
      reject(
        out.errored ?? signal?.reason ?? new DfsError('unavailable', 'the destination closed mid-download'),
      );
    if (out.destroyed) return closed();
    out.once('close', closed);
    out.write(data, (err) => {
      out.off('close', closed);
      if (err) reject(err);
      else resolve();
    });
  });
}
