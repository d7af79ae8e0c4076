// One pass over the chunk table, a page at a time, set against the replica map: health counts,
// the chunks to repair, the excess copies to trim, what collection may condemn, the condemned
// chunks whose copies must still be deleted, and those whose copies are all gone.

import type { MasterConfig } from '../config.js';
import type { MetaStore } from '../meta/store.js';
import type { DoomCandidate } from '../meta/types.js';
import type { Deletions } from './deletions.js';
import type { NodeRegistry } from './registry.js';
import type { RepairCandidate, Repairs } from './repairs.js';
import type { ReplicaMap } from './replicas.js';

/** What a pass reads (and the corrupt set it prunes). */
export interface ScanContext {
  config: Readonly<MasterConfig>;
  store: MetaStore;
  replicas: ReplicaMap;
  registry: NodeRegistry;
  repairs: Repairs;
  /** Chunks with a replica found corrupt and not yet repaired. */
  corrupt: Set<string>;
  /** The deletes handed out and not yet confirmed. */
  deletions: Pick<Deletions, 'isPending'>;
}

/** Chunk counts of a pass. */
export interface ChunkCounts {
  chunks: number;
  storedBytes: number;
  underReplicated: number;
  missing: number;
  corrupt: number;
}

/** An over-replicated chunk and the replicas to drop. */
export interface Trim {
  id: string;
  drop: string[];
}

/** What a pass found. */
export interface ScanResult {
  counts: ChunkCounts;
  candidates: RepairCandidate[];
  trims: Trim[];
  /** Unreferenced chunks past their grace, and orphans no row names: to condemn. */
  doom: DoomCandidate[];
  /** Condemned chunks whose copies are still listed: their holders get deletes. */
  deletes: { id: string; nodes: string[] }[];
  /** Condemned chunks with no copy left and no delete unconfirmed: to forget. */
  purge: string[];
  /** When the next unreferenced chunk still kept becomes collectable. */
  nextGcDue: number;
}

// A pinned unreferenced chunk is looked at again this soon: its upload may end any time.
const PINNED_RECHECK = 3_000;
// Rows read per page.
const PAGE = 2000;

let passes = 0;

/** Reads every chunk row once, page by page. */
export async function scanChunks(ctx: ScanContext, now: number): Promise<ScanResult> {
  const { config, registry, replicas } = ctx;
  const pass = ++passes;
  const result: ScanResult = {
    counts: { chunks: 0, storedBytes: 0, underReplicated: 0, missing: 0, corrupt: 0 },
    candidates: [],
    trims: [],
    doom: [],
    deletes: [],
    purge: [],
    nextGcDue: Number.POSITIVE_INFINITY,
  };
  const { counts } = result;
  const unlisted = new Map<string, number>();
  let after: string | undefined;
  for (;;) {
    const page = await ctx.store.chunkPage(after, PAGE);
    if (page.length === 0) break;
    after = page.at(-1)?.id;
    for (const { id, record } of page) {
      replicas.sawRow(id, pass);
      const holders = replicas.holders(id);
      if (record.doomed) {
        if (holders.length > 0) result.deletes.push({ id, nodes: holders });
        else if (!ctx.deletions.isPending(id)) result.purge.push(id);
        continue;
      }
      const live = holders.filter((n) => registry.isAlive(n));
      if (record.refs === 0) {
        ctx.corrupt.delete(id);
        const due = record.zeroSince + config.gcGrace;
        if (record.pins > 0) result.nextGcDue = Math.min(result.nextGcDue, now + PINNED_RECHECK);
        else if (due <= now) result.doom.push({ id, size: record.size, absent: false });
        else result.nextGcDue = Math.min(result.nextGcDue, due);
        continue;
      }
      counts.chunks++;
      counts.storedBytes += record.size * live.length;
      if (live.length === 0) {
        // Written moments ago through another master, or this master has just started: not lost
        // until the nodes have had their time to report it.
        if (!replicas.unreported(id, config.heartbeatTimeout, now, unlisted)) counts.missing++;
      } else if (live.length < config.replication) {
        counts.underReplicated++;
        result.candidates.push({ id, size: record.size, live: live.length });
      } else if (live.length > config.replication && !ctx.repairs.has(id) && allRegistered(registry, live)) {
        result.trims.push({ id, drop: pickTrim(registry, live, live.length - config.replication) });
      }
      if (live.length >= config.replication) ctx.corrupt.delete(id);
    }
  }
  replicas.setUnlisted(unlisted);
  // Copies of chunks no row names (uploads that never committed and whose lease is gone).
  for (const { id } of replicas.orphans(pass, config.gcGrace, now))
    result.doom.push({ id, size: 0, absent: true });
  counts.corrupt = ctx.corrupt.size;
  return result;
}

// Trimming waits until every holder re-registered after a master restart: an unconfirmed
// replica must not be the one kept.
function allRegistered(registry: NodeRegistry, nodeIds: string[]): boolean {
  return nodeIds.every((n) => registry.get(n)?.registered === true);
}

// The replicas to drop from an over-replicated chunk: those on the fullest nodes.
function pickTrim(registry: NodeRegistry, live: string[], n: number): string[] {
  return [...live].sort((a, b) => (registry.get(a)?.free ?? 0) - (registry.get(b)?.free ?? 0)).slice(0, n);
}
