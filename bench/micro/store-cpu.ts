// `node --import tsx bench/micro/store-cpu.ts [--rounds 7] [--seconds 3] [--ids sdk|random]`: the
// CPU of the embedded metadata store alone (LMDB, in this process) per one-chunk upload: a lease,
// then its commit, 16 at once, as the master runs them for every small file, under the SDK's
// upload ids (time-ordered) or random UUIDs (what the SDK made before). Process CPU (every
// thread, lmdb-js's writer included) over the uploads of each round; the median is printed. Run
// it on two checkouts in turn to compare a change of the store (A/B). Not one of `npm run
// bench`'s rows.

import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { KvStore } from '../../src/meta/kv-store.js';
import { LmdbEngine } from '../../src/meta/lmdb-engine.js';
import { newUploadId } from '../../src/sdk/upload-id.js';
import { benchArgs, UsageError, wholeNumber } from '../lib/args.js';
import { runMain } from '../lib/cleanup.js';
import { uploads } from '../lib/meta-stores.js';
import { median } from '../lib/report.js';

async function main(): Promise<void> {
  const values = benchArgs(
    'usage: node --import tsx bench/micro/store-cpu.ts [--rounds 7] [--seconds 3] [--ids sdk|random]',
    {
      rounds: { type: 'string', default: '7' },
      seconds: { type: 'string', default: '3' },
      ids: { type: 'string', default: 'sdk' },
    },
  );
  if (values.ids !== 'sdk' && values.ids !== 'random') throw new UsageError('--ids is sdk or random');
  const rounds = wholeNumber('rounds', values.rounds);
  const seconds = wholeNumber('seconds', values.seconds);
  const newId = values.ids === 'random' ? randomUUID : newUploadId;
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dfs-store-cpu-'));
  const store = new KvStore(await LmdbEngine.open(dir));
  try {
    const perUpload: number[] = [];
    for (let round = 1; round <= rounds; round++) {
      const cpu = process.cpuUsage();
      const started = performance.now();
      const perSec = await uploads(store, 16, { seconds, files: 0 }, newId);
      const done = (perSec * (performance.now() - started)) / 1000;
      const used = process.cpuUsage(cpu);
      perUpload.push((used.user + used.system) / done);
      console.log(
        `round ${round}: ${Math.round(perSec)} uploads/s, ${perUpload.at(-1)?.toFixed(0)} µs of CPU each`,
      );
    }
    console.log(
      `median: ${median(perUpload).toFixed(0)} µs of CPU per upload (lease + commit, LMDB, ${values.ids} ids)`,
    );
  } finally {
    await store.close();
    await fs.rm(dir, { recursive: true, force: true });
  }
}

runMain('store-cpu', main);
