// Opens the metadata store a master is configured for: PostgreSQL when `--meta` names one,
// else LMDB in the master's data folder (locked: one master per folder).

import type { MasterConfig } from '../config.js';
import { lockFolder } from '../storage/folder-lock.js';
import { KvStore } from './kv-store.js';
import { LmdbEngine } from './lmdb-engine.js';
import type { MetaStore } from './store.js';

/** An opened store and how to close it (releasing what it holds). */
export interface OpenedStore {
  store: MetaStore;
  close(): Promise<void>;
}

/** Opens the configured metadata store. */
export async function openMetaStore(
  config: Readonly<Pick<MasterConfig, 'meta' | 'data'>>,
): Promise<OpenedStore> {
  if (config.meta) {
    // Loaded only when asked for: `npx dfs up` never touches pg.
    const { PostgresStore } = await import('./postgres-store.js');
    const store = await PostgresStore.open(config.meta);
    return { store, close: () => store.close() };
  }
  const lock = await lockFolder(config.data, 'master');
  try {
    const store = new KvStore(await LmdbEngine.open(config.data));
    let closing: Promise<void> | undefined;
    return {
      store,
      close() {
        closing ??= store.close().finally(() => lock.release());
        return closing;
      },
    };
  } catch (err) {
    await lock.release();
    throw err;
  }
}
