// Cluster-level operations of the master: status, the node list, node removal and fsck.

import type { MasterConfig } from '../config.js';
import type { MetaStore } from '../meta/store.js';
import { DfsError } from '../protocol/errors.js';
import { normalisePath } from '../protocol/paths.js';
import type { ClusterStatus, FsckReport, NodeInfo } from '../protocol/types.js';
import type { EventLog } from './events.js';
import { fsck } from './fsck.js';
import type { Leader } from './leader.js';
import type { Maintenance } from './maintenance.js';
import type { NodeRemoval } from './node-removal.js';
import type { NodeRegistry } from './registry.js';
import type { ReplicaMap } from './replicas.js';
import type { TotalsReader } from './totals.js';

/** What the operations read. */
export interface OperationsDeps {
  config: Readonly<MasterConfig>;
  store: MetaStore;
  totals: TotalsReader;
  registry: NodeRegistry;
  replicas: ReplicaMap;
  removal: NodeRemoval;
  maintenance: Maintenance;
  leader: Leader;
  events: EventLog;
  corrupt: Set<string>;
}

/** Status, nodes and fsck. */
export class Operations {
  constructor(private readonly deps: OperationsDeps) {}

  /** A path from a JSON body, checked. */
  path(value: unknown): string {
    return normalisePath(value);
  }

  /** `GET /api/status`. */
  async status(): Promise<ClusterStatus> {
    const { registry, maintenance, leader, config, events } = this.deps;
    const alive = registry.alive().length;
    const { totals, answering } = await this.deps.totals.read();
    return {
      nodes: { alive, dead: registry.all().length - alive },
      role: leader.isLeader ? 'leader' : 'standby',
      // A standby names the leader's (it leads with none of its own).
      epoch: leader.isLeader ? leader.epoch : leader.leaseEpoch,
      safeMode: maintenance.safeMode,
      masters: this.masters(),
      files: totals?.files ?? 0,
      logicalBytes: totals?.logicalBytes ?? 0,
      metadataAnswering: answering,
      ...maintenance.health,
      replication: config.replication,
      events: events.recent(),
    };
  }

  // Heard from by the store's clock, as this master's own heartbeat was stamped.
  private masters(): ClusterStatus['masters'] {
    const { leader, config } = this.deps;
    const now = leader.masters.find((m) => m.id === leader.id)?.lastSeen ?? Date.now();
    return leader.masters.map((m) => ({
      id: m.id,
      url: m.url,
      leader: m.id === leader.current,
      silent: now - m.lastSeen > config.leaseTimeout,
    }));
  }

  /** `GET /api/nodes`. */
  nodes(): NodeInfo[] {
    return this.deps.registry.info();
  }

  /** `GET /api/fsck`. */
  fsck(prefix: unknown): Promise<FsckReport> {
    const { store, replicas, registry, config, corrupt } = this.deps;
    return fsck(
      { store, replicas, registry, replication: config.replication, grace: config.heartbeatTimeout, corrupt },
      prefix,
    );
  }

  /** `DELETE /api/nodes/{id or url}`: forgets a dead node for good (a disk swapped, a machine retired). */
  async removeNode(idOrUrl: string): Promise<NodeInfo> {
    const { registry, removal } = this.deps;
    // By URL, the dead node there (a disk swapped: a new node may answer at the same URL).
    const url = idOrUrl.replace(/\/+$/, '');
    const atUrl = registry.all().filter((n) => n.url === url);
    const node = registry.get(idOrUrl) ?? atUrl.find((n) => !n.alive) ?? atUrl[0];
    if (!node) throw new DfsError('not_found', `no such node: ${idOrUrl}`);
    if (node.alive) throw new DfsError('conflict', `node ${node.url} is alive: stop it before removing it`);
    const only = await removal.onlyCopies(node.id);
    if (only > 0)
      throw new DfsError(
        'conflict',
        `node ${node.url} holds the only copy of ${only} chunk(s): bring it back, or wait until they are repaired`,
      );
    const info = registry.info().find((n) => n.id === node.id) as NodeInfo;
    await removal.forget(node, `node ${node.url} (${node.id.slice(0, 8)}) removed from the cluster`);
    return info;
  }
}
