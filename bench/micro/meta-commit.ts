// `node --import tsx bench/micro/meta-commit.ts [--rounds 3] [--seconds 5] [--files 100000]`:
// the metadata store alone, LMDB against PostgreSQL in the same run on this machine. Commits per
// second at concurrency 1 and 16 (empty files, as bench row 6 commits; and a one-chunk upload:
// lease, then commit), then the time to list a 100,000-file folder page by page. Rounds
// alternate the backends, so a busy moment of a shared machine hits both; medians are printed
// with PostgreSQL's ratio to LMDB. Needs Debian's postgresql-15.

import os from 'node:os';
import { postgresAvailable } from '../../test/helpers/postgres.js';
import { benchArgs, wholeNumber } from '../lib/args.js';
import { runMain } from '../lib/cleanup.js';
import { openBackends, sampleBackends } from '../lib/meta-stores.js';
import { median } from '../lib/report.js';

async function main(): Promise<number | undefined> {
  const values = benchArgs(
    'usage: node --import tsx bench/micro/meta-commit.ts [--rounds 3] [--seconds 5] [--files 100000]',
    {
      rounds: { type: 'string', default: '3' },
      seconds: { type: 'string', default: '5' },
      files: { type: 'string', default: '100000' },
    },
  );
  const rounds = wholeNumber('rounds', values.rounds);
  const load = { seconds: wholeNumber('seconds', values.seconds), files: wholeNumber('files', values.files) };
  if (!postgresAvailable('the PostgreSQL half of the metadata benchmark')) return 1;
  const { backends, close } = await openBackends();
  try {
    const samples = await sampleBackends(backends, load, rounds, { uploads: true });
    const metrics = [
      'commits/s c1',
      'commits/s c16',
      'uploads/s c16',
      'fill commits/s c64',
      'list ms',
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
    console.log(
      `metadata store, medians of ${rounds} rounds (${load.seconds} s each), a folder of ${load.files} files listed, ${os.cpus().length} cores`,
    );
    console.table(table);
  } finally {
    await close();
  }
}

runMain('meta-commit', main);
