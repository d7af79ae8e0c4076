// The master's client-facing operations over the metadata store: allocate chunk placements
// (leasing the chunks to the upload), commit manifests, and list, stat, move and delete.

import type { MasterConfig } from '../config.js';
import type { MetaStore } from '../meta/store.js';
import type { ListEntry as StoreEntry } from '../meta/types.js';
import { signWriteToken } from '../protocol/auth.js';
import { DfsError } from '../protocol/errors.js';
import { fileEntry } from '../protocol/list-entry.js';
import { baseName } from '../protocol/paths.js';
import type {
  Allocation,
  ChunkLocation,
  ChunkRef,
  FileInfo,
  ListEntry,
  ListResponse,
  Manifest,
} from '../protocol/types.js';
import type { ProbeResult } from '../sdk/chunk-io.js';
import type { Attention } from './attention.js';
import type { MasterCore } from './core.js';
import type { MasterMetrics } from './metrics.js';
import { chooseNodes } from './placement.js';
import type { NodeRegistry } from './registry.js';
import type { ReplicaMap } from './replicas.js';
import { type Allocate, type Commit, encodeToken, type ListRequest } from './requests.js';

// Most chunks of one file a stat asks the nodes about (copies no report has told of yet).
const MAX_FIND = 32;

/** A freshly written chunk a commit finds below the factor: `live` hold it now, `holders` wrote it. */
export interface Shortfall {
  id: string;
  size: number;
  live: string[];
  holders: string[];
}

/** What the namespace needs of the rest of the master. */
export interface NamespaceDeps {
  config: Readonly<MasterConfig>;
  store: MetaStore;
  replicas: ReplicaMap;
  registry: NodeRegistry;
  /** Copies fresh chunks a commit finds short of live replicas; resolves with the new holders. */
  topUp(short: Shortfall[]): Promise<Map<string, string[]>>;
  /** Asks a node whether it still holds a chunk. */
  probe(url: string, id: string): Promise<ProbeResult>;
  /** Nodes answered that they no longer hold copies the map lists. */
  vanished(id: string, nodeIds: string[]): Promise<void>;
  /** Raised when files were committed or removed. */
  attention: Attention;
  metrics: MasterMetrics;
  recordReceipts: MasterCore['recordReceipts'];
}

/** Namespace operations. */
export class Namespace {
  constructor(private readonly deps: NamespaceDeps) {}

  private get config() {
    return this.deps.config;
  }

  /** How long an upload may stay idle before its lease (and its chunks) lapse. */
  get leaseTtl(): number {
    return Math.max(this.config.gcGrace, this.config.tokenTtl);
  }

  /** Live nodes the map lists for chunk `id`. */
  liveReplicas(id: string): string[] {
    return this.deps.replicas.holders(id).filter((n) => this.deps.registry.isAlive(n));
  }

