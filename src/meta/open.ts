// Opens the metadata store a master is configured for: PostgreSQL when `--meta` names one,
// else LMDB in the master's data folder (locked: one master per folder).

import { setTimeout as sleep } from 'node:timers/promises';
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

/**
 * Runs `open` again while it fails with `unavailable` (a PostgreSQL restarting, or not up yet when
 * the masters start with it), for up to `wait` ms, saying so in the log each time; any other
 * failure (a wrong password, a newer schema) and the last one are thrown.
 */
export async function waitForStore<T>(
  open: () => Promise<T>,
  log: (message: string) => void,
  wait = 60_000,
  step = 1000,
): Promise<T> {
  const deadline = Date.now() + wait;
  for (let attempt = 1; ; attempt++) {
    try {
      return await open();
    } catch (err) {
      if ((err as { code?: string }).code !== 'unavailable' || Date.now() >= deadline) throw err;
      log(`waiting for the metadata database: ${(err as Error).message}`);
      await sleep(Math.min(step * attempt, 5 * step));
    }
  }
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
