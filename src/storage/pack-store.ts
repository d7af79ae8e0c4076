// Small chunks in pack files (pack-format.ts): appends from concurrent writers are gathered and
// made durable together — one write and one fdatasync for the whole batch (group commit) — and
// reads are positioned reads on an open file. Deletes append tombstones; packs that are mostly
// dead are compacted into the current pack (their live chunks, and their tombstones while an
// older pack may still hold a record they cancel) and removed.

import { constants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { DfsError, toDfsError } from '../protocol/errors.js';
import { readFully, syncDir, writeAll } from './disk-io.js';
import {
  CHUNK_RECORD,
  encodeHeader,
  HEADER_SIZE,
  type ReadAt,
  type ScannedRecord,
  scanPack,
  TOMBSTONE,
} from './pack-format.js';

/** Where a packed chunk lives. */
interface Location {
  pack: number;
  /** Offset of its payload. */
  offset: number;
  size: number;
}

/** An open pack file. */
interface Pack {
  seq: number;
  handle: fs.FileHandle;
  /** Bytes written (appends go here). */
  size: number;
  /** Payload bytes of chunks still live in it. */
  live: number;
}

/** A write waiting for the next group commit. */
interface Pending {
  id: string;
  data: Buffer | undefined;
  /**
   * A tombstone carried forward by compaction: dropped, not written, when the chunk is stored
   * again by then (in the index, or put earlier in the same batch), as it would delete that copy.
   */
  carried?: boolean;
  /** Called with the seconds the batch's fdatasync took, or with the error. */
  done: (err: unknown, synced: number) => void;
}

const NAME = /^(\d{8})\.pack$/;
const packName = (seq: number) => `${String(seq).padStart(8, '0')}.pack`;
// Compaction queues a pack's records in groups of about this many bytes and waits for each group
// together, so one group commit (one fdatasync) covers many of them.
const COMPACT_GROUP = 4 * 1024 * 1024;

/** Options of a pack store. */
export interface PackOptions {
  /** A pack is closed for appends past this size, bytes. */
  maxPackSize: number;
}

/**
 * A packed chunk whose pack ends before it does (the file was cut behind the store's back): its
 * bytes are gone, which a verify counts as rot, not as a chunk deleted meanwhile.
 */
export class CutShort extends DfsError {
  constructor(id: string) {
    super('not_found', `chunk ${id} is cut short in its pack`);
  }
}

/** Small chunks kept in append-only pack files. */
export class PackStore {
  private readonly index = new Map<string, Location>();
  private readonly packs = new Map<number, Pack>();
  private active: Pack | undefined;
  /**
   * The highest pack number used: a new pack always sorts after every other, even when the
   * newest one vanished (records are replayed in pack order on open).
   */
  private lastSeq = 0;
  private queue: Pending[] = [];
  private flushing: Promise<void> = Promise.resolve();
  /** True while the flush loop runs (set and cleared with no await between the last check and the end). */
  private running = false;
  private compacting = false;
  private closed = false;
  /** Why appends stopped: a failed batch's bytes could not be cut from the pack (until restart). */
  private broken: DfsError | undefined;
  /** Rotten stretches the packs held when they were opened (records skipped, not cut off). */
  corrupt = 0;

  private constructor(
    readonly dir: string,
    private readonly options: PackOptions,
  ) {}

  /** Opens (creating if needed) the packs in `dir`, rebuilding the index; a torn tail is cut off. */
  static async open(dir: string, options: PackOptions): Promise<PackStore> {
    const store = new PackStore(dir, options);
    await fs.mkdir(dir, { recursive: true });
    const seqs = (await fs.readdir(dir))
      .map((n) => NAME.exec(n)?.[1])
      .filter((s): s is string => s !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    for (const [i, seq] of seqs.entries()) await store.load(seq, i === seqs.length - 1);
    store.lastSeq = seqs.at(-1) ?? 0;
    return store;
  }

  private async openPack(seq: number, create: boolean): Promise<Pack> {
    // O_NOFOLLOW: a symlink planted in the data folder is never followed out of it.
    const flags =
      constants.O_RDWR | constants.O_NOFOLLOW | (create ? constants.O_CREAT | constants.O_EXCL : 0);
    const file = path.join(this.dir, packName(seq));
    const handle = await fs.open(file, flags, 0o644);
    const stat = await handle.stat();
    if (!stat.isFile()) {
      await handle.close();
      throw new DfsError('internal', `${packName(seq)} is not a regular file`);
    }
    // A new pack's name is made durable before anything is written to it: a batch's fdatasync
    // covers only the file's data (and compaction removes an old pack once its copies are durable).
    // On failure the empty file goes, so the next write can create it again.
    if (create)
      await syncDir(this.dir).catch(async (err) => {
        await handle.close();
        await fs.rm(file, { force: true }).catch(() => {});
        throw err;
      });
    const pack = { seq, handle, size: stat.size, live: 0 };
    this.packs.set(seq, pack);
    return pack;
  }

  // Reads one pack into the index; the newest is verified record by record and its torn tail
  // cut (an older one is never cut: what lies past its last record that reads back is rot).
  private async load(seq: number, newest: boolean): Promise<void> {
    const pack = await this.openPack(seq, false);
    const { records, end, corrupt } = await scanPack(readAt(pack), pack.size, newest);
    this.corrupt += corrupt;
    for (const r of records) {
      const old = this.index.get(r.id);
      if (old) this.dead(old);
      if (r.type === CHUNK_RECORD) {
        this.index.set(r.id, { pack: seq, offset: r.offset, size: r.size });
        pack.live += r.size;
      } else this.index.delete(r.id);
    }
    if (newest && end < pack.size) {
      await pack.handle.truncate(end);
      await pack.handle.datasync();
      pack.size = end;
    }
    if (newest) this.active = pack;
  }

  private dead(location: Location): void {
    const pack = this.packs.get(location.pack);
    if (pack) pack.live -= location.size;
  }

  /** True when chunk `id` is in a pack. */
  has(id: string): boolean {
    return this.index.has(id);
  }

  /** The size of packed chunk `id`, or undefined. */
  sizeOf(id: string): number | undefined {
    return this.index.get(id)?.size;
  }

  /** Every packed chunk id. */
  ids(): IterableIterator<string> {
    return this.index.keys();
  }

  /**
   * Stores chunk `id`; resolves once it is durable, with the seconds its batch's fdatasync took.
   * The caller has checked that `data` hashes to `id`.
   */
  put(id: string, data: Buffer): Promise<number> {
    return this.enqueue(id, data);
  }

  /** Forgets chunk `id` (a tombstone, made durable with the next batch); false when it was not here. */
  delete(id: string): boolean {
    const location = this.index.get(id);
    if (!location) return false;
    this.index.delete(id);
    this.dead(location);
    void this.enqueue(id, undefined).catch(() => {});
    return true;
  }

  private enqueue(id: string, data: Buffer | undefined, carried = false): Promise<number> {
    if (this.closed) return Promise.reject(new DfsError('unavailable', 'the chunk store is closed'));
    if (this.broken) return Promise.reject(this.broken);
    return new Promise((resolve, reject) => {
      const done = (err: unknown, synced: number) => (err ? reject(err) : resolve(synced));
      this.queue.push({ id, data, carried, done });
      if (!this.running) {
        this.running = true;
        this.flushing = this.flush();
      }
    });
  }

  // Earlier batches are in the index by now: a carried tombstone whose chunk is stored again
  // (there, or earlier in this batch) is dropped, as it would delete that copy on the next open.
  private dropStale(queue: Pending[]): Pending[] {
    const batch: Pending[] = [];
    const stored = new Set<string>();
    for (const item of queue) {
      if (item.carried && (this.index.has(item.id) || stored.has(item.id))) item.done(undefined, 0);
      else batch.push(item);
      if (item.data) stored.add(item.id);
    }
    return batch;
  }

  // Writes every queued record with one write and one fdatasync, batch after batch.
  private async flush(): Promise<void> {
    for (;;) {
      // Checked and cleared in one step: a write queued after this sees the loop gone and starts one.
      if (this.queue.length === 0) {
        this.running = false;
        return;
      }
      const batch = this.queue.some((item) => item.carried) ? this.dropStale(this.queue) : this.queue;
      this.queue = [];
      if (batch.length === 0) continue;
      let pack: Pack | undefined;
      try {
        pack = await this.writable();
        const buffers: Buffer[] = [];
        const placed: (Location | undefined)[] = [];
        let at = pack.size;
        for (const item of batch) {
          const size = item.data?.length ?? 0;
          buffers.push(encodeHeader(item.data ? CHUNK_RECORD : TOMBSTONE, item.id, size));
          if (item.data) buffers.push(item.data);
          placed.push(item.data && { pack: pack.seq, offset: at + HEADER_SIZE, size });
          at += HEADER_SIZE + size;
        }
        await writeAll(pack.handle, buffers, pack.size, 'a pack write');
        const syncing = performance.now();
        await pack.handle.datasync();
        const synced = (performance.now() - syncing) / 1000;
        pack.size = at;
        // In the order written. A tombstone's chunk left the index when it was deleted, so an
        // entry found now is a copy placed earlier in this batch: the later tombstone wins.
        for (const [i, item] of batch.entries()) {
          const location = placed[i];
          const old = this.index.get(item.id);
          if (old) {
            this.dead(old);
            this.index.delete(item.id);
          }
          if (location) {
            this.index.set(item.id, location);
            pack.live += location.size;
          }
        }
        for (const item of batch) item.done(undefined, synced);
      } catch (err) {
        const error = err instanceof DfsError ? err : toDfsError(err);
        if (pack) await this.cutFailed(pack, error);
        for (const item of batch) item.done(error, 0);
      }
    }
  }

  // A failed batch may have left some of its records past the pack's size. The next batch is
  // written at that size: if shorter, it would leave some of them behind it, and the next open
  // would replay them (a failed tombstone after an acknowledged write of the same chunk would
  // delete it). They are cut off; a pack that cannot be cut takes no more appends until restart,
  // when it is the newest pack, whose tail is verified record by record.
  private async cutFailed(pack: Pack, error: DfsError): Promise<void> {
    try {
      await pack.handle.truncate(pack.size);
      await pack.handle.datasync();
    } catch {
      this.broken = new DfsError(
        'unavailable',
        `${error.message}; the failed write could not be undone: no more writes until the node restarts`,
        { cause: error.cause },
      );
    }
  }

  // The pack appends go to: the newest, or a fresh one once it is full.
  private async writable(): Promise<Pack> {
    if (this.active && this.active.size < this.options.maxPackSize) return this.active;
    this.active = await this.openPack(++this.lastSeq, true);
    return this.active;
  }

  /** Reads packed chunk `id` (or bytes `start..end`, inclusive). */
  async read(id: string, start = 0, end?: number): Promise<{ size: number; data: Buffer }> {
    const location = this.index.get(id);
    const pack = location && this.packs.get(location.pack);
    if (!location || !pack) throw new DfsError('not_found', `chunk ${id} is not on this node`);
    const last = Math.min(end ?? location.size - 1, location.size - 1);
    const data = Buffer.allocUnsafe(Math.max(0, last - start + 1));
    if ((await readFully(pack.handle, data, location.offset + start)) < data.length) throw new CutShort(id);
    return { size: location.size, data };
  }

  /**
   * Packs whose files are gone from the disk (deleted behind the store's back): their chunks are
   * dropped from the index and returned.
   */
  async vanished(): Promise<string[]> {
    const lost: string[] = [];
    for (const pack of [...this.packs.values()]) {
      const there = await fs.lstat(path.join(this.dir, packName(pack.seq))).then(
        (s) => s.isFile(),
        () => false,
      );
      if (there) continue;
      for (const [id, l] of this.index) {
        if (l.pack !== pack.seq) continue;
        this.index.delete(id);
        lost.push(id);
      }
      this.packs.delete(pack.seq);
      if (this.active === pack) this.active = undefined;
      await pack.handle.close().catch(() => {});
    }
    return lost;
  }

  /**
   * Rewrites the live chunks of packs that are mostly dead into the current pack and removes
   * them; returns the packs removed. A chunk deleted meanwhile is not brought back: a removed
   * pack's tombstones are carried into the current pack while an older pack may still hold a
   * record they cancel (else the next open would bring that record back).
   */
  async compact(deadRatio = 0.5): Promise<number> {
    if (this.compacting) return 0;
    this.compacting = true;
    let removed = 0;
    try {
      for (const pack of [...this.packs.values()]) {
        if (pack === this.active || pack.size === 0 || pack.live / pack.size > 1 - deadRatio) continue;
        const { records, end, corrupt } = await scanPack(readAt(pack), pack.size, false);
        // A pack that does not read back whole is left alone: what it holds is not known for sure.
        if (end !== pack.size || corrupt > 0) continue;
        const older = [...this.packs.keys()].some((seq) => seq < pack.seq);
        const live = (r: ScannedRecord) => {
          const l = this.index.get(r.id);
          return l?.pack === pack.seq && l.offset === r.offset;
        };
        // Queued in groups, each made durable before the next is read: one fdatasync for many.
        let group: Promise<number>[] = [];
        let bytes = 0;
        for (const r of records) {
          if (r.type === TOMBSTONE) {
            if (older) group.push(this.enqueue(r.id, undefined, true));
            bytes += HEADER_SIZE;
          } else if (live(r)) {
            const { data } = await this.read(r.id);
            // Still here and still in this pack: copy it; a delete in between wins.
            if (live(r)) group.push(this.enqueue(r.id, data));
            bytes += HEADER_SIZE + data.length;
          }
          if (bytes >= COMPACT_GROUP) {
            await Promise.all(group);
            group = [];
            bytes = 0;
          }
        }
        // Everything copied is durable before the pack goes.
        await Promise.all(group);
        if (records.some(live)) continue;
        this.packs.delete(pack.seq);
        await pack.handle.close();
        await fs.rm(path.join(this.dir, packName(pack.seq)));
        // Gone for good before anything else is written: a pack back after a crash would bring
        // back chunks deleted since.
        await syncDir(this.dir);
        removed++;
      }
    } finally {
      this.compacting = false;
    }
    return removed;
  }

  /** Waits for queued writes and closes every pack. */
  async close(): Promise<void> {
    await this.flushing;
    this.closed = true;
    for (const pack of this.packs.values()) await pack.handle.close().catch(() => {});
    this.packs.clear();
  }
}

// Positioned reads of a pack, for scanPack.
function readAt(pack: Pack): ReadAt {
  return async (buffer, position) => (await pack.handle.read(buffer, 0, buffer.length, position)).bytesRead;
}
