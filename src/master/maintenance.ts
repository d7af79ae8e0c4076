// Keeping data alive, run by the leader: failure detection, lease expiry, re-replication
// (fewest replicas first, rate-limited), trimming of excess copies, and collection of chunks
// nothing references — never before the nodes have reported after a start (safe mode).

import type { MasterConfig } from '../config.js';
import { DfsError } from '../protocol/errors.js';
import { type ChunkCounts, type ScanResult, scanChunks } from './chunk-scan.js';
import type { MasterCore } from './core.js';
import type { NodeRemoval } from './node-removal.js';

/** Chunk health as last counted by a maintenance pass. */
export interface ChunkHealth extends ChunkCounts {
  repairsInProgress: number;
}

// Even with nothing changed, chunk health is recounted this often.
const FULL_SCAN_EVERY = 30_000;
// After commits and deletes, the counts are refreshed this often.
const CHANGED_SCAN_EVERY = 3_000;
// A pass reads every chunk row (about 2 µs each): with millions of chunks it takes seconds, and
// passes that long are paced by their own length instead, so that they never take the master
// whole: the next waits at least as long as the last took when something happened (a node came
// or went, a copy rotted), and nine times as long otherwise (recounts, collection, rescans).
const PACED_FROM = 100;
const PACE_URGENT = 1;
const PACE = 9;

/** How often a node re-reports its whole inventory: often enough that orphans meet the grace period. */
export function inventoryEvery(config: Readonly<MasterConfig>): number {
  return Math.min(Math.max(config.gcGrace / 2, 1000), 600_000);
}

/** What maintenance works with. */
export interface MaintenanceDeps extends MasterCore {
  removal: NodeRemoval;
}

/** The master's background work. */
export class Maintenance {
  private timer: NodeJS.Timeout | undefined;
  private lastScan = 0;
  /** How long the last pass took, ms. */
  private lastScanMs = 0;
  private lastClaim = 0;
  private running: Promise<void> | undefined;
  /** When the next unreferenced chunk passes its grace period. */
  private nextGcDue = Number.POSITIVE_INFINITY;
  private counts: ChunkCounts = { chunks: 0, storedBytes: 0, underReplicated: 0, missing: 0, corrupt: 0 };
  private stopped = false;

  constructor(private readonly deps: MaintenanceDeps) {}

  /** Chunk health as last counted, with the copies in flight right now. */
  get health(): ChunkHealth {
    return { ...this.counts, repairsInProgress: this.deps.repairs.size };
  }

  /** Nodes known from before that have not reported since this master started: no repair or collection until they do (or die). */
  get safeMode(): { on: boolean; waitingFor: number } {
    const waitingFor = this.deps.registry.waitingFor();
    return { on: waitingFor > 0, waitingFor };
  }

  start(interval = Math.min(1000, this.deps.config.heartbeatTimeout / 4)): void {
    const loop = () => {
      if (this.stopped) return;
      this.timer = setTimeout(() => {
        this.running = this.tick()
          // An expected failure (the metadata store unavailable) in one line; a bug with its stack.
          .catch((err) =>
            this.deps.log(
              `maintenance failed: ${err instanceof DfsError && err.code !== 'internal' ? err.message : ((err as Error).stack ?? err)}`,
            ),
          )
          .finally(() => {
            this.running = undefined;
            loop();
          });
      }, interval);
    };
    loop();
  }

  /** Stops the loop and waits for a pass in flight to end. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.deps.leader.resign();
    await this.running;
    await this.deps.leader.leave();
  }

  /** One maintenance step: renew leadership, detect deaths, then recount, repair, trim and collect if due. */
  async tick(now = Date.now()): Promise<void> {
    const { leader, registry, repairs, inventories, config, attention } = this.deps;
    if (now - this.lastClaim >= config.leaseTimeout / 4 || !leader.isLeader) {
      this.lastClaim = now;
      const was = leader.isLeader;
      await leader.claim();
      if (leader.isLeader && !was) attention.raise();
    }
    for (const node of registry.sweep(now)) {
      repairs.forgetNode(node.id);
      inventories.forget(node.id);
      attention.raise();
    }
    const expired = repairs.expire(now);
    this.deps.metrics.repaired('timeout', expired);
    if (expired > 0) attention.raise();
    const flags = attention.take();
    const since = now - this.lastScan;
    const paced = (pace: number) => this.lastScanMs < PACED_FROM || since >= pace * this.lastScanMs;
    const due =
      (flags.dirty && paced(PACE_URGENT)) ||
      (paced(PACE) &&
        (now >= this.nextGcDue ||
          // While copies are missing, look again soon: a chunk skipped by one plan (its targets
          // were busy or shunned) must not wait for the next full pass.
          since >=
            (flags.changed || this.counts.underReplicated > 0 ? CHANGED_SCAN_EVERY : FULL_SCAN_EVERY)));
    if (!due) {
      attention.restore(flags);
      return;
    }
    this.lastScan = now;
    if (leader.others > 0) await this.deps.removal.adoptRemovals();
    const started = performance.now();
    const result = await scanChunks(this.deps, now);
    // The next pass is paced from this one's end.
    this.lastScanMs = performance.now() - started;
    this.lastScan = now + this.lastScanMs;
    this.counts = result.counts;
    this.nextGcDue = result.nextGcDue;
    // Only the leader acts, and only once every node has reported: until then a copy it has not
    // heard of would look missing, and one it has not heard deleted would look collectable.
    if (!leader.isLeader || this.safeMode.on) return;
    await this.deps.store.expireLeases(now);
    await this.deps.removal.retireReplaced();
    repairs.setQueue(result.candidates);
    repairs.plan(now);
    await this.act(result, now);
  }

  // Queues trims and the deletes of condemned chunks; condemns and forgets what collection may.
  private async act(result: ScanResult, now: number): Promise<void> {
    const { deletions, replicas, store, leader, config, events, log } = this.deps;
    for (const t of result.trims) for (const node of t.drop) deletions.queue(node, t.id, 'trim');
    if (result.trims.length > 0)
      events.add('replicas-trimmed', `${result.trims.length} excess replica(s) to remove`);
    for (const d of result.deletes) for (const node of d.nodes) deletions.queue(node, d.id, 'collect');
    if (result.doom.length > 0) {
      const doomed = await store.doom(result.doom, config.gcGrace, now, leader.epoch);
      this.deps.metrics.collect(doomed.length);
      for (const id of doomed) for (const node of replicas.holders(id)) deletions.queue(node, id, 'collect');
      if (doomed.length > 0)
        log(`gc: ${doomed.length} unreferenced chunk(s) condemned; their copies are being deleted`);
    }
    if (result.purge.length > 0) await store.purge(result.purge, leader.epoch);
  }
}
