// Receipts: a node's signed word that it durably stored a chunk. Checked before a commit, a
// multipart part or a repair report lists the node as a holder.

import { verifyReceipt } from '../protocol/auth.js';
import { DfsError } from '../protocol/errors.js';
import type { Receipt } from '../protocol/types.js';
import type { NodeRegistry } from './registry.js';
import type { ReplicaMap } from './replicas.js';

/** What recording receipts needs: the secret they are signed with, the known nodes, the replica map. */
export interface ReceiptContext {
  secret: string;
  registry: Pick<NodeRegistry, 'get'>;
  replicas: Pick<ReplicaMap, 'add'>;
}

/**
 * Verifies `receipts` and lists each proven holder in the replica map, so the chunk reads at
 * once; returns them as chunk id → ids of nodes that durably stored it. A node this master has
 * not heard from yet (the master has just started, or the node has, on a fresh disk) is no
 * holder until it reports: its chunk is listed with the holders known, maybe none, which the
 * caller counts (a commit then makes the copies it lacks, or answers 503 to be tried again).
 */
export function recordReceipts(
  { secret, registry, replicas }: ReceiptContext,
  receipts: Receipt[],
): Map<string, Set<string>> {
  const written = new Map<string, Set<string>>();
  for (const r of receipts) {
    if (!verifyReceipt(secret, r.nodeId, r.chunkId, r.signature))
      throw new DfsError('forbidden', 'receipt signature is invalid');
    const nodes = written.get(r.chunkId) ?? new Set<string>();
    if (registry.get(r.nodeId) !== undefined) nodes.add(r.nodeId);
    written.set(r.chunkId, nodes);
  }
  for (const [id, nodes] of written) for (const n of nodes) replicas.add(id, n);
  return written;
}
