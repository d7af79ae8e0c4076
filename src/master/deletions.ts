// Chunk copies to delete from nodes: queued by collection and trimming, handed out in heartbeat
// answers only after a last check, and tracked until the node confirms the copy is gone (a
// condemned chunk is forgotten only then, so nothing can de-duplicate against a dying copy).

import { innerMap } from './maps.js';

/** Why a copy is deleted: its chunk was condemned, or it is one copy too many. */
export type DeleteReason = 'collect' | 'trim';

/** Deletes waiting for each node, and those handed out and not yet confirmed. */
export class Deletions {
  private readonly queued = new Map<string, Map<string, DeleteReason>>();
  /** node → chunk → when its delete was handed out. */
  private readonly unconfirmed = new Map<string, Map<string, number>>();

  /** Queues the delete of `nodeId`'s copy of chunk `id`. */
  queue(nodeId: string, id: string, reason: DeleteReason): void {
    const map = innerMap(this.queued, nodeId);
    if (!map.has(id) && !this.unconfirmed.get(nodeId)?.has(id)) map.set(id, reason);
  }

  /** True when a delete of `nodeId`'s copy of `id` waits to be handed out. */
  isQueued(nodeId: string, id: string): boolean {
    return this.queued.get(nodeId)?.has(id) === true;
  }

  /** Takes the deletes queued for `nodeId` (the caller hands out those still valid). */
  take(nodeId: string): { id: string; reason: DeleteReason }[] {
    const map = this.queued.get(nodeId);
    if (!map) return [];
    this.queued.delete(nodeId);
    return [...map].map(([id, reason]) => ({ id, reason }));
  }

  /** Records that a delete was handed out to `nodeId` at `now`. */
  handedOut(nodeId: string, id: string, now = Date.now()): void {
    innerMap(this.unconfirmed, nodeId).set(id, now);
  }

  /**
   * Settles the deletes handed out to `nodeId` against its inventory read after `readAfter`: a
   * copy gone is confirmed; one still there although its delete was handed out before was
   * never deleted (the node restarted, or lost the answer that carried it), and is forgotten so
   * the next scan queues the delete again (the inventory listed the copy again, see
   * Inventories.apply).
   */
  settle(nodeId: string, held: ReadonlySet<string>, readAfter: number): void {
    const map = this.unconfirmed.get(nodeId);
    for (const [id, when] of map ?? []) if (!held.has(id) || when < readAfter) map?.delete(id);
  }

  /** The node says its copy of `id` is gone (or that it kept a newer one); true if a delete was awaited. */
  confirm(nodeId: string, id: string): boolean {
    return this.unconfirmed.get(nodeId)?.delete(id) === true;
  }

  /** True while a delete of some node's copy of `id` was handed out and not yet confirmed. */
  isPending(id: string): boolean {
    for (const ids of this.unconfirmed.values()) if (ids.has(id)) return true;
    return false;
  }

  /** True while a delete of `nodeId`'s copy of `id` was handed out and not yet confirmed. */
  isUnconfirmed(nodeId: string, id: string): boolean {
    return this.unconfirmed.get(nodeId)?.has(id) === true;
  }

  /** Forgets a node's deletes (it left the cluster for good). */
  forgetNode(nodeId: string): void {
    this.queued.delete(nodeId);
    this.unconfirmed.delete(nodeId);
  }
}
