// Keeping data alive: node registration and heartbeats, failure detection, re-replication
// (fewest replicas first, rate-limited), trimming of excess replicas, corruption handling and
// garbage collection of chunks no file references.

import type { MasterConfig } from '../config.js';
import { signWriteToken } from '../protocol/auth.js';
import { DfsError } from '../protocol/errors.js';
import { assertChunkId, isChunkId } from '../protocol/paths.js';
import type { HeartbeatRequest, HeartbeatResponse, RegisterRequest } from '../protocol/types.js';
import type { EventLog } from './events.js';
import type { ChunkRecord, MetaStore } from './meta.js';
import type { Namespace } from './namespace.js';
import { chooseNodes } from './placement.js';
import type { NodeRegistry, TrackedNode } from './registry.js';
import type { UploadTracker } from './uploads.js';

/** Chunk health as last counted by a maintenance pass. */
export interface ChunkHealth {
  chunks: number;
  storedBytes: number;
  underReplicated: number;
  missing: number;
  corrupt: number;
  repairsInProgress: number;
}

// A repair not confirmed within this time is planned again.
const REPAIR_TIMEOUT = 60_000;
// Even with nothing changed, chunk health is recounted this often.
const FULL_SCAN_EVERY = 30_000;
// After commits and deletes, the counts are refreshed this often.
const CHANGED_SCAN_EVERY = 3_000;

/** The master's background work and its side of the node protocol. */
export class Maintenance {
  private timer: NodeJS.Timeout | undefined;
  private dirty = true;
  private changed = false;
  private lastScan = 0;
  private scanning = false;
  private readonly repairs = new Map<string, { since: number; source: string; targets: string[] }>();
  /** Chunks with a replica found corrupt and not yet repaired. */
  private readonly corrupt = new Set<string>();
  health: ChunkHealth = {
    chunks: 0,
    storedBytes: 0,
    underReplicated: 0,
    missing: 0,
    corrupt: 0,
    repairsInProgress: 0,
  };

  constructor(
    private readonly config: Readonly<MasterConfig>,
    private readonly meta: MetaStore,
    private readonly registry: NodeRegistry,
    private readonly uploads: UploadTracker,
    private readonly namespace: Namespace,
    private readonly events: EventLog,
    private readonly log: (message: string) => void,
  ) {}

  /** Something changed (a node came or went, a replica rotted): recount and repair soon. */
  markDirty(): void {
    this.dirty = true;
  }

  /** Files were committed or deleted: recount within a few seconds (not on every commit). */
  markChanged(): void {
    this.changed = true;
  }

