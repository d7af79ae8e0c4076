// Keeping data alive: node registration and heartbeats, failure detection, re-replication
// (fewest replicas first, rate-limited), trimming of excess replicas, corruption handling and
// garbage collection of chunks no file references.

import type { MasterConfig } from '../config.js';
import { DfsError } from '../protocol/errors.js';
import { assertChunkId, isChunkId } from '../protocol/paths.js';
import type { FsckReport, HeartbeatRequest, HeartbeatResponse, RegisterRequest } from '../protocol/types.js';
import { nodeOrigin } from '../protocol/urls.js';
import { type ChunkCounts, scanChunks, trimAndCollect } from './chunk-scan.js';
import type { EventLog } from './events.js';
import { fsck } from './fsck.js';
import { Inventories } from './inventory.js';
import type { MetaStore } from './meta.js';
import type { Namespace, Shortfall } from './namespace.js';
import type { NodeRegistry } from './registry.js';
import { Repairs } from './repairs.js';
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

// Even with nothing changed, chunk health is recounted this often.
const FULL_SCAN_EVERY = 30_000;
// After commits and deletes, the counts are refreshed this often.
const CHANGED_SCAN_EVERY = 3_000;

/** How often a node re-reports its whole inventory: often enough that orphans meet the grace period. */
export function inventoryEvery(config: Readonly<MasterConfig>): number {
  return Math.min(Math.max(config.gcGrace / 2, 1000), 600_000);
}

/** The master's background work and its side of the node protocol. */
export class Maintenance {
  private timer: NodeJS.Timeout | undefined;
  private dirty = true;
  private changed = false;
  private lastScan = 0;
  private scanning = false;
  /** When the next unreferenced chunk passes its grace period. */
  private nextGcDue = Number.POSITIVE_INFINITY;
  private readonly repairs: Repairs;
  private readonly inventories: Inventories;
  /** Chunks with a replica found corrupt and not yet repaired. */
  private readonly corrupt = new Set<string>();
  private counts: ChunkCounts = {
    chunks: 0,
    storedBytes: 0,
    underReplicated: 0,
    missing: 0,
    corrupt: 0,
  };

  constructor(
    private readonly config: Readonly<MasterConfig>,
    private readonly meta: MetaStore,
    private readonly registry: NodeRegistry,
    private readonly uploads: UploadTracker,
    private readonly namespace: Namespace,
    private readonly events: EventLog,
    private readonly log: (message: string) => void,
  ) {
    this.repairs = new Repairs(config, meta, registry);
    this.inventories = new Inventories(meta, inventoryEvery(config));
  }

  /** Chunk health as last counted, with the copies in flight right now. */
  get health(): ChunkHealth {
    return { ...this.counts, repairsInProgress: this.repairs.size };
  }

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

  /** `POST /internal/register`: a node's whole inventory, on start or when the master asked for it. */
  async register(nodeId: string, req: RegisterRequest): Promise<HeartbeatResponse> {
    sameNode(nodeId, req);
    const url = nodeOrigin(req.url);
    if (!Array.isArray(req.chunks) || !req.chunks.every(isChunkId)) {
      throw new DfsError('bad_request', 'chunks must be a list of chunk ids');
    }
    const stamp = typeof req.inventory === 'number' ? req.inventory : undefined;
    const deleting = new Set(
      (this.registry.get(nodeId)?.outbox ?? []).flatMap((c) => (c.op === 'delete' ? [c.chunkId] : [])),
    );
    const result = await this.meta.write(() => this.inventories.apply(nodeId, req.chunks, stamp, deleting));
    await this.registry.register({
      id: nodeId,
      url,
      capacity: num(req.capacity),
      free: num(req.free),
      used: num(req.used),
      chunks: req.chunks.length,
    });
    if (result.dropped > 0)
      this.events.add('replicas-lost', `node ${url} no longer holds ${result.dropped} chunk(s)`);
    if (result.found > 0) this.log(`node ${url} holds ${result.found} chunk(s) no file references`);
    this.markDirty();
    return { known: true, chunkSize: this.config.chunkSize, commands: [] };
  }

