// Re-replication: which under-replicated chunk is copied from where to where, fewest live
// replicas first, with a bounded number of copies in flight across the cluster.

import type { MasterConfig } from '../config.js';
import { signWriteToken } from '../protocol/auth.js';
import type { MetaStore } from './meta.js';
import { chooseNodes } from './placement.js';
import type { NodeRegistry, TrackedNode } from './registry.js';

// A copy not confirmed within this time is planned again.
const REPAIR_TIMEOUT = 60_000;

/** A chunk below its factor, as a scan found it. */
export interface RepairCandidate {
  id: string;
  live: number;
}

/** The copies in flight and the queue of chunks waiting for one. */
export class Repairs {
  private readonly inFlight = new Map<string, { since: number; source: string; targets: string[] }>();
  private queue: string[] = [];

  constructor(
    private readonly config: Readonly<MasterConfig>,
    private readonly meta: MetaStore,
    private readonly registry: NodeRegistry,
  ) {}

  /** Copies in flight. */
  get size(): number {
    return this.inFlight.size;
  }

  /** True while a copy of chunk `id` is in flight. */
  has(id: string): boolean {
    return this.inFlight.has(id);
  }

  /** Replaces the queue with what a scan found, fewest live replicas first. */
  setQueue(candidates: RepairCandidate[]): void {
    this.queue = candidates.sort((a, b) => a.live - b.live).map((c) => c.id);
  }

  /** Hands out copies until the concurrency limit is reached or the queue is empty. */
  plan(now = Date.now()): number {
    let planned = 0;
    while (this.inFlight.size < this.config.repairConcurrency && this.queue.length > 0) {
      const id = this.queue.shift() as string;
      if (!this.inFlight.has(id) && this.planOne(id, now)) planned++;
    }
    return planned;
  }

  // Rechecked against the table: the queue may be a few seconds old.
  private planOne(id: string, now: number): boolean {
    const record = this.meta.chunks.get(id);
    if (!record || record.refs === 0) return false;
    const live = record.replicas.filter((n) => this.registry.isAlive(n));
    const missing = this.config.replication - live.length;
    if (missing <= 0) return false;
    // The source with the fewest copies in flight, among nodes that registered in this run.
    const source = live
      .map((n) => this.registry.get(n))
      .filter((n): n is TrackedNode => n?.alive === true && n.registered)
      .sort((a, b) => this.load(a.id) - this.load(b.id))[0];
    if (!source) return false;
    // A node about to delete its old copy of the chunk would delete the new one too.
    const candidates = this.registry
      .alive()
      .filter((n) => n.registered && !n.outbox.some((c) => c.op === 'delete' && c.chunkId === id));
    let targets: TrackedNode[];
    try {
      targets = chooseNodes(candidates, missing, record.size, new Set(record.replicas)) as TrackedNode[];
    } catch {
      return false; // not enough distinct live nodes: stays under-replicated until one joins
    }
    source.outbox.push({
      op: 'replicate',
      chunkId: id,
      targets: targets.map((t) => ({ nodeId: t.id, url: t.url })),
      token: signWriteToken(this.config.secret, 'put', id, now + this.config.tokenTtl),
    });
    this.inFlight.set(id, { since: now, source: source.id, targets: targets.map((t) => t.id) });
    return true;
  }

  private load(nodeId: string): number {
    let n = 0;
    for (const repair of this.inFlight.values()) if (repair.source === nodeId) n++;
    return n;
  }

  /** A copy of `id` reported back by `nodeId` (done or failed); true when it was in flight. */
  done(id: string, nodeId: string): boolean {
    if (this.inFlight.get(id)?.source !== nodeId) return false;
    this.inFlight.delete(id);
    return true;
  }

  /** Forgets copies never confirmed; returns how many. */
  expire(now = Date.now()): number {
    let n = 0;
    for (const [id, repair] of this.inFlight) {
      if (now - repair.since > REPAIR_TIMEOUT) {
        this.inFlight.delete(id);
        n++;
      }
    }
    return n;
  }

  /** A node died: copies from or to it will not finish, so they are planned again. */
  forgetNode(nodeId: string): void {
    for (const [id, repair] of this.inFlight) {
      if (repair.source === nodeId || repair.targets.includes(nodeId)) this.inFlight.delete(id);
    }
  }
}
