// The master's shared parts: what maintenance and the node protocol both work with.

import type { MasterConfig } from '../config.js';
import type { MetaStore } from '../meta/store.js';
import type { Receipt } from '../protocol/types.js';
import type { Attention } from './attention.js';
import type { Deletions } from './deletions.js';
import type { EventLog } from './events.js';
import type { Inventories } from './inventory.js';
import type { Leader } from './leader.js';
import type { MasterMetrics } from './metrics.js';
import type { NodeRegistry } from './registry.js';
import type { Repairs } from './repairs.js';
import type { ReplicaMap } from './replicas.js';

/** The soft state rebuilt from the nodes, the store, and the master's bookkeeping. */
export interface MasterCore {
  config: Readonly<MasterConfig>;
  store: MetaStore;
  replicas: ReplicaMap;
  registry: NodeRegistry;
  inventories: Inventories;
  repairs: Repairs;
  deletions: Deletions;
  leader: Leader;
  events: EventLog;
  /** Chunks with a replica found corrupt and not yet repaired. */
  corrupt: Set<string>;
  attention: Attention;
  metrics: MasterMetrics;
  /** Verifies receipts and lists their holders in the replica map (see receipts.ts). */
  recordReceipts(receipts: Receipt[]): Map<string, Set<string>>;
  log(message: string): void;
}
