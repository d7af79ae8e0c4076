// The master daemon: metadata database, node registry, namespace and maintenance, served over HTTP.

import fs from 'node:fs/promises';
import type { MasterConfig } from '../config.js';
import type { Logger } from '../http/errors.js';
import { serve } from '../http/serve.js';
import { createMasterApp } from './app.js';
import { EventLog } from './events.js';
import { Maintenance } from './maintenance.js';
import { MetaStore } from './meta.js';
import { Namespace } from './namespace.js';
import { NodeRegistry } from './registry.js';
import { UploadTracker } from './uploads.js';

/** A running master. */
export interface RunningMaster {
  url: string;
  namespace: Namespace;
  registry: NodeRegistry;
  maintenance: Maintenance;
  close(): Promise<void>;
}

/** Opens the database and starts the master on its port. */
export async function startMaster(
  config: Readonly<MasterConfig>,
  log: Logger = console.error,
): Promise<RunningMaster> {
  await fs.mkdir(config.data, { recursive: true });
  const meta = MetaStore.open(config.data);
  const events = new EventLog(log);
  let maintenance: Maintenance | undefined;
  const registry = new NodeRegistry(meta, events, config.heartbeatTimeout, () => maintenance?.markDirty());
  // An upload silent for the whole grace period is abandoned; its chunks become collectable.
  const uploads = new UploadTracker(meta, Math.max(config.gcGrace, config.tokenTtl));
  const namespace = new Namespace(config, meta, registry, uploads);
  maintenance = new Maintenance(config, meta, registry, uploads, namespace, events, log);
  namespace.topUp = (short) => (maintenance as Maintenance).topUp(short);
  namespace.onVanished = (id, nodeIds) => (maintenance as Maintenance).vanished(id, nodeIds);
  const app = createMasterApp({ config, namespace, registry, maintenance, events, log });
  const listening = await serve(app, config.host, config.port, { headersTimeout: config.headersTimeout });
  maintenance.start();
  events.add('master-started', `master started at ${listening.url}`);
  let closing: Promise<void> | undefined;
  return {
    url: listening.url,
    namespace,
    registry,
    maintenance,
    close() {
      closing ??= (async () => {
        maintenance?.stop();
        await listening.close();
        await meta.close();
      })();
      return closing;
    },
  };
}
