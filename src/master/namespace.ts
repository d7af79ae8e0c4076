// The master's client-facing operations: allocate chunk placements, commit manifests, and
// list, stat, move and delete files and folders.

import type { MasterConfig } from '../config.js';
import { signWriteToken, verifyReceipt } from '../protocol/auth.js';
import { DfsError } from '../protocol/errors.js';
import { assertChunkId, baseName, normalisePath, normalisePrefix } from '../protocol/paths.js';
import type {
  AllocateRequest,
  Allocation,
  ChunkLocation,
  CommitRequest,
  FileInfo,
  ListEntry,
  ListResponse,
  Manifest,
} from '../protocol/types.js';
import { probeChunk } from '../sdk/chunk-io.js';
import type { MetaStore } from './meta.js';
import { chooseNodes } from './placement.js';
import type { NodeRegistry } from './registry.js';
import { expiredError, type UploadTracker } from './uploads.js';

const SHA256 = /^[0-9a-f]{64}$/;
/** Most chunks placed by one allocate call. */
export const MAX_ALLOCATE = 1000;

/** A freshly written chunk a commit finds below the factor: `live` hold it now, `holders` wrote it. */
export interface Shortfall {
  id: string;
  size: number;
  live: string[];
  holders: string[];
}

/** Running totals of the namespace, kept in memory. */
export interface NamespaceTotals {
  files: number;
  logicalBytes: number;
}

/** Namespace operations over the metadata store. */
export class Namespace {
  readonly totals: NamespaceTotals = { files: 0, logicalBytes: 0 };

  constructor(
    private readonly config: Readonly<MasterConfig>,
    private readonly meta: MetaStore,
    private readonly registry: NodeRegistry,
    private readonly uploads: UploadTracker,
  ) {
    for (const file of meta.filesUnder('/')) {
      this.totals.files++;
      this.totals.logicalBytes += file.size;
    }
  }

  /** Set by the master: copies fresh chunks a commit finds short; resolves with the new holders. */
  topUp?: (short: Shortfall[]) => Promise<Map<string, string[]>>;

  // Live holders of chunk `id`: the chunk table's, and the nodes of this commit's receipts.
  private liveOf(id: string, written: Map<string, Set<string>>): Set<string> {
    const live = new Set(this.liveReplicas(id));
    for (const n of written.get(id) ?? []) if (this.registry.isAlive(n)) live.add(n);
    return live;
  }

  private liveReplicas(id: string): string[] {
    return (this.meta.chunks.get(id)?.replicas ?? []).filter((n) => this.registry.isAlive(n));
  }

  /**
   * Answers, per chunk, "already stored" or a pipeline of nodes and a write token. Every chunk
   * is leased to the upload first (persisted), so collection never takes it before the commit.
   */
  async allocate(req: AllocateRequest, uploadId: string): Promise<Allocation[]> {
    if (!Array.isArray(req?.chunks) || req.chunks.length === 0 || req.chunks.length > MAX_ALLOCATE) {
      throw new DfsError('bad_request', `chunks must be a list of 1 to ${MAX_ALLOCATE} chunks`);
    }
    const exclude = new Set(Array.isArray(req.exclude) ? req.exclude.map(String) : []);
    const ids = req.chunks.map((c) => this.checkChunk(c).id);
    await this.uploads.touch(uploadId, ids);
    // Right after a restart the nodes are re-registering: wait for them rather than refuse.
    if (this.registry.alive().filter((n) => n.registered).length < this.config.replication)
      await this.registry.settled();
    const expires = Date.now() + this.config.tokenTtl;
    return Promise.all(
      req.chunks.map(async (c) => {
        // A copy the table lists may have vanished from its disk: de-duplicate only against
        // copies a node confirms it still holds.
        const live = await this.confirmed(c.id);
        if (live.length >= this.config.replication) return { id: c.id, stored: true as const };
        const avoid = new Set([...exclude, ...live]);
        const nodes = this.registry.alive().filter((n) => n.registered || n.free > 0);
        const targets = chooseNodes(nodes, this.config.replication - live.length, c.size, avoid, 0);
        for (const t of targets) {
          const node = this.registry.get(t.id);
          if (node) node.free -= c.size; // until the next heartbeat says how much is really free
        }
        return {
          id: c.id,
          stored: false as const,
          targets: targets.map((t) => ({ nodeId: t.id, url: t.url })),
          token: signWriteToken(this.config.secret, 'put', c.id, expires),
          expires,
        };
      }),
    );
  }

