// Where each chunk's copies are: soft state each master rebuilds from node inventories,
// incremental reports, commit receipts and repair reports (as the HDFS NameNode rebuilds its
// block map from block reports). Nothing here is persisted.

/** Chunk → nodes holding a copy, and node → chunks. */
export class ReplicaMap {
  private readonly byChunk = new Map<string, Set<string>>();
  private readonly byNode = new Map<string, Set<string>>();
  /** When this master first learned of a copy of each chunk (orphans wait out the grace from then). */
  private readonly firstSeen = new Map<string, number>();
  /** The last chunk-table pass that saw a row for each chunk (orphans are absent from the table). */
  private readonly pass = new Map<string, number>();
  /** When a table pass first found each committed chunk with no copy listed here at all. */
  private unlisted = new Map<string, number>();

  /** Records that `nodeId` holds chunk `id`. */
  add(id: string, nodeId: string, now = Date.now()): boolean {
    let nodes = this.byChunk.get(id);
    if (!nodes) {
      nodes = new Set();
      this.byChunk.set(id, nodes);
      if (!this.firstSeen.has(id)) this.firstSeen.set(id, now);
    }
    if (nodes.has(nodeId)) return false;
    nodes.add(nodeId);
    this.unlisted.delete(id);
    let chunks = this.byNode.get(nodeId);
    if (!chunks) {
      chunks = new Set();
      this.byNode.set(nodeId, chunks);
    }
    chunks.add(id);
    return true;
  }

  /** Records that `nodeId` no longer holds chunk `id`; true if it was listed. */
  remove(id: string, nodeId: string): boolean {
    const nodes = this.byChunk.get(id);
    if (!nodes?.delete(nodeId)) return false;
    if (nodes.size === 0) {
      this.byChunk.delete(id);
      this.firstSeen.delete(id);
      this.pass.delete(id);
      // Its last copy known here is gone (rotten, lost, its node removed): not a chunk unreported.
      this.unlisted.set(id, Number.NEGATIVE_INFINITY);
    }
    this.byNode.get(nodeId)?.delete(id);
    return true;
  }

  /** Nodes listed for chunk `id`. */
  holders(id: string): string[] {
    return [...(this.byChunk.get(id) ?? [])];
  }

  /** True when `nodeId` is listed for chunk `id`. */
  holds(id: string, nodeId: string): boolean {
    return this.byChunk.get(id)?.has(nodeId) === true;
  }

  /** Chunks listed on `nodeId`. */
  chunksOf(nodeId: string): ReadonlySet<string> {
    return this.byNode.get(nodeId) ?? new Set();
  }

  /** How many chunks have a listed copy. */
  get size(): number {
    return this.byChunk.size;
  }

  /**
   * Whether committed chunk `id`, with no copy listed here, is not yet reported rather than lost:
   * no node has told this master of it, and it has been so for less than `grace` (nodes report
   * new chunks within a heartbeat, to every master; after a master's start, their whole
   * inventories), and no copy listed here has gone. A table pass records when it first found each
   * such chunk (`since`: the pass's own map, which replaces the last one when the pass completes).
   */
  unreported(id: string, grace: number, now: number, since?: Map<string, number>): boolean {
    if (this.byChunk.has(id)) return false;
    const first = this.unlisted.get(id) ?? now;
    since?.set(id, first);
    return now - first < grace;
  }

  /** A complete table pass's chunks with no copy listed, and since when (see unreported). */
  setUnlisted(since: Map<string, number>): void {
    this.unlisted = since;
  }

  /** Notes that the chunk table had a row for `id` in table pass `n`. */
  sawRow(id: string, n: number): void {
    if (this.byChunk.has(id)) this.pass.set(id, n);
  }

  /**
   * Chunks with copies that table pass `n` (a complete one) did not find, and that this master
   * has known for at least `grace`: orphans of uploads that never committed.
   */
  orphans(n: number, grace: number, now: number): { id: string }[] {
    const out: { id: string }[] = [];
    for (const [id, seen] of this.firstSeen) {
      if ((this.pass.get(id) ?? -1) < n && now - seen >= grace) out.push({ id });
    }
    return out;
  }

  /** Forgets every copy on `nodeId` (the node was removed from the cluster). */
  dropNode(nodeId: string): void {
    for (const id of [...this.chunksOf(nodeId)]) this.remove(id, nodeId);
    this.byNode.delete(nodeId);
  }
}
