// Forgetting a node for good: by hand (`dfs nodes remove`), or on its own when a node with a
// new id (a swapped disk) took over its URL — never while it holds the only copy of anything.

import type { MetaStore } from '../meta/store.js';
import type { Deletions } from './deletions.js';
import type { EventLog } from './events.js';
import type { Inventories } from './inventory.js';
import type { NodeRegistry, TrackedNode } from './registry.js';
import type { Repairs } from './repairs.js';
import type { ReplicaMap } from './replicas.js';

/** What removal touches. */
export interface NodeRemovalDeps {
  store: MetaStore;
  registry: NodeRegistry;
  replicas: ReplicaMap;
  inventories: Inventories;
  repairs: Repairs;
  deletions: Deletions;
  events: EventLog;
}

/** Node removal. */
export class NodeRemoval {
  constructor(private readonly deps: NodeRemovalDeps) {}

  /**
   * Chunks a file (or an upload) still needs whose only live copy is on `nodeId`. Garbage does
   * not count: a condemned or unreferenced chunk's other copies may be deleted already, and the
   * dead node would never come back to delete its own.
   */
  async onlyCopies(nodeId: string): Promise<number> {
    const { replicas, registry, store } = this.deps;
    const sole = [...replicas.chunksOf(nodeId)].filter(
      (id) => !replicas.holders(id).some((other) => other !== nodeId && registry.isAlive(other)),
    );
    let needed = 0;
    for (let at = 0; at < sole.length; at += 1000) {
      const records = await store.getChunks(sole.slice(at, at + 1000));
      for (const r of records.values()) if (!r.doomed && (r.refs > 0 || r.pins > 0)) needed++;
    }
    return needed;
  }

  /** Forgets `node` everywhere; `why` goes to the event log. */
  async forget(node: TrackedNode, why: string): Promise<void> {
    const { registry, replicas, deletions, inventories, repairs, events } = this.deps;
    await registry.remove(node.id);
    replicas.dropNode(node.id);
    deletions.forgetNode(node.id);
    inventories.forget(node.id);
    repairs.forgetNode(node.id);
    events.add('node-removed', why);
  }

  /**
   * Dead nodes another master removed (by hand, or retired as replaced) are gone from the store:
   * they are forgotten here too, or this master would report them dead for as long as it runs.
   */
  async adoptRemovals(): Promise<void> {
    const { registry, store } = this.deps;
    const dead = registry.all().filter((n) => !n.alive);
    if (dead.length === 0) return;
    const stored = new Set((await store.listNodes()).map((n) => n.id));
    for (const node of dead) {
      // Still dead now (a node that came back meanwhile registered itself in the store again).
      if (stored.has(node.id) || registry.isAlive(node.id) || registry.get(node.id) !== node) continue;
      await this.forget(node, `node ${node.url} (${node.id.slice(0, 8)}) was removed by another master`);
    }
  }

  /** A dead node whose URL a live node took over leaves once nothing depends on it. */
  async retireReplaced(): Promise<void> {
    const { registry } = this.deps;
    const live = new Set(
      registry
        .alive()
        .filter((n) => n.registered)
        .map((n) => n.url),
    );
    for (const node of registry.all()) {
      if (node.alive || !live.has(node.url) || (await this.onlyCopies(node.id)) > 0) continue;
      await this.forget(node, `node ${node.id.slice(0, 8)} at ${node.url} was replaced by a new node there`);
    }
  }
}
