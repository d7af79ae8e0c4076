// Re-replication: which under-replicated chunk is copied from where to where, fewest live
// replicas first, with a bounded number of copies in flight across the cluster.

import type { MasterConfig } from '../config.js';
import { signWriteToken } from '../protocol/auth.js';
import type { MetaStore } from './meta.js';
import type { Shortfall } from './namespace.js';
import { chooseNodes } from './placement.js';
import type { NodeRegistry, TrackedNode } from './registry.js';

// A copy not confirmed within this time is planned again.
const REPAIR_TIMEOUT = 60_000;
// A copy a waiting commit asked for: attempts, and how long each may take (within a client's
// 30 s request timeout).
const URGENT_ATTEMPTS = 3;
const URGENT_TIMEOUT = 8_000;

/** A chunk below its factor, as a scan found it. */
export interface RepairCandidate {
  id: string;
  live: number;
}

/** The copies in flight and the queue of chunks waiting for one. */
export class Repairs {
  private readonly inFlight = new Map<string, { since: number; source: string; targets: string[] }>();
  private queue: string[] = [];
  /** Commits waiting for a copy of a chunk: called with the nodes that got one ([] on failure). */
  private readonly waiting = new Map<string, ((nodes: string[]) => void)[]>();

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

  /**
   * Copies the chunks a waiting commit needs at full factor now, outside the concurrency limit;
   * resolves with the nodes that got a copy, per chunk.
   */
  async topUp(short: Shortfall[]): Promise<Map<string, string[]>> {
    const result = new Map<string, string[]>();
    const unique = [...new Map(short.map((s) => [s.id, s])).values()];
    await Promise.all(
      unique.map(async (s) => {
        const got: string[] = [];
        const avoid = new Set([...s.holders, ...s.live, ...(this.meta.chunks.get(s.id)?.replicas ?? [])]);
        for (let i = 0; i < URGENT_ATTEMPTS && s.live.length + got.length < this.config.replication; i++) {
          const { nodes, tried } = await this.copyNow(
            s,
            avoid,
            this.config.replication - s.live.length - got.length,
          );
          if (tried.length === 0) break;
          got.push(...nodes);
          for (const n of tried) avoid.add(n);
        }
        result.set(s.id, got);
      }),
    );
    return result;
  }

  private async copyNow(
    s: Shortfall,
    avoid: ReadonlySet<string>,
    missing: number,
  ): Promise<{ nodes: string[]; tried: string[] }> {
    const source = s.live
      .map((n) => this.registry.get(n))
      .find((n): n is TrackedNode => n?.alive === true && n.registered);
    const candidates = this.registry.alive().filter((n) => n.registered);
    let targets: TrackedNode[];
    try {
      targets = chooseNodes(candidates, missing, s.size, avoid) as TrackedNode[];
    } catch {
      return { nodes: [], tried: [] };
    }
    if (!source) return { nodes: [], tried: [] };
    const nodes = await new Promise<string[]>((resolve) => {
      const timer = setTimeout(() => settle([]), URGENT_TIMEOUT);
      const settle = (nodes: string[]) => {
        clearTimeout(timer);
        resolve(nodes);
      };
      this.waiting.set(s.id, [...(this.waiting.get(s.id) ?? []), settle]);
      source.outbox.push({
        op: 'replicate',
        chunkId: s.id,
        targets: targets.map((t) => ({ nodeId: t.id, url: t.url })),
        token: signWriteToken(this.config.secret, 'put', s.id, Date.now() + this.config.tokenTtl),
      });
    });
    return { nodes, tried: targets.map((t) => t.id) };
  }

  /** A copy of `id` was reported (`nodes` got it; [] when it failed): wakes waiting commits. */
  settle(id: string, nodes: string[]): void {
    const waiters = this.waiting.get(id);
    this.waiting.delete(id);
    for (const wake of waiters ?? []) wake(nodes);
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
