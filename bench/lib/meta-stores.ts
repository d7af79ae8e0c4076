// The metadata store alone, LMDB against PostgreSQL in one run: commits per second at a
// concurrency (empty files; and a one-chunk upload: lease, then commit), and the time to list a
// large folder page by page. Used by `npm run bench` (row 13) and bench/micro/meta-commit.ts.

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KvStore } from '../../src/meta/kv-store.js';
import { LmdbEngine } from '../../src/meta/lmdb-engine.js';
import { PostgresStore } from '../../src/meta/postgres-store.js';
import type { MetaStore } from '../../src/meta/store.js';
import type { CommitIntent } from '../../src/meta/types.js';
import { newUploadId } from '../../src/sdk/upload-id.js';
import { PostgresServer } from '../../test/helpers/postgres.js';
import { closedLoop } from './load.js';

const PAGE = 1000;

/** How long each timed loop runs, and how many files the listed folder holds. */
export interface StoreLoad {
  seconds: number;
  files: number;
}

function intent(p: string, uploadId?: string, text?: string): CommitIntent {
  const chunks = text ? [{ id: createHash('sha256').update(text).digest('hex'), size: text.length }] : [];
  return {
    path: p,
    size: text?.length ?? 0,
    sha256: createHash('sha256').update(p).digest('hex'),
    contentType: 'application/octet-stream',
    metadata: {},
    attributes: {},
    chunks,
    ...(uploadId && { uploadId }),
  };
}

export interface Backend {
  name: string;
  store: MetaStore;
}

let sequence = 0;

/** Commits per second of empty files at `concurrency`. */
export async function commits(store: MetaStore, concurrency: number, load: StoreLoad): Promise<number> {
  const run = ++sequence;
  const r = await closedLoop(concurrency, { seconds: load.seconds }, async (n) => {
    await store.commit(intent(`/bench/c${concurrency}-${run}/f${n}`), Date.now());
  });
  if (r.errors > 0) throw new Error(`commits failed: ${r.firstError}`);
  return r.perSec;
}

/**
 * Uploads per second of a one-chunk file at `concurrency`: lease, then commit, under upload ids
 * made by `newId` (the SDK's by default).
 */
export async function uploads(
  store: MetaStore,
  concurrency: number,
  load: StoreLoad,
  newId: () => string = newUploadId,
): Promise<number> {
  const run = ++sequence;
  const r = await closedLoop(concurrency, { seconds: load.seconds }, async (n) => {
    const id = newId();
    const [ref] = intent('/', id, id).chunks;
    await store.lease(id, ref ? [ref] : [], 60_000, Date.now());
    await store.commit(intent(`/bench/u${concurrency}-${run}/f${n}`, id, id), Date.now());
  });
  if (r.errors > 0) throw new Error(`uploads failed: ${r.firstError}`);
  return r.perSec;
}

/** Fills /big/ with `load.files` empty files; returns commits per second at concurrency 64. */
export async function fill(store: MetaStore, load: StoreLoad): Promise<number> {
  const r = await closedLoop(64, { total: load.files }, async (n) => {
    await store.commit(intent(`/big/f${String(n).padStart(7, '0')}`), Date.now());
  });
  if (r.errors > 0) throw new Error(`filling failed: ${r.firstError}`);
  return r.perSec;
}

/** Lists /big/ page by page: total ms, and the slowest page against the first. */
export async function listing(
  store: MetaStore,
  load: StoreLoad,
): Promise<{ totalMs: number; firstMs: number; slowestMs: number }> {
  const pages: number[] = [];
  let after: string | undefined;
  let rows = 0;
  const started = performance.now();
  do {
    const t = performance.now();
    const page = await store.list({ prefix: '/big/', delimiter: true, after, limit: PAGE });
    pages.push(performance.now() - t);
    rows += page.entries.length;
    after = page.next;
  } while (after);
  if (rows !== load.files) throw new Error(`listed ${rows} of ${load.files} files`);
  return { totalMs: performance.now() - started, firstMs: pages[0] ?? 0, slowestMs: Math.max(...pages) };
}

/** An LMDB store in a temporary folder and a PostgreSQL store on a throwaway server; `close` removes both. */
export async function openBackends(): Promise<{ backends: Backend[]; close(): Promise<void> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dfs-bench-lmdb-'));
  const server = await PostgresServer.start();
  const backends: Backend[] = [];
  const close = async () => {
    for (const { store } of backends) await store.close();
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    backends.push({ name: 'lmdb', store: new KvStore(await LmdbEngine.open(dir)) });
    backends.push({
      name: 'postgres',
      store: await PostgresStore.open(await server.createDatabase('bench')),
    });
  } catch (err) {
    await close();
    throw err;
  }
  return { backends, close };
}

/** Samples of each measure, by `BACKEND MEASURE` (e.g. `postgres commits/s c16`), one per round. */
export type StoreSamples = Map<string, number[]>;

/**
 * Measures every backend `rounds` times, the rounds alternating which goes first (so a busy
 * moment of a shared machine hits both): commits/s at concurrency 1 and 16 (and one-chunk
 * uploads/s when asked), then each fills a large folder and lists it page by page once a round.
 * `onRound` hears each round's commit figures as they come.
 */
export async function sampleBackends(
  backends: Backend[],
  load: StoreLoad,
  rounds: number,
  options: { uploads?: boolean; onRound?: (round: number, latest: (key: string) => number) => void } = {},
): Promise<StoreSamples> {
  const samples: StoreSamples = new Map();
  const add = (key: string, value: number) => samples.set(key, [...(samples.get(key) ?? []), value]);
  const latest = (key: string) => samples.get(key)?.at(-1) ?? Number.NaN;
  for (const { store } of backends) await commits(store, 16, load); // warm-up
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 ? [...backends].reverse() : backends;
    for (const { name, store } of order) {
      add(`${name} commits/s c1`, await commits(store, 1, load));
      add(`${name} commits/s c16`, await commits(store, 16, load));
      if (options.uploads) add(`${name} uploads/s c16`, await uploads(store, 16, load));
    }
    options.onRound?.(round, latest);
  }
  for (const { name, store } of backends) {
    add(`${name} fill commits/s c64`, await fill(store, load));
    for (let round = 0; round < rounds; round++) {
      const l = await listing(store, load);
      add(`${name} list ms`, l.totalMs);
      add(`${name} list first page ms`, l.firstMs);
      add(`${name} list slowest page ms`, l.slowestMs);
    }
  }
  return samples;
}
