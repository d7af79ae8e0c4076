// Receipts: a node's signed word that it durably stored a chunk. Checked before a commit or a
// repair report lists the node as a holder.

import { verifyReceipt } from '../protocol/auth.js';
import { DfsError } from '../protocol/errors.js';
import type { Receipt } from '../protocol/types.js';

/** Verified receipts, as chunk id → ids of nodes (known to `isNode`) that durably stored it. */
export function checkReceipts(
  secret: string,
  isNode: (id: string) => boolean,
  receipts: Receipt[],
): Map<string, Set<string>> {
  const written = new Map<string, Set<string>>();
  for (const r of receipts) {
    if (!isNode(r.nodeId)) throw new DfsError('bad_request', 'receipt names an unknown node');
    if (!verifyReceipt(secret, r.nodeId, r.chunkId, r.signature))
      throw new DfsError('forbidden', 'receipt signature is invalid');
    const nodes = written.get(r.chunkId) ?? new Set<string>();
    nodes.add(r.nodeId);
    written.set(r.chunkId, nodes);
  }
  return written;
}
