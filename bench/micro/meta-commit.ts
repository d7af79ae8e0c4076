// `node --import tsx bench/micro/meta-commit.ts [--rounds 3] [--seconds 5] [--files 100000]`:
// the metadata store alone, LMDB against PostgreSQL in the same run on this machine. Commits per
// second at concurrency 1 and 16 (empty files, as bench row 6 commits; and a one-chunk upload:
// lease, then commit), then the time to list a 100,000-file folder page by page. Rounds
// alternate the backends, so a busy moment of a shared machine hits both; medians are printed
// with PostgreSQL's ratio to LMDB. Needs Debian's postgresql-15.

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { KvStore } from '../../src/meta/kv-store.js';
import { LmdbEngine } from '../../src/meta/lmdb-engine.js';
import { PostgresStore } from '../../src/meta/postgres-store.js';
import type { MetaStore } from '../../src/meta/store.js';
import type { CommitIntent } from '../../src/meta/types.js';
import { PostgresServer, postgresAvailable } from '../../test/helpers/postgres.js';
import { closedLoop } from '../lib/load.js';
import { median } from '../lib/report.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '5' },
    files: { type: 'string', default: '100000' },
  },
});
const ROUNDS = Number(values.rounds);
const SECONDS = Number(values.seconds);
const FILES = Number(values.files);
const PAGE = 1000;

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

interface Backend {
  name: string;
  store: MetaStore;
}

let sequence = 0;

/** Commits per second of empty files at `concurrency`. */
async function commits(store: MetaStore, concurrency: number): Promise<number> {
  const run = ++sequence;
  const r = await closedLoop(concurrency, { seconds: SECONDS }, async (n) => {
    await store.commit(intent(`/bench/c${concurrency}-${run}/f${n}`), Date.now());
  });
  if (r.errors > 0) throw new Error(`commits failed: ${r.firstError}`);
  return r.perSec;
}

/** Uploads per second of a one-chunk file at `concurrency`: lease, then commit. */
async function uploads(store: MetaStore, concurrency: number): Promise<number> {
  const run = ++sequence;
  const r = await closedLoop(concurrency, { seconds: SECONDS }, async (n) => {
    const id = `up-${run}-${n}`;
    const [ref] = intent('/', id, id).chunks;
    await store.lease(id, ref ? [ref] : [], 60_000, Date.now());
    await store.commit(intent(`/bench/u${concurrency}-${run}/f${n}`, id, id), Date.now());
  });
  if (r.errors > 0) throw new Error(`uploads failed: ${r.firstError}`);
  return r.perSec;
}

/** Fills /big/ with FILES empty files; returns commits per second at concurrency 64. */
async function fill(store: MetaStore): Promise<number> {
  const r = await closedLoop(64, { total: FILES }, async (n) => {
    await store.commit(intent(`/big/f${String(n).padStart(7, '0')}`), Date.now());
  });
  if (r.errors > 0) throw new Error(`filling failed: ${r.firstError}`);
  return r.perSec;
}

/** Lists /big/ page by page: total ms, and the slowest page against the first. */
async function listing(store: MetaStore): Promise<{ totalMs: number; firstMs: number; slowestMs: number }> {
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
  if (rows !== FILES) throw new Error(`listed ${rows} of ${FILES} files`);
  return { totalMs: performance.now() - started, firstMs: pages[0] ?? 0, slowestMs: Math.max(...pages) };
}

async function main(): Promise<void> {
  if (!postgresAvailable('the PostgreSQL half of the metadata benchmark')) process.exit(1);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dfs-bench-lmdb-'));
  const server = await PostgresServer.start();
  try {
    const backends: Backend[] = [
      { name: 'lmdb', store: new KvStore(await LmdbEngine.open(dir)) },
      { name: 'postgres', store: await PostgresStore.open(await server.createDatabase('bench')) },
    ];
    const samples = new Map<string, number[]>();
    const add = (key: string, value: number) => samples.set(key, [...(samples.get(key) ?? []), value]);
    for (const { store } of backends) await commits(store, 16); // warm-up
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate which backend goes first, so neither always meets the machine in the same state.
      const order = round % 2 ? [...backends].reverse() : backends;
      for (const { name, store } of order) {
        add(`${name} commits/s c1`, await commits(store, 1));
        add(`${name} commits/s c16`, await commits(store, 16));
        add(`${name} uploads/s c16`, await uploads(store, 16));
      }
    }
    for (const { name, store } of backends) {
      add(`${name} fill commits/s c64`, await fill(store));
      for (let round = 0; round < ROUNDS; round++) {
        const l = await listing(store);
        add(`${name} list ${FILES} ms`, l.totalMs);
        add(`${name} list first page ms`, l.firstMs);
        add(`${name} list slowest page ms`, l.slowestMs);
      }
    }
    const metrics = [
      'commits/s c1',
      'commits/s c16',
      'uploads/s c16',
      'fill commits/s c64',
      `list ${FILES} ms`,
      'list first page ms',
      'list slowest page ms',
    ];
    const table = metrics.map((metric) => {
      const lmdb = median(samples.get(`lmdb ${metric}`) ?? []);
      const pg = median(samples.get(`postgres ${metric}`) ?? []);
      return {
        metric,
        lmdb: Math.round(lmdb),
        postgres: Math.round(pg),
        'postgres / lmdb': (pg / lmdb).toFixed(2),
      };
    });
    console.log(`metadata store, medians of ${ROUNDS} rounds (${SECONDS} s each), ${os.cpus().length} cores`);
    console.table(table);
    for (const { store } of backends) await store.close();
  } finally {
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
