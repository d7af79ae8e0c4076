// A storage node daemon: its chunk store, its routes, and a link to every master that
// registers, heartbeats and carries out the work the leader hands back.

import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { NodeConfig } from '../config.js';
import type { Logger } from '../http/errors.js';
import { withFields } from '../http/log.js';
import { Monitoring } from '../http/monitoring.js';
import { sampleEvery } from '../http/series.js';
import { type Listening, serve } from '../http/serve.js';
import { ChunkStore } from '../storage/chunk-store.js';
import { replaceFile } from '../storage/disk-io.js';
import { lockFolder } from '../storage/folder-lock.js';
import { createNodeApp } from './app.js';
import { fastRoutes } from './fast-routes.js';
import { MasterLink } from './master-link.js';
import { registerNodeMetrics } from './metrics.js';
import { Scrubber } from './scrubber.js';
import { NodeSeries } from './series.js';
import { NodeState } from './state.js';
import { Worker } from './worker.js';

// How often mostly dead pack files are compacted.
const COMPACT_EVERY = 60_000;

/** A running storage node. */
export interface RunningNode {
  /** The URL others reach the node at (its advertised one). */
  url: string;
  /** The URL it listens on (the same unless it advertises another). */
  localUrl: string;
  id: string;
  state: NodeState;
  store: ChunkStore;
  close(): Promise<void>;
}

/** Reads this node's id from its data folder, creating one on first start. */
async function nodeId(data: string): Promise<string> {
  const file = path.join(data, 'node-id');
  try {
    const id = (await fs.readFile(file, 'utf8')).trim();
    if (/^[\w-]{1,64}$/.test(id)) return id;
  } catch {
    // first start
  }
  const id = randomUUID();
  await replaceFile(file, `${id}\n`);
  return id;
}

/** Starts a node: locks its folder, opens the store, listens, and begins registering with every master. */
export async function startNode(
  config: Readonly<NodeConfig>,
  daemonLog: Logger = console.error,
): Promise<RunningNode> {
  const lock = await lockFolder(config.data, 'node');
  let listening: Listening | undefined;
  let stopSampling = () => {};
  try {
    const store = await ChunkStore.open(config.data, { packLimit: config.packLimit });
    const state = new NodeState(await nodeId(config.data), store);
    const log = withFields(daemonLog, { node: state.id });
    const monitoring = new Monitoring(config, log);
    registerNodeMetrics(monitoring.registry, store);
    const series = new NodeSeries(store, monitoring.http, config.seriesStep);
    stopSampling = sampleEvery(config.seriesStep, (now) => series.sample(now));
    const app = createNodeApp({ config, store, state, log, monitoring, series });
    const listener = fastRoutes({ config, store, state, log, monitoring }, app.callback());
    listening = await serve(listener, config.host, config.port, { headersTimeout: config.headersTimeout });
    state.url = config.advertise || listening.url;
    const links: MasterLink[] = [];
    const worker = new Worker(
      state,
      config.data,
      {
        lost: (ids, why) => {
          for (const link of links) link.reportLost(ids, why);
        },
        kept: (id) => {
          for (const link of links) link.keptCopy(id);
        },
      },
      log,
    );
    await worker.load();
    links.push(...config.masters.map((m) => new MasterLink(m, config, state, worker, log)));
    state.links = links;
    store.onChange = (id, kind) => {
      for (const link of links) link.changed(id, kind);
    };
    store.onLost = (id) => {
      log(`node ${state.id}: chunk ${id} vanished from the disk`, { level: 'warn', chunk: id });
      for (const link of links) link.reportLost([id], 'missing');
    };
    const scrubber = new Scrubber(store, state, config, log, async (ids) => {
      for (const link of links) link.reportLost(ids, 'corrupt');
    });
    for (const link of links) link.start();
    scrubber.start();
    // Space held by deleted small chunks is won back now and then.
    const compaction = setInterval(() => {
      store
        .compact()
        .catch((err) => log(`node ${state.id}: pack compaction failed: ${(err as Error).message}`));
    }, COMPACT_EVERY);
    compaction.unref();
    const served = listening;
    let closing: Promise<void> | undefined;
    return {
      url: state.url,
      localUrl: served.url,
      id: state.id,
      state,
      store,
      close() {
        closing ??= (async () => {
          for (const link of links) link.stop();
          worker.stop();
          scrubber.stop();
          clearInterval(compaction);
          stopSampling();
          await served.close();
          await store.close();
          await lock.release();
        })();
        return closing;
      },
    };
  } catch (err) {
    stopSampling();
    await listening?.close();
    await lock.release();
    throw err;
  }
}
