// The master's own Prometheus metrics: the namespace (files, bytes), chunk health, nodes, commits
// and their latency, repairs, collection, and leadership. Gauges are read when scraped.

import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Leader } from './leader.js';
import type { Maintenance } from './maintenance.js';
import type { NodeRegistry } from './registry.js';
import type { TotalsReader } from './totals.js';

/** How a repair copy ended: copied, failed (a target or the source failed), or never reported in time. */
export type RepairResult = 'ok' | 'failed' | 'timeout';

/** Seconds of one metadata commit: LMDB takes well under a millisecond, PostgreSQL a few. */
const COMMIT_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
];

/** What the gauges read, once the master is built. */
export interface MasterSources {
  totals: TotalsReader;
  registry: NodeRegistry;
  maintenance: Maintenance;
  leader: Leader;
}

/** Counts what the master does; its gauges read the master's state at each scrape. */
export class MasterMetrics {
  /** Commits so far (a running total the charts read). */
  commits = 0;
  private readonly commitCounter: Counter;
  private readonly commitDuration: Histogram;
  private readonly repairs: Counter<'result'>;
  private readonly collected: Counter;

  constructor(private readonly registry: Registry) {
    const registers = [registry];
    this.commitCounter = new Counter({
      name: 'dfs_master_commits_total',
      help: 'File versions committed (uploads, copies, multipart completions).',
      registers,
    });
    this.commitDuration = new Histogram({
      name: 'dfs_master_metadata_commit_duration_seconds',
      help: 'Time the metadata store took to commit one file version.',
      buckets: COMMIT_BUCKETS,
      registers,
    });
    this.repairs = new Counter({
      name: 'dfs_master_repairs_total',
      help: 'Repair copies ended, by result: ok, failed, or timeout (never reported).',
      labelNames: ['result'],
      registers,
    });
    // Every result from the start: a rate over a series that appears late misses its first increase.
    for (const result of ['ok', 'failed', 'timeout'] satisfies RepairResult[])
      this.repairs.inc({ result }, 0);
    this.collected = new Counter({
      name: 'dfs_master_gc_collected_total',
      help: 'Unreferenced chunks condemned by garbage collection (their copies are then deleted).',
      registers,
    });
  }

  /** A file version was committed; its metadata commit took `seconds`. */
  committed(seconds: number): void {
    this.commits++;
    this.commitCounter.inc();
    this.commitDuration.observe(seconds);
  }

  /** `n` repair copies ended with `result`. */
  repaired(result: RepairResult, n = 1): void {
    if (n > 0) this.repairs.inc({ result }, n);
  }

  /** Collection condemned `n` chunks. */
  collect(n: number): void {
    if (n > 0) this.collected.inc(n);
  }

  /** Registers the gauges that read the master's state. */
  watch({ totals, registry, maintenance, leader }: MasterSources): void {
    const registers = [this.registry];
    // A metadata store that does not answer (PostgreSQL down) leaves the last values (see
    // TotalsReader): the rest of the scrape, leadership first, matters most right then.
    new Gauge({
      name: 'dfs_master_files',
      help: 'Files in the namespace.',
      registers,
      async collect() {
        const t = (await totals.read()).totals;
        if (t) this.set(t.files);
      },
    });
    new Gauge({
      name: 'dfs_master_logical_bytes',
      help: 'Bytes of all files, counted once (before replication).',
      registers,
      async collect() {
        const t = (await totals.read()).totals;
        if (t) this.set(t.logicalBytes);
      },
    });
    new Gauge({
      name: 'dfs_master_metadata_up',
      help: 'Whether the metadata store answered the last read of its totals within a second (1) or not (0).',
      registers,
      async collect() {
        this.set((await totals.read()).answering ? 1 : 0);
      },
    });
    new Gauge({
      name: 'dfs_master_chunks',
      help: 'Referenced chunks by replication state, as the last health scan counted them.',
      labelNames: ['state'],
      registers,
      collect() {
        const h = maintenance.health;
        this.set({ state: 'healthy' }, Math.max(0, h.chunks - h.underReplicated - h.missing));
        this.set({ state: 'under_replicated' }, h.underReplicated);
        this.set({ state: 'missing' }, h.missing);
      },
    });
    new Gauge({
      name: 'dfs_master_repairs_in_flight',
      help: 'Repair copies handed out and not yet reported.',
      registers,
      collect() {
        this.set(maintenance.health.repairsInProgress);
      },
    });
    new Gauge({
      name: 'dfs_master_nodes',
      help: 'Storage nodes known to this master, by state.',
      labelNames: ['state'],
      registers,
      collect() {
        const alive = registry.alive().length;
        this.set({ state: 'alive' }, alive);
        this.set({ state: 'dead' }, registry.all().length - alive);
      },
    });
    new Gauge({
      name: 'dfs_master_is_leader',
      help: '1 while this master leads the cluster (repairs, trims, collects), else 0.',
      registers,
      collect() {
        this.set(leader.isLeader ? 1 : 0);
      },
    });
    new Gauge({
      name: 'dfs_master_epoch',
      help: 'The leadership epoch this master leads with (0 while it does not lead).',
      registers,
      collect() {
        this.set(leader.epoch);
      },
    });
  }
}
