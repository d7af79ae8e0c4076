// One pass over the chunk table: health counts, the chunks to repair, the excess replicas to
// trim and the garbage to collect; and applying the trims and collections.

import type { MasterConfig } from '../config.js';
import type { MetaStore } from './meta.js';
import type { NodeRegistry } from './registry.js';
import type { RepairCandidate, Repairs } from './repairs.js';
import type { UploadTracker } from './uploads.js';

/** What a pass reads (and the corrupt set it prunes). */
export interface ScanContext {
  config: Readonly<MasterConfig>;
  meta: MetaStore;
  registry: NodeRegistry;
  uploads: UploadTracker;
  repairs: Repairs;
  /** Chunks with a replica found corrupt and not yet repaired. */
  corrupt: Set<string>;
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
  garbage: string[];
  /** When the next unreferenced chunk still kept becomes collectable. */
  nextGcDue: number;
}

// A pinned unreferenced chunk is looked at again this soon: its upload may end any time.
const PINNED_RECHECK = 3_000;

/** Reads every chunk record once. */
export function scanChunks(ctx: ScanContext, now: number): ScanResult {
  const { config, registry } = ctx;
  const result: ScanResult = {
    counts: { chunks: 0, storedBytes: 0, underReplicated: 0, missing: 0, corrupt: 0 },
    candidates: [],
    trims: [],
    garbage: [],
    nextGcDue: Number.POSITIVE_INFINITY,
  };
  const { counts } = result;
  for (const { id, record } of ctx.meta.allChunks()) {
    const live = record.replicas.filter((n) => registry.isAlive(n));
    if (record.refs === 0) {
      ctx.corrupt.delete(id);
      const due = record.zeroSince + config.gcGrace;
      if (due <= now && !ctx.uploads.pinned(id)) result.garbage.push(id);
      else result.nextGcDue = Math.min(result.nextGcDue, Math.max(due, now + PINNED_RECHECK));
      continue;
    }
    counts.chunks++;
    counts.storedBytes += record.size * live.length;
    if (live.length === 0) counts.missing++;
    else if (live.length < config.replication) {
      counts.underReplicated++;
      result.candidates.push({ id, live: live.length });
    } else if (live.length > config.replication && !ctx.repairs.has(id) && allRegistered(registry, live)) {
      result.trims.push({ id, drop: pickTrim(registry, live, live.length - config.replication) });
    }
    if (live.length >= config.replication) ctx.corrupt.delete(id);
  }
  for (const id of ctx.corrupt) if (!ctx.meta.chunks.get(id)) ctx.corrupt.delete(id);
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

/** Drops trimmed replicas and collected chunks from the table, then queues the node deletes. */
export async function trimAndCollect(
  ctx: ScanContext,
  trims: Trim[],
  garbage: string[],
  now: number,
): Promise<{ trimmed: number; collected: number }> {
  const { meta, uploads, config } = ctx;
  const deletes: { node: string; id: string }[] = [];
  let collected = 0;
  let trimmed = 0;
  await meta.write(() => {
    for (const t of trims) {
      const record = meta.chunks.get(t.id);
      if (!record) continue;
      // Re-checked inside the transaction: a replica may have been lost or found corrupt since
      // the scan, and a trim must never take the chunk below its factor.
      let live = record.replicas.filter((n) => ctx.registry.isAlive(n)).length;
      const drop = t.drop.filter(
        (n) => record.replicas.includes(n) && ctx.registry.isAlive(n) && live-- > config.replication,
      );
      if (drop.length === 0) continue;
      meta.chunks.put(t.id, { ...record, replicas: record.replicas.filter((n) => !drop.includes(n)) });
      for (const node of drop) deletes.push({ node, id: t.id });
      trimmed++;
    }
    for (const id of garbage) {
      // Re-checked inside the transaction: a commit or an upload may have claimed it since.
      const record = meta.chunks.get(id);
      if (!record || record.refs > 0 || uploads.pinned(id) || now - record.zeroSince < config.gcGrace)
        continue;
      meta.chunks.remove(id);
      collected++;
      for (const node of record.replicas) deletes.push({ node, id });
    }
  });
  for (const d of deletes) ctx.registry.get(d.node)?.outbox.push({ op: 'delete', chunkId: d.id });
  return { trimmed, collected };
}
