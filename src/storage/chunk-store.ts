// The chunk store on disk: content-addressed files, written to a temporary name, hashed while
// written, fsynced, checked against their name and only then renamed into place.

import { createHash, type Hash, randomBytes } from 'node:crypto';
import { constants, createReadStream, type ReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { DfsError, toDfsError } from '../protocol/errors.js';
import { assertChunkId, isChunkId } from '../protocol/paths.js';
import type { NodeIo } from '../protocol/types.js';
import { readFully, syncDir, writeAll } from './disk-io.js';
import { CutShort, PackStore } from './pack-store.js';
import { ReadBuffers, WHOLE_READ_MIN } from './read-buffers.js';

// Writes are gathered into runs of this size before they reach the disk.
const WRITE_RUN = 1024 * 1024;
// Errors of the disk itself (not of a request): the node says it cannot write until a write works.
const DISK_FAILURES = new Set(['EROFS', 'EIO', 'EACCES', 'EPERM', 'ENOSPC', 'EDQUOT', 'EFBIG']);
// Chunks up to this size go to pack files by default.
const DEFAULT_PACK_LIMIT = 64 * 1024;
const DEFAULT_PACK_SIZE = 256 * 1024 * 1024;
// Chunks (or ranges) up to this size are read with one call, not streamed.
const SMALL_READ = 64 * 1024;
// Most bytes of kept buffers that large chunks are read whole into to be sent (read-buffers.ts).
const READ_BUFFERS = 16 * 1024 * 1024;

/** An open chunk write: feed it bytes, then commit (verify + make durable) or abort. */
export interface ChunkWriter {
  /** Bytes received so far. */
  readonly size: number;
  write(piece: Buffer): Promise<void>;
  /** Verifies the hash, fsyncs and renames into place; throws checksum_mismatch on a bad body. */
  commit(): Promise<void>;
  /** Removes the temporary file; safe to call at any time, and twice. */
  abort(): Promise<void>;
}

/** A chunk opened for reading. */
export interface ChunkReader {
  size: number;
  /** The bytes as a stream; absent when `data` holds them. */
  stream?: ReadStream;
  /** The whole (range of the) chunk read in one call, no stream needed: a small one, or a large one into a kept buffer. */
  data?: Buffer;
  /**
   * Gives back the kept buffer `data` was read into (a large chunk read whole), once its bytes
   * are sent or dropped; absent when `data` is not in one.
   */
  release?: () => void;
}

/** How a chunk store is laid out. */
export interface StoreOptions {
  /** Chunks up to this many bytes go to packs (0: every chunk gets a file); default 64 KiB. */
  packLimit?: number;
  /** A pack file takes no more appends past this size; default 256 MiB. */
  maxPackSize?: number;
}

/** Disk usage of the store's file system. */
export interface DiskUsage {
  capacity: number;
  free: number;
  used: number;
  chunks: number;
}

/** Chunk files in a folder: `chunks/ab/abcdef…`, temporaries in `tmp/`, rot in `quarantine/`. */
export class ChunkStore {
  readonly root: string;
  private readonly sizes = new Map<string, number>();
  /** When each chunk was last written by this process, as a write sequence number. */
  private readonly written = new Map<string, number>();
  private writes = 0;
  /** Writes of each chunk begun and not yet durable (or given up): a delete must not race them. */
  private readonly writing = new Map<string, number>();
  /** Chunk files being unlinked: a write of the same chunk renames its file into place after. */
  private readonly removing = new Map<string, Promise<unknown>>();
  private usedBytes = 0;
  /** The inventory walk running, and the one queued behind it (see `rescan`). */
  private rescanning: Promise<string[]> | undefined;
  private rescanNext: Promise<string[]> | undefined;
  // The last statfs answer, reused for `usage(maxAge)` within its age.
  private disk: { at: number; capacity: number; free: number } | undefined;
  /** Called with a chunk the store listed but whose file is gone from the disk. */
  onLost: (id: string) => void = () => {};
  /** Called when a chunk is stored (`added`) or leaves the store (`removed`), for the masters' reports. */
  onChange: (id: string, kind: 'added' | 'removed') => void = () => {};
  /** Why the last write failed, while the disk cannot be written (read-only, failing); cleared by a good write. */
  writeError: string | undefined;
  /** Disk work since the store opened (plain counters: metrics and heartbeats read them). */
  readonly io: NodeIo = {
    writes: 0,
    bytesWritten: 0,
    reads: 0,
    bytesRead: 0,
    fsyncs: 0,
    fsyncSeconds: 0,
    scrubbedBytes: 0,
    corrupt: 0,
  };
  /** Called with the seconds each chunk write spent in fsync (its file, then its folder). */
  onSynced: (seconds: number) => void = () => {};
  private readonly readBuffers = new ReadBuffers(READ_BUFFERS);

  private constructor(
    root: string,
    /** Small chunks (in packs, written with group commit). */
    private readonly packs: PackStore,
    /** Chunks up to this size go to packs; larger ones get a file each. */
    readonly packLimit: number,
  ) {
    this.root = root;
  }

  /** Opens (creating if needed) a store; removes temporaries a crash left and reads the inventory. */
  static async open(root: string, options: StoreOptions = {}): Promise<ChunkStore> {
    const dir = path.resolve(root);
    await fs.rm(path.join(dir, 'tmp'), { recursive: true, force: true });
    for (const sub of ['chunks', 'tmp', 'quarantine', 'packs']) await realDir(path.join(dir, sub));
    const packs = await PackStore.open(path.join(dir, 'packs'), {
      maxPackSize: options.maxPackSize ?? DEFAULT_PACK_SIZE,
    });
    const store = new ChunkStore(dir, packs, options.packLimit ?? DEFAULT_PACK_LIMIT);
    await store.scan();
    for (const id of packs.ids()) store.track(id, packs.sizeOf(id) ?? 0);
    // Rotten records skipped in the packs count as corruption found (the master re-replicates
    // what the inventory no longer lists).
    store.io.corrupt += packs.corrupt;
    return store;
  }

  /**
   * Stores a small chunk whose whole body is at hand, appended to a pack; resolves once it is
   * durable (one fsync per batch of concurrent writes). The caller has checked that `data`
   * hashes to `id` (the node's PUT handler does, before it forwards the body): it is not hashed
   * again here.
   */
  async putSmall(id: string, data: Buffer): Promise<void> {
    assertChunkId(id);
    const done = this.startWriting(id);
    try {
      // The batch's fsync is this write's fsync: the time it waited for durability is what counts.
      this.noteWrite(data.length, await this.packs.put(id, data));
    } catch (err) {
      this.failed((err as DfsError).cause ?? err);
      throw err instanceof DfsError ? err : toDfsError(err);
    } finally {
      done();
    }
    this.stored(id, data.length);
  }

  // A chunk durably written: listed, and stamped with the write's sequence number.
  private stored(id: string, size: number): void {
    const isNew = !this.sizes.has(id);
    this.track(id, size);
    this.written.set(id, ++this.writes);
    this.writeError = undefined;
    if (isNew) this.onChange(id, 'added');
  }

  // Counts a write of `id` as running until the returned function is called (once).
  private startWriting(id: string): () => void {
    this.writing.set(id, (this.writing.get(id) ?? 0) + 1);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      const left = (this.writing.get(id) ?? 1) - 1;
      if (left > 0) this.writing.set(id, left);
      else this.writing.delete(id);
    };
  }

  /**
   * True while a write of chunk `id` runs. A delete decided before it would remove the copy it
   * is making (a condemned chunk written afresh): the copy is newer than the decision.
   */
  isWriting(id: string): boolean {
    return this.writing.has(id);
  }

  /** Rewrites mostly dead packs (space held by deleted small chunks); returns the packs freed. */
  compact(): Promise<number> {
    return this.packs.compact();
  }

  /** Waits for pending pack writes and closes the packs. */
  close(): Promise<void> {
    return this.packs.close();
  }

  // Tracks every chunk file on the disk; returns their ids.
  private async scan(): Promise<Set<string>> {
    const found = new Set<string>();
    const chunksDir = path.join(this.root, 'chunks');
    for (const prefix of await fs.readdir(chunksDir, { withFileTypes: true })) {
      if (!prefix.isDirectory() || !/^[0-9a-f]{2}$/.test(prefix.name)) continue;
      for (const entry of await fs.readdir(path.join(chunksDir, prefix.name), { withFileTypes: true })) {
        // Only regular files named by a hash count; a symlink is never followed.
        if (!entry.isFile() || !isChunkId(entry.name) || !entry.name.startsWith(prefix.name)) continue;
        const stat = await fs.lstat(path.join(chunksDir, prefix.name, entry.name)).catch(() => undefined);
        if (!stat) continue;
        this.track(entry.name, stat.size);
        found.add(entry.name);
      }
    }
    return found;
  }

  /**
   * Reads the inventory from the disk again, forgetting chunks whose files are gone (deleted
   * behind the node's back), and returns every chunk id held. One walk at a time however many
   * masters ask: a caller joins a walk that starts after it asked (so its answer does not
   * predate its question), the one queued behind the running walk when there is one.
   */
  rescan(): Promise<string[]> {
    if (!this.rescanning) return this.startRescan();
    this.rescanNext ??= this.rescanning
      .catch(() => {})
      .then(() => {
        this.rescanNext = undefined;
        return this.startRescan();
      });
    return this.rescanNext;
  }

  private startRescan(): Promise<string[]> {
    const walk: Promise<string[]> = this.walk().finally(() => {
      if (this.rescanning === walk) this.rescanning = undefined;
    });
    this.rescanning = walk;
    return walk;
  }

  private async walk(): Promise<string[]> {
    const before = new Set(this.sizes.keys());
    const started = this.writes;
    const found = await this.scan();
    for (const id of await this.packs.vanished()) this.untrack(id);
    for (const id of this.packs.ids()) found.add(id);
    // A chunk written while the scan ran may have been missed by it: it is not gone.
    for (const id of before) if (!found.has(id) && (this.written.get(id) ?? 0) <= started) this.untrack(id);
    return this.ids();
  }

  // A chunk found on the disk that the store did not list (restored behind its back).
  private relist(id: string, size: number): void {
    const isNew = !this.sizes.has(id);
    this.track(id, size);
    if (isNew) this.onChange(id, 'added');
  }

  private track(id: string, size: number): void {
    this.usedBytes += size - (this.sizes.get(id) ?? 0);
    this.sizes.set(id, size);
  }

  private untrack(id: string): void {
    if (!this.sizes.has(id)) return;
    this.usedBytes -= this.sizes.get(id) ?? 0;
    this.sizes.delete(id);
    this.written.delete(id);
    this.onChange(id, 'removed');
  }

  /** The write sequence number: it grows with every chunk written, so "written after" is exact. */
  get sequence(): number {
    return this.writes;
  }

  /** The sequence number of the last write of chunk `id` by this process, or undefined. */
  writtenAt(id: string): number | undefined {
    return this.written.get(id);
  }

  // A failure of the disk itself (not of the request) makes the node say it cannot write.
  private failed(err: unknown): void {
    const code = (err as NodeJS.ErrnoException)?.code ?? '';
    if (DISK_FAILURES.has(code))
      this.writeError = `${code}: ${(err as Error).message.replace(/, open '.*$/, '')}`;
  }

  /** Tries a small durable write: clears `writeError` when the disk takes writes again. */
  async probeWrite(): Promise<void> {
    const file = path.join(this.root, 'tmp', `probe.${randomBytes(4).toString('hex')}`);
    try {
      const handle = await fs.open(file, 'wx');
      try {
        await handle.writeFile('ok');
        await handle.sync();
      } finally {
        await handle.close();
      }
      this.writeError = undefined;
    } catch (err) {
      this.failed(err);
    } finally {
      await fs.rm(file, { force: true }).catch(() => {});
    }
  }

  /** Where chunk `id` lives; the id is validated first, so nothing else reaches the file system. */
  chunkPath(id: string): string {
    assertChunkId(id);
    return path.join(this.root, 'chunks', id.slice(0, 2), id);
  }

  /** True when the store holds chunk `id`. */
  has(id: string): boolean {
    return this.sizes.has(id);
  }

  /** True when chunk `id` is in a pack (a small one: `read` gives its bytes whole). */
  packed(id: string): boolean {
    return this.packs.has(id);
  }

  /** Size of chunk `id`, or undefined. */
  sizeOf(id: string): number | undefined {
    return this.sizes.get(id);
  }

  /**
   * Size of chunk `id` as the disk says (a file restored behind the store's back is listed
   * again), or undefined when it is not there.
   */
  async sizeOnDisk(id: string): Promise<number | undefined> {
    const packed = this.packs.sizeOf(id);
    if (packed !== undefined) return packed;
    const file = this.chunkPath(id);
    const stat = await realDir(path.dirname(file), false)
      .then(() => fs.lstat(file))
      .catch(() => undefined);
    if (!stat?.isFile()) return undefined;
    this.relist(id, stat.size);
    return stat.size;
  }

  /** Every chunk id held. */
  ids(): string[] {
    return [...this.sizes.keys()];
  }

  /** Starts writing chunk `id`; at most `limit` bytes are accepted. */
  async beginWrite(id: string, limit: number): Promise<ChunkWriter> {
    const finalPath = this.chunkPath(id);
    const tmpPath = path.join(this.root, 'tmp', `${id}.${randomBytes(6).toString('hex')}`);
    const done = this.startWriting(id);
    const handle = await fs.open(tmpPath, 'wx', 0o644).catch((err) => {
      done();
      this.failed(err);
      throw toDfsError(err);
    });
    const hash: Hash = createHash('sha256');
    let size = 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let closed = false;
    const flush = async () => {
      if (pendingBytes === 0) return;
      const run = pending;
      pending = [];
      pendingBytes = 0;
      await writeAll(handle, run, undefined, 'a chunk write');
    };
    const close = async () => {
      if (closed) return;
      closed = true;
      await handle.close().catch(() => {});
    };
    const abort = async () => {
      done();
      await close();
      await fs.rm(tmpPath, { force: true });
    };
    return {
      get size() {
        return size;
      },
      async write(piece) {
        size += piece.length;
        if (size > limit) throw new DfsError('payload_too_large', `chunk is larger than ${limit} bytes`);
        hash.update(piece);
        pending.push(piece);
        pendingBytes += piece.length;
        if (pendingBytes >= WRITE_RUN) await flush();
      },
      commit: async () => {
        try {
          await flush();
          const actual = hash.digest('hex');
          if (actual !== id) {
            throw new DfsError('checksum_mismatch', `chunk body hashes to ${actual}, not ${id}`);
          }
          let syncing = performance.now();
          await handle.sync();
          let synced = performance.now() - syncing;
          // Belt and braces: never rename a file shorter than what was received.
          if ((await handle.stat()).size !== size)
            throw new DfsError('unavailable', 'disk full: short chunk write');
          await close();
          await realDir(path.dirname(finalPath));
          // An unlink of this chunk that began before this write's rename ends first.
          await this.removing.get(id)?.catch(() => {});
          await fs.rename(tmpPath, finalPath);
          syncing = performance.now();
          await syncDir(path.dirname(finalPath));
          synced = (synced + performance.now() - syncing) / 1000;
          this.noteWrite(size, synced);
          this.stored(id, size);
          done();
        } catch (err) {
          this.failed(err);
          await abort();
          throw err instanceof DfsError ? err : toDfsError(err);
        }
      },
      abort,
    };
  }

  private noteWrite(size: number, synced: number): void {
    this.io.writes++;
    this.io.bytesWritten += size;
    this.io.fsyncs++;
    this.io.fsyncSeconds += synced;
    this.onSynced(synced);
  }

  /**
   * Opens chunk `id` for reading, optionally bytes `start..end` inclusive. A `probe` (a HEAD:
   * is it here and readable?) sends no bytes and counts none.
   */
  async read(id: string, start?: number, end?: number, probe = false): Promise<ChunkReader> {
    const reader = await this.open(id, start, end, !probe);
    if (probe) return reader;
    this.io.reads++;
    this.io.bytesRead += reader.data?.length ?? (end ?? reader.size - 1) - (start ?? 0) + 1;
    return reader;
  }

  /** Bytes of the buffers large chunks are read whole into that are lent out now. */
  get readBuffersInUse(): number {
    return this.readBuffers.inUse;
  }

  /** Opens a chunk (or a range); with `whole`, a large one is read into a kept buffer if one is free. */
  private async open(id: string, start?: number, end?: number, whole = false): Promise<ChunkReader> {
    if (this.packs.has(id)) {
      try {
        return await this.packs.read(id, start, end);
      } catch (err) {
        throw err instanceof DfsError ? err : toDfsError(err);
      }
    }
    const file = this.chunkPath(id);
    let handle: fs.FileHandle;
    try {
      // The fan-out folder must be a real folder too: O_NOFOLLOW guards only the last component.
      await realDir(path.dirname(file), false);
      // O_NOFOLLOW: a symlink planted in the data folder is never followed out of it.
      // O_NONBLOCK: a FIFO planted under a chunk's name cannot hang the open.
      handle = await fs.open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ELOOP' || code === 'ENOTDIR') {
        // Listed but gone: the file was removed behind our back. Forget it and say so.
        if (this.sizes.has(id)) {
          this.untrack(id);
          this.onLost(id);
        }
        throw new DfsError('not_found', `chunk ${id} is not on this node`);
      }
      throw toDfsError(err);
    }
    const stat = await handle.stat().catch(async (err) => {
      await handle.close();
      throw toDfsError(err);
    });
    if (!stat.isFile()) {
      await handle.close();
      throw new DfsError('not_found', `chunk ${id} is not on this node`);
    }
    const { size } = stat;
    // The disk is the truth: a chunk file that is there is served (and listed again).
    if (this.sizes.get(id) !== size) this.relist(id, size);
    const length = (end ?? size - 1) - (start ?? 0) + 1;
    // One read call instead of a stream: most of a small GET's cost was the stream machinery.
    if (length <= SMALL_READ)
      return { size, data: await readWhole(handle, Buffer.allocUnsafe(Math.max(0, length)), start) };
    const kept = whole && length >= WHOLE_READ_MIN ? this.readBuffers.take(length) : undefined;
    if (kept) {
      try {
        return {
          size,
          data: await readWhole(handle, kept.buffer.subarray(0, length), start),
          release: kept.release,
        };
      } catch (err) {
        kept.release();
        throw err;
      }
    }
    const stream = createReadStream('', {
      fd: handle,
      start,
      end,
      // Big reads for big chunks, but never a 1 MiB buffer for a 4 KiB one.
      highWaterMark: Math.max(16 * 1024, Math.min(1024 * 1024, length)),
    });
    return { size, stream };
  }

  /** Deletes chunk `id`; returns false when it was not there. */
  async delete(id: string): Promise<boolean> {
    const file = this.chunkPath(id);
    // A write of it running now makes a newer copy than the one the delete was decided on.
    if (this.isWriting(id)) return false;
    // A packed chunk leaves the index (and the listing) at once. It may also be a file (sent
    // once with a length, once without), which goes too.
    const packed = this.packs.delete(id);
    if (packed) this.untrack(id);
    const removal = this.unlink(file);
    this.removing.set(id, removal);
    try {
      // Untracked only once the file is really gone: a failed unlink leaves it listed.
      const unlinked = await removal;
      this.untrack(id);
      return packed || unlinked;
    } finally {
      if (this.removing.get(id) === removal) this.removing.delete(id);
    }
  }

  // Unlinks a chunk file; false when there was none. A failed unlink throws (the file stays listed).
  private async unlink(file: string): Promise<boolean> {
    try {
      // Never unlink through a symlinked fan-out folder (that file is not ours).
      await realDir(path.dirname(file), false);
      await fs.unlink(file);
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw toDfsError(err);
      return false;
    }
  }

  /** Moves a rotten chunk out of service into `quarantine/` for inspection. */
  async quarantine(id: string): Promise<void> {
    const kept = path.join(this.root, 'quarantine', `${id}.${Date.now()}`);
    if (this.packs.has(id)) {
      // The rotten bytes are kept for inspection (those still there); the pack forgets the chunk.
      const read = await unlessCutShort(this.packs.read(id));
      if (read) await fs.writeFile(kept, read.data).catch(() => {});
      this.packs.delete(id);
    } else {
      const file = this.chunkPath(id);
      try {
        await realDir(path.dirname(file), false);
        await fs.rename(file, kept);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'ENOENT' && code !== 'ENOTDIR') throw toDfsError(err);
      }
    }
    this.untrack(id);
    this.io.corrupt++;
  }

  /** Re-hashes chunk `id` from disk; true when its bytes still match its name. */
  async verify(id: string, onBytes?: (n: number) => Promise<void>): Promise<boolean> {
    const opened = await unlessCutShort(this.open(id));
    if (!opened) return false;
    const { stream, data } = opened;
    const hash = createHash('sha256');
    for await (const piece of data ? [data] : (stream as AsyncIterable<Buffer>)) {
      hash.update(piece);
      this.io.scrubbedBytes += piece.length;
      if (onBytes) await onBytes(piece.length);
    }
    return hash.digest('hex') === id;
  }

  /** Capacity and free space of the disk (statfs at most `maxAge` ms old), and what the store uses. */
  async usage(maxAge = 0): Promise<DiskUsage> {
    const now = Date.now();
    if (!this.disk || now - this.disk.at > maxAge) {
      const s = await fs.statfs(this.root);
      this.disk = { at: now, capacity: s.blocks * s.bsize, free: s.bavail * s.bsize };
    }
    return {
      capacity: this.disk.capacity,
      free: this.disk.free,
      used: this.usedBytes,
      chunks: this.sizes.size,
    };
  }
}

