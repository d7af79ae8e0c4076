// The master's metadata in an embedded LMDB database with crash-safe commits: the namespace
// (path → manifest), folders, the chunk table (chunk → refcount and replicas) and the node registry.

import { type Database, open, type RootDatabase } from 'lmdb';
import { DfsError } from '../protocol/errors.js';
import type { ChunkRef, Manifest } from '../protocol/types.js';

/** A row of the chunk table. */
export interface ChunkRecord {
  size: number;
  /** How many file manifests (counting repeats) reference the chunk. */
  refs: number;
  /** Node ids believed to hold a good copy. */
  replicas: string[];
  /** When refs last dropped to 0 (or the chunk was first seen unreferenced); 0 while referenced. */
  zeroSince: number;
}

/** A persisted upload lease: the chunks an upload in progress was allocated. */
export interface UploadLease {
  lastActive: number;
  chunks: string[];
  /** Set when the upload went idle past its expiry: a tombstone that refuses its late commit. */
  expired?: number;
}

/** A persisted node registration. */
export interface NodeRecord {
  id: string;
  url: string;
  capacity: number;
  registered: number;
}

// Upper bound for prefix scans: ordered-binary keys are UTF-8, so U+10FFFF sorts after everything.
const HIGH = '\u{10FFFF}';

/** Typed access to the master's database. */
export class MetaStore {
  private readonly root: RootDatabase;
  readonly files: Database<Manifest, string>;
  readonly dirs: Database<{ created: number }, string>;
  readonly chunks: Database<ChunkRecord, string>;
  readonly nodes: Database<NodeRecord, string>;
  readonly uploads: Database<UploadLease, string>;

  private constructor(path: string) {
    this.root = open({ path, compression: false });
    this.files = this.root.openDB<Manifest, string>({ name: 'files' });
    this.dirs = this.root.openDB<{ created: number }, string>({ name: 'dirs' });
    this.chunks = this.root.openDB<ChunkRecord, string>({ name: 'chunks' });
    this.nodes = this.root.openDB<NodeRecord, string>({ name: 'nodes' });
    this.uploads = this.root.openDB<UploadLease, string>({ name: 'uploads' });
  }

  /** Opens (creating if needed) the database in folder `path`. */
  static open(path: string): MetaStore {
    return new MetaStore(path);
  }

  /**
   * Runs `action` in one write transaction and resolves once it is durable on disk: an
   * acknowledged change survives `kill -9` and power loss. Throwing inside aborts it.
   */
  async write<T>(action: () => T): Promise<T> {
    let result: T | undefined;
    let failure: unknown;
    await this.root
      .transaction(() => {
        try {
          result = action();
        } catch (err) {
          failure = err;
          throw err;
        }
      })
      .catch((err) => {
        throw failure ?? err;
      });
    await this.root.flushed;
    return result as T;
  }

  /** Files whose path starts with `prefix`, in path order, after `after` if given. */
  *filesUnder(prefix: string, after?: string): Generator<Manifest> {
    const start = after && after > prefix ? `${after}\u0000` : prefix;
    for (const { value } of this.files.getRange({ start, end: `${prefix}${HIGH}` })) yield value;
  }

  /** Explicit folders under `prefix`. */
  *dirsUnder(prefix: string): Generator<string> {
    for (const key of this.dirs.getKeys({ start: prefix, end: `${prefix}${HIGH}` })) yield key;
  }

  /** The first file or folder at or after `key` below `prefix`, for skipping whole subfolders. */
  firstFileFrom(key: string, prefix: string): Manifest | undefined {
    for (const { value } of this.files.getRange({ start: key, end: `${prefix}${HIGH}`, limit: 1 }))
      return value;
    return undefined;
  }

  /** True when `prefix` (ending in `/`) is a folder: created explicitly, or holding files. */
  folderExists(prefix: string): boolean {
    return this.dirs.get(prefix) !== undefined || this.firstFileFrom(prefix, prefix) !== undefined;
  }

  /** Every chunk record. */
  *allChunks(): Generator<{ id: string; record: ChunkRecord }> {
    for (const { key, value } of this.chunks.getRange({})) yield { id: key, record: value };
  }

  /** Adds one reference for every chunk of `chunks` (inside a write). */
  addRefs(chunks: ChunkRef[], replicasOf: (id: string) => string[]): void {
    for (const c of chunks) {
      const rec = this.chunks.get(c.id) ?? { size: c.size, refs: 0, replicas: [], zeroSince: 0 };
      const replicas = new Set([...rec.replicas, ...replicasOf(c.id)]);
      // A chunk first seen in a node's inventory has no size yet: the manifest knows it.
      const size = rec.size || c.size;
      this.chunks.put(c.id, { ...rec, size, refs: rec.refs + 1, replicas: [...replicas], zeroSince: 0 });
    }
  }

  /** Drops one reference for every chunk of `chunks` (inside a write). */
  dropRefs(chunks: ChunkRef[], now: number): void {
    for (const c of chunks) {
      const rec = this.chunks.get(c.id);
      if (!rec) continue;
      const refs = Math.max(0, rec.refs - 1);
      this.chunks.put(c.id, { ...rec, refs, zeroSince: refs === 0 ? now : 0 });
    }
  }

  /** Replaces `path`'s manifest (or removes it with `undefined`), keeping refcounts right. */
  replaceFile(
    path: string,
    next: Manifest | undefined,
    replicasOf: (id: string) => string[],
    now: number,
  ): Manifest | undefined {
    const previous = this.files.get(path);
    if (next) this.addRefs(next.chunks, replicasOf);
    if (previous) this.dropRefs(previous.chunks, now);
    if (next) this.files.put(path, next);
    else if (previous) this.files.remove(path);
    return previous;
  }

  /** Throws not_found unless `path` is a committed file. */
  getFile(path: string): Manifest {
    const file = this.files.get(path);
    if (!file) throw new DfsError('not_found', `not found: ${path}`);
    return file;
  }

  /** Closes the database. */
  async close(): Promise<void> {
    await this.root.close();
  }
}