  start(interval = Math.min(1000, this.config.heartbeatTimeout / 4)): void {
    const loop = () => {
      this.timer = setTimeout(() => {
        this.tick()
          .catch((err) => this.log(`maintenance failed: ${(err as Error).stack}`))
          .finally(loop);
      }, interval);
    };
    loop();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** `POST /internal/register`: reconciles the node's inventory with the chunk table. */
  async register(nodeId: string, req: RegisterRequest): Promise<HeartbeatResponse> {
    if (req?.id !== nodeId) throw new DfsError('forbidden', 'node id does not match its authentication');
    const url = checkNodeUrl(req.url);
    if (!Array.isArray(req.chunks) || !req.chunks.every(isChunkId)) {
      throw new DfsError('bad_request', 'chunks must be a list of chunk ids');
    }
    const held = new Set(req.chunks);
    const now = Date.now();
    await this.meta.write(() => {
      for (const { id, record } of this.meta.allChunks()) {
        const listed = record.replicas.includes(nodeId);
        if (held.has(id)) {
          held.delete(id);
          if (!listed) this.meta.chunks.put(id, { ...record, replicas: [...record.replicas, nodeId] });
        } else if (listed) {
          this.meta.chunks.put(id, { ...record, replicas: record.replicas.filter((n) => n !== nodeId) });
        }
      }
      // Chunks nobody references (an abandoned upload): garbage after the grace period.
      for (const id of held)
        this.meta.chunks.put(id, { size: 0, refs: 0, replicas: [nodeId], zeroSince: now });
    });
    await this.registry.register({
      id: nodeId,
      url,
      capacity: num(req.capacity),
      free: num(req.free),
      used: num(req.used),
      chunks: req.chunks.length,
    });
    this.markDirty();
    return { known: true, chunkSize: this.config.chunkSize, commands: [] };
  }

  /** `POST /internal/heartbeat`: records liveness and hands out queued work. */
  heartbeat(nodeId: string, req: HeartbeatRequest): HeartbeatResponse {
    if (req?.id !== nodeId) throw new DfsError('forbidden', 'node id does not match its authentication');
    const node = this.registry.heartbeat({
      id: nodeId,
      capacity: num(req.capacity),
      free: num(req.free),
      used: num(req.used),
      chunks: num(req.chunks),
      scrub: req.scrub,
    });
    if (!node) return { known: false, chunkSize: this.config.chunkSize, commands: [] };
    const commands = node.outbox;
    node.outbox = [];
    return { known: true, chunkSize: this.config.chunkSize, commands };
  }

  /** `POST /internal/replicated`: a repair copy finished (or failed). */
  async replicated(
    nodeId: string,
    body: { chunkId?: unknown; receipts?: unknown; error?: unknown },
  ): Promise<void> {
    const chunkId = assertChunkId(body?.chunkId);
    const written = this.namespace.checkReceipts(body.receipts ?? []);
    const repair = this.repairs.get(chunkId);
    if (repair?.source === nodeId) this.repairs.delete(chunkId);
    const added = [...(written.get(chunkId) ?? [])];
    if (added.length === 0) {
      this.markDirty();
      return;
    }
    await this.meta.write(() => {
      const record = this.meta.chunks.get(chunkId);
      if (!record) return;
      this.meta.chunks.put(chunkId, { ...record, replicas: [...new Set([...record.replicas, ...added])] });
    });
    const urls = added.map((id) => this.registry.get(id)?.url ?? id).join(', ');
    this.events.add('chunk-repaired', `chunk ${chunkId.slice(0, 12)}… copied to ${urls}`);
    this.markDirty();
  }

  /** `POST /internal/corrupt`: a node quarantined rotten replicas. */
  async reportCorrupt(nodeId: string, chunkIds: unknown): Promise<void> {
    if (!Array.isArray(chunkIds) || !chunkIds.every(isChunkId))
      throw new DfsError('bad_request', 'chunks must be chunk ids');
    await this.meta.write(() => {
      for (const id of chunkIds) {
        const record = this.meta.chunks.get(id);
        if (!record) continue;
        this.meta.chunks.put(id, { ...record, replicas: record.replicas.filter((n) => n !== nodeId) });
        this.corrupt.add(id);
      }
    });
    const url = this.registry.get(nodeId)?.url ?? nodeId;
    for (const id of chunkIds)
      this.events.add('chunk-corrupt', `chunk ${id.slice(0, 12)}… was corrupt on ${url}`);
    this.markDirty();
  }

  /** A reader saw bad bytes from a node: that node re-checks its copy (a client is not trusted to condemn it). */
  suspect(chunkId: string, nodeId: string): void {
    const node = this.registry.get(nodeId);
    if (node?.alive) node.outbox.push({ op: 'verify', chunkId });
  }

  /** One maintenance step: detect deaths, then recount, repair, trim and collect if needed. */
  async tick(now = Date.now()): Promise<void> {
    if (this.registry.sweep(now).length > 0) this.dirty = true;
    this.uploads.expire(now);
    for (const [id, repair] of this.repairs) {
      if (now - repair.since > REPAIR_TIMEOUT) {
        this.repairs.delete(id);
        this.dirty = true;
      }
    }
    const due = this.dirty || now - this.lastScan >= (this.changed ? CHANGED_SCAN_EVERY : FULL_SCAN_EVERY);
    if (this.scanning || !due) return;
    this.scanning = true;
    this.dirty = false;
    this.changed = false;
    this.lastScan = now;
    try {
      await this.scan(now);
    } finally {
      this.scanning = false;
    }
  }

  private async scan(now: number): Promise<void> {
    const replication = this.config.replication;
    const health: ChunkHealth = {
      chunks: 0,
      storedBytes: 0,
      underReplicated: 0,
      missing: 0,
      corrupt: 0,
      repairsInProgress: 0,
    };
    const needRepair: { id: string; record: ChunkRecord; live: string[] }[] = [];
    const trims: { id: string; drop: string[] }[] = [];
    const garbage: { id: string; record: ChunkRecord }[] = [];
    for (const { id, record } of this.meta.allChunks()) {
      const live = record.replicas.filter((n) => this.registry.isAlive(n));
      if (record.refs === 0) {
        if (now - record.zeroSince >= this.config.gcGrace && !this.uploads.pinned(id))
          garbage.push({ id, record });
        continue;
      }
      health.chunks++;
      health.storedBytes += record.size * record.replicas.length;
      if (live.length === 0) health.missing++;
      else if (live.length < replication) {
        health.underReplicated++;
        needRepair.push({ id, record, live });
      } else if (live.length > replication && !this.repairs.has(id)) {
        trims.push({ id, drop: this.pickTrim(live, live.length - replication) });
      }
      if (live.length >= replication) this.corrupt.delete(id);
    }
    health.corrupt = this.corrupt.size;
    needRepair.sort((a, b) => a.live.length - b.live.length);
    for (const item of needRepair) {
      if (this.repairs.size >= this.config.repairConcurrency) break;
      if (!this.repairs.has(item.id)) this.planRepair(item.id, item.record, item.live, now);
    }
    health.repairsInProgress = this.repairs.size;
    this.health = health;
    if (trims.length > 0 || garbage.length > 0) await this.applyTrimsAndGarbage(trims, garbage, now);
  }

  // The replicas to drop from an over-replicated chunk: those on the fullest nodes.
  private pickTrim(live: string[], n: number): string[] {
    return [...live]
      .sort((a, b) => (this.registry.get(a)?.free ?? 0) - (this.registry.get(b)?.free ?? 0))
      .slice(0, n);
  }

  private planRepair(id: string, record: ChunkRecord, live: string[], now: number): void {
    const missing = this.config.replication - live.length;
    let targets: TrackedNode[];
    try {
      targets = chooseNodes(
        this.registry.alive(),
        missing,
        record.size,
        new Set(record.replicas),
      ) as TrackedNode[];
    } catch {
      return; // not enough distinct live nodes: stay under-replicated until one joins
    }
    const source = live.map((n) => this.registry.get(n)).find((n) => n?.alive);
    if (!source) return;
    const token = signWriteToken(this.config.secret, 'put', id, now + this.config.tokenTtl);
    source.outbox.push({
      op: 'replicate',
      chunkId: id,
      targets: targets.map((t) => ({ nodeId: t.id, url: t.url })),
      token,
    });
    this.repairs.set(id, { since: now, source: source.id, targets: targets.map((t) => t.id) });
  }

  private async applyTrimsAndGarbage(
    trims: { id: string; drop: string[] }[],
    garbage: { id: string; record: ChunkRecord }[],
    now: number,
  ): Promise<void> {
    const deletes: { node: string; id: string }[] = [];
    await this.meta.write(() => {
      for (const t of trims) {
        const record = this.meta.chunks.get(t.id);
        if (!record) continue;
        this.meta.chunks.put(t.id, {
          ...record,
          replicas: record.replicas.filter((n) => !t.drop.includes(n)),
        });
        for (const node of t.drop) deletes.push({ node, id: t.id });
      }
      for (const g of garbage) {
        // Re-checked inside the transaction: a commit or an upload may have claimed it since.
        const record = this.meta.chunks.get(g.id);
        if (
          !record ||
          record.refs > 0 ||
          this.uploads.pinned(g.id) ||
          now - record.zeroSince < this.config.gcGrace
        )
          continue;
        this.meta.chunks.remove(g.id);
        for (const node of record.replicas) deletes.push({ node, id: g.id });
      }
    });
    for (const d of deletes) this.registry.get(d.node)?.outbox.push({ op: 'delete', chunkId: d.id });
    if (trims.length > 0) this.events.add('replicas-trimmed', `${trims.length} excess replica(s) removed`);
    if (garbage.length > 0) this.log(`gc: ${garbage.length} unreferenced chunk(s) collected`);
  }
}

function num(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0;
}

/** A node's advertised URL: plain http(s) base URL only, nothing that could point elsewhere. */
function checkNodeUrl(value: unknown): string {
  if (typeof value !== 'string') throw new DfsError('bad_request', 'url must be a string');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new DfsError('bad_request', 'url is not a valid URL');
  }
  if (
    (url.protocol !== 'http:' && url.protocol !== 'https:') ||
    url.username ||
    url.password ||
    url.search ||
    url.hash
  ) {
    throw new DfsError('bad_request', 'node url must be a plain http(s) base URL');
  }
  if (url.pathname !== '/') throw new DfsError('bad_request', 'node url must not have a path');
  return url.origin;
}