// Reads `into.length` bytes from `start` into `into` (fewer when the file is shorter) and closes
// the file.
async function readWhole(handle: fs.FileHandle, into: Buffer, start = 0): Promise<Buffer> {
  try {
    return into.subarray(0, await readFully(handle, into, start));
  } catch (err) {
    throw toDfsError(err);
  } finally {
    await handle.close();
  }
}

// What `reading` resolves to; undefined when the chunk is cut short in its pack (its bytes are gone).
function unlessCutShort<T>(reading: Promise<T>): Promise<T | undefined> {
  return reading.catch((err) => {
    if (err instanceof CutShort) return undefined;
    throw err;
  });
}

// Folders being made, until their names are durable.
const making = new Map<string, Promise<void>>();

/**
 * Makes sure `dir` is a real folder, not a symlink out of the data folder (creating it when
 * `create`); a planted symlink reads as absent.
 */
async function realDir(dir: string, create = true): Promise<void> {
  // lstat first: the folder almost always exists, so the common case is one call.
  let stat = await fs.lstat(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT' || !create) throw err;
    return undefined;
  });
  // Made by another writer just now: its name is durable before this one uses it too.
  if (stat) await making.get(dir);
  else {
    const made = (async () => {
      await fs.mkdir(dir, { recursive: true });
      // The new folder's name is durable before a chunk in it is acknowledged.
      await syncDir(path.dirname(dir));
    })();
    making.set(dir, made);
    try {
      await made;
    } finally {
      if (making.get(dir) === made) making.delete(dir);
    }
    stat = await fs.lstat(dir);
  }
  if (!stat.isDirectory()) {
    throw Object.assign(new Error(`${dir} is not a real folder`), { code: 'ENOTDIR' });
  }
}