  /** `POST /internal/heartbeat`: records liveness, hands out queued work, asks for inventories. */
  heartbeat(nodeId: string, req: HeartbeatRequest): HeartbeatResponse {
    sameNode(nodeId, req);
    const wasAlive = this.registry.isAlive(nodeId);
    const node = this.registry.heartbeat({
      id: nodeId,
      capacity: num(req.capacity),
      free: num(req.free),
      used: num(req.used),
      chunks: num(req.chunks),
      scrub: req.scrub,
    });
    if (!node) return { known: false, chunkSize: this.config.chunkSize, commands: [] };
    // Back from the dead: deletes were missed and copies may be gone; recount from its disk.
    if (!wasAlive) this.inventories.askSoon(nodeId);
    const now = Date.now();
    // Work is handed out as the node asks for it: it copies what it holds, up to its limit.
    this.repairs.plan(now, nodeId);
    const commands = node.outbox.filter((c) => c.op !== 'delete' || this.mayDelete(nodeId, c.chunkId));
    node.outbox = [];
    for (const c of commands) if (c.op === 'delete') this.inventories.took(nodeId, c.chunkId, now);
    const inventory = this.inventories.request(nodeId, now);
    return {
      known: true,
      chunkSize: this.config.chunkSize,
      commands,
      ...(inventory !== undefined && { inventory }),
    };
  }

  // A delete queued earlier is stale once the chunk was claimed again: an upload pinned it, or
  // a commit or a repair listed this node again (the node then holds the new copy).
  private mayDelete(nodeId: string, chunkId: string): boolean {
    return !this.uploads.pinned(chunkId) && !this.meta.chunks.get(chunkId)?.replicas.includes(nodeId);
  }

  /** `POST /internal/replicated`: a repair copy finished (or failed). */
  async replicated(
    nodeId: string,
    body: { chunkId?: unknown; receipts?: unknown; error?: unknown; missing?: unknown },
  ): Promise<void> {
    const chunkId = assertChunkId(body?.chunkId);
    const written = this.namespace.checkReceipts(body.receipts ?? []);
    const added = [...(written.get(chunkId) ?? [])];
    // The source no longer has the chunk (deleted, or rotted and quarantined): not a replica.
    const gone = added.length === 0 && body.missing === true;
    // Otherwise a failed copy is the targets' fault.
    this.repairs.done(chunkId, nodeId, added.length === 0 && !gone);
    if (added.length > 0 || gone) {
      await this.meta.write(() => {
        const record = this.meta.chunks.get(chunkId);
        if (!record) return;
        const replicas = gone
          ? record.replicas.filter((n) => n !== nodeId)
          : [...new Set([...record.replicas, ...added])];
        this.meta.chunks.put(chunkId, { ...record, replicas });
      });
    }
    if (added.length > 0) {
      const urls = added.map((id) => this.registry.get(id)?.url ?? id).join(', ');
      this.events.add('chunk-repaired', `chunk ${chunkId.slice(0, 12)}… copied to ${urls}`);
    }
    this.repairs.settle(chunkId, added);
    this.markDirty();
    // Keep copies flowing without waiting for the next scan.
    this.repairs.plan();
  }

  /** Copies fresh chunks a commit finds short of live replicas (a node died after its ack). */
  async topUp(short: Shortfall[]): Promise<Map<string, string[]>> {
    const result = await this.repairs.topUp(short);
    const copies = [...result.values()].reduce((n, nodes) => n + nodes.length, 0);
    if (copies > 0)
      this.log(`commit: ${copies} copy(ies) made of chunks that lost a replica after their ack`);
    return result;
  }

