// Re-replication: which under-replicated chunk is copied from where to where, fewest live
// replicas first, with a bounded number of copies in flight per source node.

import type { MasterConfig } from '../config.js';
import { signWriteToken } from '../protocol/auth.js';
import type { Deletions } from './deletions.js';
import type { Shortfall } from './namespace.js';
import { chooseNodes } from './placement.js';
import type { NodeRegistry, TrackedNode } from './registry.js';
import type { ReplicaMap } from './replicas.js';

// A copy not confirmed within this time is planned again.
const REPAIR_TIMEOUT = 60_000;
// A copy a waiting commit asked for: attempts, and how long each may take (within a client's
// 30 s request timeout).
const URGENT_ATTEMPTS = 3;
const URGENT_TIMEOUT = 8_000;
// A node that failed a copy as its target is not chosen again for this long.
const SHUN_FOR = 10_000;

/** A chunk below its factor, as a scan found it. */
export interface RepairCandidate {
  id: string;
  size: number;
  live: number;
}

/** The copies in flight and the queue of chunks waiting for one. */
export class Repairs {
  private readonly inFlight = new Map<string, { since: number; source: string; targets: string[] }>();
  private queue: RepairCandidate[] = [];
  /** Copies in flight per source node. */
  private readonly loads = new Map<string, number>();
  /** Nodes that failed a copy as target, and until when they get no new one. */
  private readonly shunned = new Map<string, number>();
  /** Commits waiting for a copy of a chunk: called with the nodes that got one ([] on failure). */
  private readonly waiting = new Map<string, ((nodes: string[]) => void)[]>();

  constructor(
    private readonly config: Readonly<MasterConfig>,
    private readonly replicas: ReplicaMap,
    private readonly registry: NodeRegistry,
    private readonly deletions: Deletions,
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
    this.queue = candidates.sort((a, b) => a.live - b.live);
  }

  /**
   * Hands out copies from the queue while sources have room: each node sends at most
   * `repairConcurrency` copies at once. `prefer` (the node heartbeating now) is chosen as the
   * source where it holds the chunk, so its answer carries work.
   */
  plan(now = Date.now(), prefer?: string): number {
    let planned = 0;
    let room = 0;
    for (const n of this.registry.alive()) if (n.registered) room += Math.max(0, this.cap - this.load(n.id));
    const rest: RepairCandidate[] = [];
    for (const [i, candidate] of this.queue.entries()) {
      if (room === 0) {
        rest.push(...this.queue.slice(i));
        break;
      }
      if (this.inFlight.has(candidate.id)) continue;
      const outcome = this.planOne(candidate, now, prefer);
      if (outcome === 'planned') {
        planned++;
        room--;
      } else if (outcome === 'busy') rest.push(candidate);
    }
    this.queue = rest;
    return planned;
  }

  private get cap(): number {
    return this.config.repairConcurrency;
  }

  // Rechecked against the replica map: the queue may be a few seconds old.
  private planOne(candidate: RepairCandidate, now: number, prefer?: string): 'planned' | 'busy' | 'skip' {
    const { id } = candidate;
    const holders = this.replicas.holders(id);
    const live = holders.filter((n) => this.registry.isAlive(n));
    const missing = this.config.replication - live.length;
    if (missing <= 0 || live.length === 0) return 'skip';
    // Among holders registered in this run and not at their limit: the preferred one, else the
    // one with the fewest copies in flight.
    const sources = live
      .map((n) => this.registry.get(n))
      .filter((n): n is TrackedNode => n?.alive === true && n.registered && this.load(n.id) < this.cap)
      .sort((a, b) => Number(b.id === prefer) - Number(a.id === prefer) || this.load(a.id) - this.load(b.id));
    const source = sources[0];
    if (!source) return 'busy';
    const targets = this.targets(id, missing, candidate.size, new Set(holders), now);
    // Not enough distinct live nodes: stays under-replicated until one joins.
    if (!targets) return 'skip';
    this.sendCopy(source, id, candidate.size, targets, now);
    this.inFlight.set(id, { since: now, source: source.id, targets: targets.map((t) => t.id) });
    this.loads.set(source.id, this.load(source.id) + 1);
    return 'planned';
  }

