// Reconciling a node's inventory (the chunk files on its disk) and its incremental reports with
// the replica map, without losing a replica written while the inventory was in flight.
//
// A node reads its inventory at some moment S and the master applies it later, at R. A commit or
// a repair between S and R may list the node for a chunk the inventory cannot contain yet, so an
// inventory may only take a replica away when the master knows it was read after the replica was
// listed. The master therefore asks for inventories: at the moment Q it asks, it notes which
// chunks name the node; the node reads its disk after Q and echoes Q. Only chunks noted at Q and
// absent from the answer are dropped. A registration nobody asked for (a node starting) only
// adds replicas, and the master asks for a full inventory right after it.

import { DfsError } from '../protocol/errors.js';
import { innerMap } from './maps.js';
import type { ReplicaMap } from './replicas.js';

// A request not answered within this time is asked again.
const ANSWER_TIMEOUT = 60_000;

/** What one inventory changed in the replica map. */
export interface InventoryResult {
  /** Replicas the map did not list. */
  added: number;
  /** Listed replicas the node no longer holds. */
  dropped: number;
}

/** Per-node inventory requests and the chunks taken from each node since. */
export class Inventories {
  private readonly pending = new Map<string, { asked: number; listed: Set<string> }>();
  private readonly last = new Map<string, number>();
  /** node → chunk → when the master took that copy away (delete handed out, copy found corrupt). */
  private readonly taken = new Map<string, Map<string, number>>();
  /** node → the pages of an inventory sent in pages, so far, and the page expected next. */
  private readonly paged = new Map<string, { next: number; chunks: string[][] }>();

  constructor(
    private readonly replicas: ReplicaMap,
    /** How often each node re-reports its whole inventory, ms. */
    private readonly every: number,
  ) {}

  /** Asks for `nodeId`'s inventory when one is due; returns the stamp to send, or undefined. */
  request(nodeId: string, now = Date.now()): number | undefined {
    const pending = this.pending.get(nodeId);
    if (pending && now - pending.asked < ANSWER_TIMEOUT) return undefined;
    if (!pending && now - (this.last.get(nodeId) ?? 0) < this.every) return undefined;
    const listed = new Set(this.replicas.chunksOf(nodeId));
    // Stamps are unique per node even within one millisecond.
    const asked = Math.max(now, (pending?.asked ?? 0) + 1);
    this.pending.set(nodeId, { asked, listed });
    return asked;
  }

  /** Makes the next heartbeat of `nodeId` ask for its inventory (it started, or came back). */
  askSoon(nodeId: string): void {
    this.last.delete(nodeId);
    this.pending.delete(nodeId);
  }

  /** Records that the master took chunk `chunkId` away from `nodeId` at `now`. */
  took(nodeId: string, chunkId: string, now = Date.now()): void {
    innerMap(this.taken, nodeId).set(chunkId, now);
  }

  /**
   * Applies `chunks`, the inventory of `nodeId`, to the replica map. `stamp` is the echoed
   * request, if any; `deleting` tells the chunks with a delete for this node still queued.
   */
  apply(
    nodeId: string,
    chunks: string[],
    stamp: number | undefined,
    deleting: (id: string) => boolean,
    now = Date.now(),
  ): InventoryResult {
    const result: InventoryResult = { added: 0, dropped: 0 };
    const pending = this.pending.get(nodeId);
    const asked = stamp !== undefined && pending?.asked === stamp ? pending : undefined;
    const held = new Set(chunks);
    for (const id of held)
      if (this.mayAdd(nodeId, id, deleting, asked?.asked) && this.replicas.add(id, nodeId, now))
        result.added++;
    if (asked) {
      for (const id of asked.listed) {
        if (!held.has(id) && this.replicas.remove(id, nodeId)) result.dropped++;
      }
      this.pending.delete(nodeId);
      this.last.set(nodeId, now);
      // Copies taken before the request are absent from this inventory: no longer needed.
      const taken = this.taken.get(nodeId);
      for (const [id, when] of taken ?? []) if (when < asked.asked) taken?.delete(id);
    } else {
      this.askSoon(nodeId);
    }
    return result;
  }

  /**
   * Applies a heartbeat's incremental report: copies stored and removed since the last one, and
   * copies the node kept although told to delete them (rewritten since: a newer copy).
   */
  applyDelta(
    nodeId: string,
    delta: { added: string[]; removed: string[]; kept: string[] },
    deleting: (id: string) => boolean,
    now = Date.now(),
  ): void {
    const taken = this.taken.get(nodeId);
    for (const id of delta.removed) {
      this.replicas.remove(id, nodeId);
      taken?.delete(id);
    }
    for (const id of delta.kept) {
      taken?.delete(id);
      this.replicas.add(id, nodeId, now);
    }
    for (const id of delta.added)
      if (this.mayAdd(nodeId, id, deleting, undefined)) this.replicas.add(id, nodeId, now);
  }

  // A copy taken away after the report was read is still in it: it must not come back.
  private mayAdd(
    nodeId: string,
    id: string,
    deleting: (id: string) => boolean,
    askedAt: number | undefined,
  ): boolean {
    if (deleting(id)) return false;
    const when = this.taken.get(nodeId)?.get(id);
    return when === undefined || (askedAt !== undefined && when < askedAt);
  }

  /**
   * Takes page `page` (from 0, in order) of an inventory too large for one request; with the last
   * (`more` false) returns the whole inventory, to apply. A page out of order (a master restarted
   * between two pages) is a conflict: the node starts again from page 0.
   */
  page(nodeId: string, page: number, chunks: string[], more: boolean): string[] | undefined {
    const sofar = page === 0 ? { next: 0, chunks: [] } : this.paged.get(nodeId);
    if (sofar?.next !== page) {
      this.paged.delete(nodeId);
      throw new DfsError('conflict', `inventory page ${page} came out of order: send the inventory again`);
    }
    sofar.chunks.push(chunks);
    sofar.next++;
    if (more) {
      this.paged.set(nodeId, sofar);
      return undefined;
    }
    this.paged.delete(nodeId);
    return sofar.chunks.flat();
  }

  /** Forgets a node's open request and any inventory pages it was sending (it died; it asks again when it returns). */
  forget(nodeId: string): void {
    this.pending.delete(nodeId);
    this.paged.delete(nodeId);
  }
}
