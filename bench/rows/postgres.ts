// Row 13: the metadata store on PostgreSQL beside LMDB, the store alone in one process (no HTTP):
// commits per second at concurrency 1 and 16, and the time to list a large folder page by page.
// Rounds alternate which store goes first. Needs Debian's postgresql-15 (skipped, loudly, without).

import { postgresAvailable } from '../../test/helpers/postgres.js';
import type { BenchContext } from '../lib/context.js';
import { commits, fill, listing, openBackends } from '../lib/meta-stores.js';
import { makeRow, type Row } from '../lib/report.js';

/** Rows 13a–13c. */
export async function postgresRows(ctx: BenchContext): Promise<Row[]> {
  if (!postgresAvailable('bench row 13 (PostgreSQL metadata)')) return [];
  const load = { seconds: ctx.sizes.loadSeconds, files: ctx.sizes.metaMany };
  const { backends, close } = await openBackends();
  try {
    const samples = new Map<string, number[]>();
    const add = (key: string, value: number) => samples.set(key, [...(samples.get(key) ?? []), value]);
    for (const { store } of backends) await commits(store, 16, load); // warm-up
    for (let run = 0; run < ctx.options.runs; run++) {
      const order = run % 2 ? [...backends].reverse() : backends;
      for (const { name, store } of order) {
        add(`${name} c1`, await commits(store, 1, load));
        add(`${name} c16`, await commits(store, 16, load));
      }
      ctx.log(
        `metadata ${run + 1}: commits/s c1 lmdb ${samples.get('lmdb c1')?.at(-1)?.toFixed(0)}, postgres ${samples.get('postgres c1')?.at(-1)?.toFixed(0)}; c16 lmdb ${samples.get('lmdb c16')?.at(-1)?.toFixed(0)}, postgres ${samples.get('postgres c16')?.at(-1)?.toFixed(0)}`,
      );
    }
    for (const { name, store } of backends) {
      await fill(store, load);
      for (let run = 0; run < ctx.options.runs; run++)
        add(`${name} list`, (await listing(store, load)).totalMs);
    }
    const get = (key: string) => samples.get(key) ?? [];
    const files = load.files.toLocaleString('en');
    return [
      makeRow(
        {
          id: '13a',
          what: 'metadata commits/s, concurrency 1 (PostgreSQL store)',
          baselineWhat: 'the LMDB store, same run',
          unit: '/s',
          better: 'higher',
        },
        get('postgres c1'),
        get('lmdb c1'),
      ),
      makeRow(
        {
          id: '13b',
          what: 'metadata commits/s, concurrency 16 (PostgreSQL store)',
          baselineWhat: 'the LMDB store, same run',
          unit: '/s',
          target: 0.5,
          better: 'higher',
        },
        get('postgres c16'),
        get('lmdb c16'),
      ),
      makeRow(
        {
          id: '13c',
          what: `list a ${files}-file folder, pages of 1,000 (PostgreSQL store)`,
          baselineWhat: 'the LMDB store, same run',
          unit: 'ms',
          better: 'lower',
        },
        get('postgres list'),
        get('lmdb list'),
      ),
    ];
  } finally {
    await close();
  }
}