  /** `POST /internal/corrupt`: a node quarantined rotten replicas, or found them gone (`missing`). */
  async reportCorrupt(nodeId: string, chunkIds: unknown, missing = false): Promise<void> {
    if (!Array.isArray(chunkIds) || !chunkIds.every(isChunkId))
      throw new DfsError('bad_request', 'chunks must be chunk ids');
    const condemned = await this.dropReplicas(nodeId, chunkIds, !missing);
    const url = this.registry.get(nodeId)?.url ?? nodeId;
    for (const id of condemned)
      this.events.add(
        missing ? 'chunk-vanished' : 'chunk-corrupt',
        `chunk ${id.slice(0, 12)}… ${missing ? 'vanished from' : 'was corrupt on'} ${url}`,
      );
    this.markDirty();
  }

  /** A node answered that it no longer holds copies the table lists (seen while de-duplicating). */
  async vanished(chunkId: string, nodeIds: string[]): Promise<void> {
    for (const nodeId of nodeIds) await this.reportCorrupt(nodeId, [chunkId], true);
  }

  // Takes `nodeId` out of the replicas of `chunkIds`; returns the chunks it was listed for.
  private dropReplicas(nodeId: string, chunkIds: string[], rotten: boolean): Promise<string[]> {
    const now = Date.now();
    return this.meta.write(() => {
      const listed: string[] = [];
      for (const id of chunkIds) {
        this.inventories.took(nodeId, id, now);
        const record = this.meta.chunks.get(id);
        if (!record?.replicas.includes(nodeId)) continue;
        this.meta.chunks.put(id, { ...record, replicas: record.replicas.filter((n) => n !== nodeId) });
        if (rotten && record.refs > 0) this.corrupt.add(id);
        listed.push(id);
      }
      return listed;
    });
  }

  /** A reader saw bad bytes from a node: that node re-checks its copy (a client is not trusted to condemn it). */
  suspect(chunkId: string, nodeId: string): void {
    const node = this.registry.get(nodeId);
    if (!node?.alive || node.outbox.some((c) => c.op === 'verify' && c.chunkId === chunkId)) return;
    node.outbox.push({ op: 'verify', chunkId });
  }

  /** `GET /api/fsck`: every file at or below `prefix` checked against live replicas. */
  fsck(prefix: unknown): FsckReport {
    return fsck(this.meta, this.registry, this.config.replication, this.corrupt, prefix);
  }

  /** One maintenance step: detect deaths, then recount, repair, trim and collect if needed. */
  async tick(now = Date.now()): Promise<void> {
    for (const node of this.registry.sweep(now)) {
      this.repairs.forgetNode(node.id);
      this.inventories.forget(node.id);
      this.dirty = true;
    }
    await this.uploads.expire(now);
    if (this.repairs.expire(now) > 0) this.dirty = true;
    const due =
      this.dirty ||
      now >= this.nextGcDue ||
      now - this.lastScan >= (this.changed ? CHANGED_SCAN_EVERY : FULL_SCAN_EVERY);
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
    const ctx = {
      config: this.config,
      meta: this.meta,
      registry: this.registry,
      uploads: this.uploads,
      repairs: this.repairs,
      corrupt: this.corrupt,
    };
    const result = scanChunks(ctx, now);
    this.counts = result.counts;
    this.nextGcDue = result.nextGcDue;
    this.repairs.setQueue(result.candidates);
    this.repairs.plan(now);
    if (result.trims.length === 0 && result.garbage.length === 0) return;
    const { trimmed, collected } = await trimAndCollect(ctx, result.trims, result.garbage, now);
    if (trimmed > 0) this.events.add('replicas-trimmed', `${trimmed} excess replica(s) removed`);
    if (collected > 0) this.log(`gc: ${collected} unreferenced chunk(s) collected`);
  }
}

function num(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0;
}

/** Refuses a body that speaks for another node than the one that authenticated. */
function sameNode(nodeId: string, req: { id?: unknown } | undefined): void {
  if (!nodeId || req?.id !== nodeId)
    throw new DfsError('forbidden', 'node id does not match its authentication');
}