  /**
   * Answers, per chunk, "already stored" or a pipeline of nodes and a write token. Every chunk
   * is leased to the upload first, so collection never takes it before the commit.
   */
  async allocate(req: Allocate, uploadId: string): Promise<Allocation[]> {
    const { registry } = this.deps;
    const { revived } = await this.deps.store.lease(uploadId, req.chunks, this.leaseTtl, Date.now());
    if (req.chunks.length === 0) return [];
    // Right after a restart the nodes are re-registering: wait for them rather than refuse.
    if (registry.writable().filter((n) => n.registered).length < this.config.replication)
      await registry.settled();
    const expires = Date.now() + this.config.tokenTtl;
    const exclude = new Set(req.exclude);
    return Promise.all(
      req.chunks.map(async (c) => {
        // A condemned chunk's copies may be being deleted: it is written afresh.
        const live = revived.includes(c.id) ? [] : await this.confirmed(c.id);
        if (live.length >= this.config.replication) return { id: c.id, stored: true as const };
        const avoid = new Set([...exclude, ...live]);
        const targets = this.place(
          this.config.replication - live.length,
          c.size,
          avoid,
          live.length,
          exclude,
        );
        for (const t of targets) {
          const node = registry.get(t.id);
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

  // Nodes for new copies (`held` copies are on live nodes already); when too few qualify, the
  // error says how many of the nodes live, which are dead, which the uploader left out after
  // failing to write to them (`excluded`: still alive until their heartbeats stop), and which
  // cannot write and why.
  private place(
    count: number,
    size: number,
    avoid: ReadonlySet<string>,
    held: number,
    excluded: ReadonlySet<string> = new Set(),
  ) {
    try {
      return chooseNodes(this.deps.registry.writable(), count, size, avoid, 0);
    } catch (err) {
      if (!(err instanceof DfsError)) throw err;
      const { registry } = this.deps;
      const all = registry.all();
      const why = [`${registry.alive().length} of ${all.length} node${all.length === 1 ? '' : 's'} alive`];
      if (held > 0) why.push(`${held} of the ${this.config.replication} copies already on live nodes`);
      const failed = registry.alive().filter((n) => excluded.has(n.id));
      if (failed.length > 0)
        why.push(`${failed.length} alive but left out by the uploader after a write to it failed`);
      const dead = all.filter((n) => !n.alive).map((n) => n.url);
      if (dead.length > 0)
        why.push(
          `dead: ${dead.slice(0, 3).join(', ')}${dead.length > 3 ? ` and ${dead.length - 3} more` : ''}`,
        );
      for (const n of registry.alive().filter((n) => n.writeError))
        why.push(`${n.url} cannot write (${n.writeError})`);
      throw new DfsError(err.code, `${err.message} (${why.join('; ')})`);
    }
  }

  /**
   * Live replicas of chunk `id` that their node confirms; those that answer "not here" are
   * dropped. Every listed copy is asked, even when too few are listed: the new copies written
   * for a short chunk stand beside the listed ones, which must really be there.
   */
  private async confirmed(id: string): Promise<string[]> {
    const live = this.liveReplicas(id);
    if (live.length === 0) return live;
    const answers = await Promise.all(
      live.map((nodeId) => {
        const url = this.deps.registry.get(nodeId)?.url;
        return url ? this.deps.probe(url, id) : Promise.resolve<ProbeResult>('unknown');
      }),
    );
    const gone = live.filter((_, i) => answers[i] === 'absent');
    if (gone.length > 0) await this.deps.vanished(id, gone);
    return live.filter((_, i) => answers[i] === 'present');
  }

  /** Makes a manifest visible at its path, atomically replacing any previous version. */
  async commit(req: Commit, uploadId: string | undefined): Promise<Manifest> {
    const written = this.deps.recordReceipts(req.receipts);
    const live = (id: string) => new Set(this.liveReplicas(id));
    // A fresh chunk that lost a replica after its ack (a node died mid-upload) is copied to
    // another node first, so the file is acknowledged at its full factor.
    const fresh = req.chunks.filter((c) => written.has(c.id));
    const short = fresh.flatMap((c) => {
      const now = live(c.id);
      const holders = [...(written.get(c.id) ?? [])];
      return now.size > 0 && now.size < this.config.replication ? [{ ...c, live: [...now], holders }] : [];
    });
    if (short.length > 0)
      for (const [id, nodes] of await this.deps.topUp(short))
        for (const n of nodes) this.deps.replicas.add(id, n);
    for (const c of fresh) {
      const count = live(c.id).size;
      if (count < this.config.replication)
        throw new DfsError(
          'insufficient_nodes',
          `chunk ${c.id} has ${count} live replica${count === 1 ? '' : 's'}, ${this.config.replication} required`,
        );
    }
    const started = performance.now();
    const { file } = await this.deps.store.commit(
      {
        path: req.path,
        size: req.size,
        sha256: req.sha256,
        contentType: req.contentType,
        metadata: req.metadata,
        attributes: req.attributes,
        chunks: req.chunks,
        uploadId,
        ifGeneration: req.ifGeneration,
        ifNotGeneration: req.ifNotGeneration,
      },
      Date.now(),
    );
    this.deps.metrics.committed((performance.now() - started) / 1000);
    this.deps.attention.note();
    return file;
  }

  /** Ends an upload at once (the client gave up): its chunks are no longer pinned. */
  async abort(uploadId: string): Promise<void> {
    await this.deps.store.abortLease(uploadId, Date.now());
  }

  /** Where each chunk of a file lives. */
  locate(chunks: ChunkRef[]): { chunks: ChunkLocation[]; minReplicas: number } {
    let offset = 0;
    let minReplicas = Number.POSITIVE_INFINITY;
    const located = chunks.map((c) => {
      const replicas = this.deps.registry
        .locate(this.deps.replicas.holders(c.id))
        .filter((r) => r.url)
        .sort((a, b) => Number(b.alive) - Number(a.alive));
      minReplicas = Math.min(minReplicas, replicas.filter((r) => r.alive).length);
      const location = { ...c, offset, replicas };
      offset += c.size;
      return location;
    });
    return {
      chunks: located,
      minReplicas: Number.isFinite(minReplicas) ? minReplicas : this.config.replication,
    };
  }

  /**
   * `GET /api/files/{path}`: the manifest with where each chunk's replicas live. A chunk with no
   * known live copy is waited for (nodes still reporting after a start) and asked about; with
   * `wait` false (a stat in a batch, which must not hold up the others) it is answered as known.
   */
  async stat(path: string, wait = true): Promise<FileInfo> {
    const file = await this.deps.store.getFile(path);
    if (!file) {
      if (await this.deps.store.getFolder(`${path}/`))
        throw new DfsError('not_found', `${path} is a folder, not a file`);
      throw new DfsError('not_found', `not found: ${path}`);
    }
    let located = this.locate(file.chunks);
    if (wait) {
      // Right after a start the nodes have not all reported: wait for them rather than say "lost".
      if (located.minReplicas === 0 && !this.deps.registry.isSettled()) {
        await this.deps.registry.settled();
        located = this.locate(file.chunks);
      }
      // A chunk this master knows no copy of may have been written through another master a
      // moment ago (the nodes' reports are a heartbeat away): ask the nodes.
      if (located.minReplicas === 0 && (await this.findCopies(located.chunks)))
        located = this.locate(file.chunks);
    }
    return { ...file, replication: this.config.replication, ...located };
  }

  // Asks every live node about chunks with no known live copy (the first few); true if any was found.
  private async findCopies(chunks: ChunkLocation[]): Promise<boolean> {
    const { registry, replicas, probe } = this.deps;
    const unknown = chunks.filter((c) => !c.replicas.some((r) => r.alive)).slice(0, MAX_FIND);
    const nodes = registry.alive();
    let found = false;
    await Promise.all(
      unknown.flatMap((c) =>
        nodes.map(async (n) => {
          if ((await probe(n.url, c.id)) !== 'present') return;
          replicas.add(c.id, n.id);
          found = true;
        }),
      ),
    );
    return found;
  }

  /** A page of a folder (or of every file below it). */
  async list(req: ListRequest): Promise<ListResponse> {
    if (req.folder !== '/' && !(await this.deps.store.getFolder(req.folder))) {
      if (await this.deps.store.getFile(req.folder.slice(0, -1)))
        throw new DfsError('conflict', `${req.folder.slice(0, -1)} is a file`);
      throw new DfsError('not_found', `not found: ${req.folder}`);
    }
    const page = await this.deps.store.list({
      prefix: `${req.folder}${req.begins}`,
      delimiter: req.delimiter,
      after: req.after,
      limit: req.limit,
      withChunks: req.health,
      filesOnly: !req.folders,
    });
    return {
      prefix: req.folder,
      entries: page.entries.map((e) => this.entry(e, req.health)),
      ...(page.next !== undefined && { next: encodeToken(page.next) }),
    };
  }

  private entry(e: StoreEntry, health: boolean): ListEntry {
    if (e.kind === 'folder') {
      const { folder } = e;
      return {
        type: 'dir',
        path: folder.path,
        name: baseName(folder.path),
        size: 0,
        created: folder.created,
        attributes: folder.attributes,
      };
    }
    return fileEntry(e.file, health ? this.locate(e.file.chunks ?? []).minReplicas : undefined);
  }

  /**
   * Deletes a file; its chunks become garbage after the grace period. Here and below, `op` is
   * the id of a call its client may send again (see Resendable).
   */
  async remove(path: string, ifGeneration?: number, op?: string): Promise<Manifest> {
    const removed = await this.deps.store.remove(path, { ifGeneration, op }, Date.now());
    this.deps.attention.note();
    await this.dropLocks(path);
    return removed;
  }

  /** Deletes a folder and everything below it, in one transaction. */
  async removeTree(path: string, op?: string): Promise<number> {
    const n = await this.deps.store.removeTree(`${path}/`, Date.now(), { op });
    this.deps.attention.note();
    await this.dropLocks(path);
    return n;
  }

  /** Creates a folder (and its ancestors, explicit unless `impliedParents`). */
  async mkdir(path: string, impliedParents: boolean): Promise<string> {
    return (await this.deps.store.mkdir(`${path}/`, Date.now(), { impliedParents })).path;
  }

  /** Removes an empty folder, or with `keepContents` only its own entry (see MetaStore.rmdir). */
  async rmdir(path: string, keepContents: boolean, op?: string): Promise<void> {
    await this.deps.store.rmdir(`${path}/`, { keepContents, op }, Date.now());
    if (!keepContents) await this.dropLocks(path);
  }

  /** Renames a file or a whole folder; refuses to overwrite unless asked. */
  async move(from: string, to: string, overwrite: boolean, op?: string): Promise<{ moved: number }> {
    const result = await this.deps.store.move(from, to, { overwrite, op }, Date.now());
    this.deps.attention.note();
    await this.dropLocks(from);
    return result;
  }

  /**
   * Drops the WebDAV locks on `path` and below, deleted or moved away whichever way (the CLI, the
   * web client, S3, WebDAV): locks rooted on a deleted resource go with it, and a moved one's stay
   * behind (RFC 4918 §9.6.1, §9.9.4), where they would refuse whoever writes that name next until
   * they lapsed. (Lock roots are stored in folder form, a file's too.) A failure here leaves them
   * to lapse: the call itself succeeded.
   */
  private async dropLocks(path: string): Promise<void> {
    const root = `${path}/`;
    const { store } = this.deps;
    try {
      for (const lock of await store.locksFor(root, true, Date.now()))
        if (lock.root.startsWith(root)) await store.removeLock(lock.token);
    } catch {
      // lapses on its own
    }
  }
}