  /** Live replicas of chunk `id` that their node confirms; those that answer "not here" are dropped. */
  private async confirmed(id: string): Promise<string[]> {
    const live = this.liveReplicas(id);
    if (live.length < this.config.replication) return live;
    const answers = await Promise.all(
      live.map(async (nodeId) => {
        const url = this.registry.get(nodeId)?.url;
        return url ? probeChunk(url, id, this.config.token) : 'unknown';
      }),
    );
    const gone = live.filter((_, i) => answers[i] === 'absent');
    if (gone.length > 0) await this.onVanished?.(id, gone);
    return live.filter((_, i) => answers[i] === 'present');
  }

  /** Set by the master: copies of a chunk that nodes say they no longer hold. */
  onVanished?: (id: string, nodeIds: string[]) => Promise<void>;

  private checkChunk(c: unknown): { id: string; size: number } {
    const chunk = c as { id?: unknown; size?: unknown };
    const id = assertChunkId(chunk?.id);
    const size = chunk.size;
    if (typeof size !== 'number' || !Number.isInteger(size) || size < 1 || size > this.config.chunkSize) {
      throw new DfsError('bad_request', `chunk size must be an integer from 1 to ${this.config.chunkSize}`);
    }
    return { id, size };
  }

  /** Makes a manifest visible at its path, atomically replacing any previous version. */
  async commit(req: CommitRequest, uploadId: string | undefined): Promise<Manifest> {
    const path = normalisePath(req?.path);
    if (typeof req.size !== 'number' || !Number.isSafeInteger(req.size) || req.size < 0) {
      throw new DfsError('bad_request', 'size must be a non-negative integer');
    }
    if (req.size > this.config.maxFileSize) {
      throw new DfsError(
        'payload_too_large',
        `file is larger than the cluster's limit of ${this.config.maxFileSize} bytes`,
      );
    }
    if (typeof req.sha256 !== 'string' || !SHA256.test(req.sha256)) {
      throw new DfsError('bad_request', 'sha256 must be 64 lowercase hex digits');
    }
    if (!Array.isArray(req.chunks)) throw new DfsError('bad_request', 'chunks must be a list');
    const chunks = req.chunks.map((c) => this.checkChunk(c));
    if (chunks.reduce((sum, c) => sum + c.size, 0) !== req.size) {
      throw new DfsError('bad_request', 'chunk sizes do not add up to the file size');
    }
    const written = this.checkReceipts(req.receipts);
    // A fresh chunk that lost a replica after its ack (a node died mid-upload) is copied to
    // another node first, so the file is acknowledged at its full factor.
    const short = chunks.flatMap((c) => {
      const live = this.liveOf(c.id, written);
      const holders = [...(written.get(c.id) ?? [])];
      return holders.length > 0 && live.size > 0 && live.size < this.config.replication
        ? [{ ...c, live: [...live], holders }]
        : [];
    });
    if (short.length > 0 && this.topUp) {
      for (const [id, nodes] of await this.topUp(short)) for (const n of nodes) written.get(id)?.add(n);
    }
    for (const c of chunks) {
      const live = this.liveOf(c.id, written);
      const fresh = written.get(c.id);
      // Freshly written chunks must be fully replicated; a chunk that was already stored needs
      // one live copy (repair restores the rest).
      const needed = fresh ? this.config.replication : 1;
      if (live.size < needed) {
        throw new DfsError(
          'insufficient_nodes',
          `chunk ${c.id} has ${live.size} live replica${live.size === 1 ? '' : 's'}, ${needed} required`,
        );
      }
    }
    const manifest: Manifest = { path, size: req.size, sha256: req.sha256, created: Date.now(), chunks };
    const previous = await this.meta.write(() => {
      this.checkParents(path);
      if (this.isFolder(path)) throw new DfsError('conflict', `${path} is a folder`);
      const current = this.meta.files.get(path);
      if (req.ifMatch !== undefined && (current?.created ?? 0) !== req.ifMatch) {
        throw new DfsError('conflict', `${path} was changed by someone else`);
      }
      // Re-checked inside the transaction: a chunk no file references is safe only while this
      // upload's lease pins it; an upload idle past its expiry lost its lease, and collection may
      // have taken its chunks. Committing them would acknowledge an unreadable file.
      for (const c of chunks) {
        const record = this.meta.chunks.get(c.id);
        if (record && record.refs > 0 && record.replicas.length > 0) continue;
        if (this.uploads.holds(uploadId, c.id) && (written.has(c.id) || record?.replicas.length)) continue;
        if (uploadId && this.uploads.expired(uploadId)) throw expiredError();
        throw new DfsError('conflict', `chunk ${c.id} is no longer stored; upload the file again`);
      }
      const previous = this.meta.replaceFile(
        path,
        manifest,
        (id) => [...(written.get(id) ?? [])],
        manifest.created,
      );
      if (uploadId) this.uploads.finishIn(uploadId);
      return previous;
    });
    this.totals.files += previous ? 0 : 1;
    this.totals.logicalBytes += manifest.size - (previous?.size ?? 0);
    return manifest;
  }