  /**
   * Nodes to receive `missing` new copies of chunk `id`, none in `avoid`: registered in this run,
   * not shunned after a failed copy, and not about to delete an old copy of the chunk (that
   * delete would take the new copy too). Undefined when too few qualify.
   */
  private targets(id: string, missing: number, size: number, avoid: ReadonlySet<string>, now: number) {
    const candidates = this.registry
      .alive()
      .filter(
        (n) =>
          n.registered &&
          !n.writeError &&
          (this.shunned.get(n.id) ?? 0) <= now &&
          !this.deletions.isQueued(n.id, id) &&
          !this.deletions.isUnconfirmed(n.id, id),
      );
    try {
      return chooseNodes(candidates, missing, size, avoid) as TrackedNode[];
    } catch {
      return undefined;
    }
  }

  /** Hands `source` the command to copy chunk `id` to `targets` at its next heartbeat. */
  private sendCopy(source: TrackedNode, id: string, size: number, targets: TrackedNode[], now: number): void {
    // A 'copy' token (taken past the chunk size) only for a chunk larger than it (stored before
    // --chunk-size was lowered): a node of an older version knows 'put' only.
    const op = size > this.config.chunkSize ? 'copy' : 'put';
    source.outbox.push({
      op: 'replicate',
      chunkId: id,
      targets: targets.map((t) => ({ nodeId: t.id, url: t.url })),
      token: signWriteToken(this.config.secret, op, id, now + this.config.tokenTtl),
    });
  }

  private load(nodeId: string): number {
    return this.loads.get(nodeId) ?? 0;
  }

  // Forgets an in-flight copy.
  private drop(id: string): void {
    const repair = this.inFlight.get(id);
    if (!repair) return;
    this.inFlight.delete(id);
    const left = this.load(repair.source) - 1;
    if (left > 0) this.loads.set(repair.source, left);
    else this.loads.delete(repair.source);
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
        const avoid = new Set([...s.holders, ...s.live, ...this.replicas.holders(s.id)]);
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
    if (!source) return { nodes: [], tried: [] };
    const targets = this.targets(s.id, missing, s.size, avoid, Date.now());
    if (!targets) return { nodes: [], tried: [] };
    const nodes = await new Promise<string[]>((resolve) => {
      const timer = setTimeout(() => {
        // Given up on: forget the waiter so it is not kept until some later copy of the chunk.
        const rest = (this.waiting.get(s.id) ?? []).filter((w) => w !== settle);
        if (rest.length > 0) this.waiting.set(s.id, rest);
        else this.waiting.delete(s.id);
        settle([]);
      }, URGENT_TIMEOUT);
      const settle = (nodes: string[]) => {
        clearTimeout(timer);
        resolve(nodes);
      };
      this.waiting.set(s.id, [...(this.waiting.get(s.id) ?? []), settle]);
      this.sendCopy(source, s.id, s.size, targets, Date.now());
    });
    return { nodes, tried: targets.map((t) => t.id) };
  }

  /** A copy of `id` was reported (`nodes` got it; [] when it failed): wakes waiting commits. */
  settle(id: string, nodes: string[]): void {
    const waiters = this.waiting.get(id);
    this.waiting.delete(id);
    for (const wake of waiters ?? []) wake(nodes);
  }

  /**
   * A copy of `id` reported back by `nodeId` (done or failed); false when no such copy was in
   * flight (a report after its timeout, or sent twice), which then counts for nothing.
   */
  done(id: string, nodeId: string, failed = false, now = Date.now()): boolean {
    const repair = this.inFlight.get(id);
    if (repair?.source !== nodeId) return false;
    // A target that just failed a copy gets no new ones for a while (it may be dying).
    if (failed) for (const t of repair.targets) this.shunned.set(t, now + SHUN_FOR);
    this.drop(id);
    return true;
  }

  /** Forgets copies never confirmed; returns how many. */
  expire(now = Date.now()): number {
    let n = 0;
    for (const [id, repair] of this.inFlight) {
      if (now - repair.since > REPAIR_TIMEOUT) {
        this.drop(id);
        n++;
      }
    }
    return n;
  }

  /** A node died: copies from or to it will not finish, so they are planned again. */
  forgetNode(nodeId: string): void {
    for (const [id, repair] of this.inFlight) {
      if (repair.source === nodeId || repair.targets.includes(nodeId)) this.drop(id);
    }
  }
}
