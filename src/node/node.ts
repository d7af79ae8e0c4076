// A storage node daemon: its chunk store, its routes, and the loop that registers with the
// master, heartbeats, and carries out the work the master hands back.

import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { NodeConfig } from '../config.js';
import type { Logger } from '../http/errors.js';
import { type Listening, serve } from '../http/serve.js';
import { ChunkStore } from '../storage/chunk-store.js';
import { createNodeApp } from './app.js';
import { MasterLink } from './master-link.js';
import { Scrubber } from './scrubber.js';
import { NodeState } from './state.js';

/** A running storage node. */
export interface RunningNode {
  url: string;
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
  await fs.writeFile(`${file}.tmp`, `${id}\n`);
  await fs.rename(`${file}.tmp`, file);
  return id;
}

/** Starts a node: opens the store, listens, and begins registering with the master. */
export async function startNode(
  config: Readonly<NodeConfig>,
  log: Logger = console.error,
): Promise<RunningNode> {
  await fs.mkdir(config.data, { recursive: true });
  const store = await ChunkStore.open(config.data);
  const state = new NodeState(await nodeId(config.data), config.master, store);
  const app = createNodeApp({ config, store, state, log });
  const listening: Listening = await serve(app, config.host, config.port, {
    headersTimeout: config.headersTimeout,
  });
  state.url = config.advertise || listening.url;
  const agent = new MasterLink(config, state, log);
  const scrubber = new Scrubber(store, state, config, log, (ids) => agent.reportLost(ids, 'corrupt'));
  store.onLost = (id) => {
    log(`node ${state.id}: chunk ${id} vanished from the disk`);
    void agent.reportLost([id], 'missing').catch(() => {});
  };
  agent.start();
  scrubber.start();
  let closing: Promise<void> | undefined;
  return {
    url: state.url,
    id: state.id,
    state,
    store,
    close() {
      closing ??= (async () => {
        agent.stop();
        scrubber.stop();
        await listening.close();
      })();
      return closing;
    },
  };
}
