// The master daemon: the metadata store, the soft state rebuilt from the nodes (registry,
// replica map), the namespace, leadership and maintenance, served over HTTP. Everything is
// built in dependency order: no part is wired in after it is made.

import type { MasterConfig } from '../config.js';
import type { Logger } from '../http/errors.js';
import { Monitoring } from '../http/monitoring.js';
import { sampleEvery } from '../http/series.js';
import { serve } from '../http/serve.js';
import { openMetaStore, waitForStore } from '../meta/open.js';
import type { MetaStore } from '../meta/store.js';
import type { Receipt } from '../protocol/types.js';
import { type ProbeResult, probeChunk } from '../sdk/chunk-io.js';
import { createMasterApp } from './app.js';
import { Attention } from './attention.js';
import { Deletions } from './deletions.js';
import { EventLog } from './events.js';
import { Gateways } from './gateways.js';
import { Inventories } from './inventory.js';
import { Leader } from './leader.js';
import { inventoryEvery, Maintenance } from './maintenance.js';
import { MasterMetrics } from './metrics.js';
import { Namespace } from './namespace.js';
import { NodeProtocol } from './node-protocol.js';
import { NodeRemoval } from './node-removal.js';
import { Operations } from './operations.js';
import { recordReceipts } from './receipts.js';
import { NodeRegistry } from './registry.js';
import { Repairs } from './repairs.js';
import { ReplicaMap } from './replicas.js';
import { MasterSeries } from './series.js';
import { TotalsReader } from './totals.js';

/** A running master. */
export interface RunningMaster {
  url: string;
  store: MetaStore;
  namespace: Namespace;
  registry: NodeRegistry;
  replicas: ReplicaMap;
  maintenance: Maintenance;
  nodeProtocol: NodeProtocol;
  leader: Leader;
  close(): Promise<void>;
}

// An idle S3 multipart upload is abandoned after this long.
const MULTIPART_TTL = 24 * 3600_000;

/** The parts of a master, wired, over an open store; nothing listens yet. */
export interface MasterParts {
  monitoring: Monitoring;
  metrics: MasterMetrics;
  store: MetaStore;
  events: EventLog;
  replicas: ReplicaMap;
  registry: NodeRegistry;
  leader: Leader;
  maintenance: Maintenance;
  nodeProtocol: NodeProtocol;
  namespace: Namespace;
  operations: Operations;
  gateways: Gateways;
}

/** Builds every part of a master over `store`, in dependency order (no part is wired in later). */
export async function buildMaster(
  config: Readonly<MasterConfig>,
  store: MetaStore,
  log: Logger,
  /** How to ask a node whether it holds a chunk (tests replace it). */
  probe: (url: string, id: string) => Promise<ProbeResult> = (url, id) => probeChunk(url, id, config.token),
): Promise<MasterParts> {
  const monitoring = new Monitoring(config, log);
  const metrics = new MasterMetrics(monitoring.registry);
  const events = new EventLog(log);
  const replicas = new ReplicaMap();
  const attention = new Attention();
  const registry = new NodeRegistry(
    store,
    events,
    config.heartbeatTimeout,
    () => attention.raise(),
    await store.listNodes(),
  );
  const inventories = new Inventories(replicas, inventoryEvery(config));
  const deletions = new Deletions();
  const repairs = new Repairs(config, replicas, registry, deletions);
  // A master that knows nodes but hears from none cannot repair: it leaves leading to another.
  const hearsNodes = () => registry.alive().length > 0 || registry.all().length === 0;
  const leader = new Leader(store, events, config.leaseTimeout, () => performance.now(), hearsNodes);
  const removal = new NodeRemoval({ store, registry, replicas, inventories, repairs, deletions, events });
  // Chunks with a copy found rotten and not yet replaced.
  const corrupt = new Set<string>();
  // Commits, multipart parts and repair reports all prove holders with receipts.
  const receipts = (list: Receipt[]) => recordReceipts({ secret: config.secret, registry, replicas }, list);
  const shared = {
    config,
    store,
    replicas,
    registry,
    inventories,
    repairs,
    deletions,
    leader,
    events,
    corrupt,
    attention,
    metrics,
    recordReceipts: receipts,
  };
  const maintenance = new Maintenance({ ...shared, removal, log });
  const nodeProtocol = new NodeProtocol({ ...shared, log });
  const namespace = new Namespace({
    config,
    store,
    replicas,
    registry,
    attention,
    metrics,
    recordReceipts: receipts,
    topUp: async (short) => {
      const result = await repairs.topUp(short);
      const copies = [...result.values()].reduce((n, nodes) => n + nodes.length, 0);
      if (copies > 0) log(`commit: ${copies} copy(ies) made of chunks that lost a replica after their ack`);
      return result;
    },
    probe,
    vanished: async (id, nodeIds) => {
      for (const nodeId of nodeIds) nodeProtocol.reportLost(nodeId, [id], true);
    },
  });
  const totals = new TotalsReader(store);
  const operations = new Operations({
    config,
    store,
    totals,
    registry,
    replicas,
    removal,
    maintenance,
    leader,
    events,
    corrupt,
  });
  const gateways = new Gateways(config, store, MULTIPART_TTL, receipts);
  metrics.watch({ totals, registry, maintenance, leader });
  return {
    monitoring,
    metrics,
    store,
    events,
    replicas,
    registry,
    leader,
    maintenance,
    nodeProtocol,
    namespace,
    operations,
    gateways,
  };
}

/** Opens the metadata store and starts the master on its port. */
export async function startMaster(
  config: Readonly<MasterConfig>,
  log: Logger = console.error,
): Promise<RunningMaster> {
  // PostgreSQL may still be starting (or restarting) as the masters start: waited for a minute.
  const opened = config.meta
    ? await waitForStore(
        () => openMetaStore(config),
        (m) => log(m, { level: 'warn' }),
      )
    : await openMetaStore(config);
  const { store } = opened;
  let stopSampling = () => {};
  try {
    const parts = await buildMaster(config, store, log);
    const { events, registry, replicas, leader, maintenance, nodeProtocol, namespace, operations, gateways } =
      parts;
    const { monitoring, metrics } = parts;
    const series = new MasterSeries(
      { registry, maintenance, metrics, http: monitoring.http },
      config.seriesStep,
    );
    stopSampling = sampleEvery(config.seriesStep, (now) => series.sample(now));
    const app = createMasterApp({
      config,
      namespace,
      nodeProtocol,
      gateways,
      operations,
      log,
      monitoring,
      series,
    });
    const listening = await serve(app, config.host, config.port, { headersTimeout: config.headersTimeout });
    leader.url = config.advertise || listening.url;
    await leader.claim();
    maintenance.start();
    events.add('master-started', `master started at ${leader.url} (metadata: ${store.kind})`);
    let closing: Promise<void> | undefined;
    return {
      url: listening.url,
      store,
      namespace,
      registry,
      replicas,
      maintenance,
      nodeProtocol,
      leader,
      close() {
        closing ??= (async () => {
          stopSampling();
          await maintenance.stop();
          await listening.close();
          await opened.close();
        })();
        return closing;
      },
    };
  } catch (err) {
    stopSampling();
    await opened.close();
    throw err;
  }
}