  /** Verified receipts, as chunk id → node ids that durably stored it. */
  checkReceipts(receipts: unknown): Map<string, Set<string>> {
    const written = new Map<string, Set<string>>();
    if (receipts === undefined) return written;
    if (!Array.isArray(receipts)) throw new DfsError('bad_request', 'receipts must be a list');
    for (const r of receipts as { nodeId?: unknown; chunkId?: unknown; signature?: unknown }[]) {
      const chunkId = assertChunkId(r?.chunkId);
      if (typeof r.nodeId !== 'string' || typeof r.signature !== 'string' || !this.registry.get(r.nodeId)) {
        throw new DfsError('bad_request', 'receipt names an unknown node');
      }
      if (!verifyReceipt(this.config.secret, r.nodeId, chunkId, r.signature)) {
        throw new DfsError('forbidden', 'receipt signature is invalid');
      }
      const nodes = written.get(chunkId) ?? new Set<string>();
      nodes.add(r.nodeId);
      written.set(chunkId, nodes);
    }
    return written;
  }

  // A file cannot live below another file.
  private checkParents(path: string): void {
    let i = path.indexOf('/', 1);
    while (i !== -1) {
      const parent = path.slice(0, i);
      if (this.meta.files.get(parent)) throw new DfsError('conflict', `${parent} is a file, not a folder`);
      i = path.indexOf('/', i + 1);
    }
  }

  private isFolder(path: string): boolean {
    return this.meta.folderExists(`${path}/`);
  }

  /** `GET /api/files/{path}`: the manifest with where each chunk's replicas live. */
  stat(rawPath: string): FileInfo {
    const path = normalisePath(rawPath);
    const file = this.meta.getFile(path);
    let offset = 0;
    let minReplicas = Number.POSITIVE_INFINITY;
    const chunks: ChunkLocation[] = file.chunks.map((c) => {
      const replicas = this.registry
        .locate(this.meta.chunks.get(c.id)?.replicas ?? [])
        .filter((r) => r.url)
        .sort((a, b) => Number(b.alive) - Number(a.alive));
      minReplicas = Math.min(minReplicas, replicas.filter((r) => r.alive).length);
      const location = { ...c, offset, replicas };
      offset += c.size;
      return location;
    });
    const { chunks: _omit, ...rest } = file;
    return {
      ...rest,
      replication: this.config.replication,
      minReplicas: Number.isFinite(minReplicas) ? minReplicas : this.config.replication,
      chunks,
    };
  }

  /** Fewest live replicas of any chunk of `file` (for listings). */
  private health(file: Manifest): number {
    let min = this.config.replication;
    for (const c of file.chunks) min = Math.min(min, this.liveReplicas(c.id).length);
    return min;
  }

  /**
   * Lists files under a prefix. With `delimiter` only the direct children are listed, folders
   * (explicit or implied by deeper files) as `dir` entries; without, every file below, paged.
   */
  list(options: { prefix?: unknown; delimiter?: boolean; after?: unknown; limit?: unknown }): ListResponse {
    const prefix = normalisePrefix(options.prefix);
    const limit = Math.min(Math.max(Number(options.limit) || 1000, 1), 10_000);
    const after = typeof options.after === 'string' ? options.after : undefined;
    const entries: ListEntry[] = [];
    if (prefix !== '/' && !this.meta.folderExists(prefix)) {
      if (this.meta.files.get(prefix.slice(0, -1)))
        throw new DfsError('conflict', `${prefix.slice(0, -1)} is a file`);
      throw new DfsError('not_found', `not found: ${prefix}`);
    }
    if (!options.delimiter) {
      for (const file of this.meta.filesUnder(prefix, after)) {
        if (entries.length === limit) return { prefix, entries, next: entries.at(-1)?.path };
        entries.push(this.fileEntry(file));
      }
      return { prefix, entries };
    }
    const dirs = new Map<string, number>();
    for (const dir of this.meta.dirsUnder(prefix)) {
      const rest = dir.slice(prefix.length);
      if (!rest) continue;
      const name = rest.slice(0, rest.indexOf('/'));
      if (!dirs.has(name)) dirs.set(name, this.meta.dirs.get(dir)?.created ?? 0);
    }
    // Walk files, jumping over each subfolder after its first file.
    let cursor = prefix;
    for (;;) {
      const file = this.meta.firstFileFrom(cursor, prefix);
      if (!file) break;
      const rest = file.path.slice(prefix.length);
      const slash = rest.indexOf('/');
      if (slash === -1) {
        entries.push(this.fileEntry(file));
        cursor = `${file.path}\u0000`;
      } else {
        const name = rest.slice(0, slash);
        dirs.set(name, Math.max(dirs.get(name) ?? 0, file.created));
        cursor = `${prefix}${name}/\u{10FFFF}`;
      }
    }
    for (const [name, created] of dirs) {
      entries.push({ type: 'dir', path: `${prefix}${name}/`, name, size: 0, created });
    }
    entries.sort((a, b) => (a.type === b.type ? a.name.localeCompare(b.name) : a.type === 'dir' ? -1 : 1));
    return { prefix, entries };
  }

  private fileEntry(file: Manifest): ListEntry {
    return {
      type: 'file',
      path: file.path,
      name: baseName(file.path),
      size: file.size,
      created: file.created,
      minReplicas: this.health(file),
      chunkCount: file.chunks.length,
    };
  }

  /** Deletes a file; its chunks become garbage after the grace period. */
  async remove(rawPath: string): Promise<Manifest> {
    const path = normalisePath(rawPath);
    const removed = await this.meta.write(() => {
      const file = this.meta.getFile(path);
      this.meta.replaceFile(path, undefined, () => [], Date.now());
      return file;
    });
    this.totals.files--;
    this.totals.logicalBytes -= removed.size;
    return removed;
  }

  /** Creates an (empty) folder. */
  async mkdir(rawPath: string): Promise<string> {
    const path = normalisePath(rawPath);
    await this.meta.write(() => {
      this.checkParents(path);
      if (this.meta.files.get(path)) throw new DfsError('conflict', `${path} is a file`);
      // Every ancestor becomes an explicit folder too, so it stays after its files go.
      let i = path.indexOf('/', 1);
      while (i !== -1) {
        const parent = `${path.slice(0, i)}/`;
        if (!this.meta.dirs.get(parent)) this.meta.dirs.put(parent, { created: Date.now() });
        i = path.indexOf('/', i + 1);
      }
      if (!this.meta.dirs.get(`${path}/`)) this.meta.dirs.put(`${path}/`, { created: Date.now() });
    });
    return `${path}/`;
  }

  /** Removes an empty folder. */
  async rmdir(rawPath: string): Promise<void> {
    const prefix = `${normalisePath(rawPath)}/`;
    await this.meta.write(() => {
      if (this.meta.firstFileFrom(prefix, prefix)) throw new DfsError('conflict', `${prefix} is not empty`);
      const nested = [...this.meta.dirsUnder(prefix)];
      if (nested.length === 0) throw new DfsError('not_found', `not found: ${prefix}`);
      if (nested.some((d) => d !== prefix)) throw new DfsError('conflict', `${prefix} is not empty`);
      this.meta.dirs.remove(prefix);
    });
  }

  /** Renames a file or a whole folder; refuses to overwrite unless asked. */
  async move(rawFrom: unknown, rawTo: unknown, overwrite = false): Promise<{ moved: number }> {
    const from = normalisePath(rawFrom);
    const to = normalisePath(rawTo);
    if (from === to) return { moved: 0 };
    if (to.startsWith(`${from}/`)) throw new DfsError('bad_request', 'cannot move a folder into itself');
    const now = Date.now();
    return this.meta.write(() => {
      this.checkParents(to);
      const file = this.meta.files.get(from);
      if (file) {
        if (this.isFolder(to)) throw new DfsError('conflict', `${to} is a folder`);
        const existing = this.meta.files.get(to);
        if (existing && !overwrite) throw new DfsError('conflict', `${to} already exists`);
        const previous = this.meta.replaceFile(to, { ...file, path: to }, () => [], now);
        this.meta.replaceFile(from, undefined, () => [], now);
        if (previous) {
          this.totals.files--;
          this.totals.logicalBytes -= previous.size;
        }
        return { moved: 1 };
      }
      const prefix = `${from}/`;
      const files = [...this.meta.filesUnder(prefix)];
      const dirs = [...this.meta.dirsUnder(prefix)];
      if (files.length === 0 && dirs.length === 0) throw new DfsError('not_found', `not found: ${from}`);
      if (this.meta.files.get(to) || this.isFolder(to))
        throw new DfsError('conflict', `${to} already exists`);
      for (const f of files) {
        const target = `${to}/${f.path.slice(prefix.length)}`;
        this.meta.files.put(target, { ...f, path: target });
        this.meta.files.remove(f.path);
      }
      for (const d of dirs) {
        this.meta.dirs.put(`${to}/${d.slice(prefix.length)}`, this.meta.dirs.get(d) ?? { created: now });
        this.meta.dirs.remove(d);
      }
      return { moved: files.length };
    });
  }
}
