// Row 13: the metadata store on PostgreSQL beside LMDB, the store alone in one process (no HTTP):
// commits per second at concurrency 1 and 16, and the time to list a large folder page by page.
// Rounds alternate which store goes first. Needs Debian's postgresql-15 (skipped, loudly, without).

import { postgresAvailable } from '../../test/helpers/postgres.js';
import type { BenchContext } from '../lib/context.js';
import { openBackends, sampleBackends } from '../lib/meta-stores.js';
import { makeRow, type Row } from '../lib/report.js';

/** Rows 13a–13c. */
export async function postgresRows(ctx: BenchContext): Promise<Row[]> {
  if (!postgresAvailable('bench row 13 (PostgreSQL metadata)')) return [];
  const load = { seconds: ctx.sizes.loadSeconds, files: ctx.sizes.metaMany };
  const { backends, close } = await openBackends();
  try {
    const samples = await sampleBackends(backends, load, ctx.options.runs, {
      onRound: (round, latest) => {
        const at = (key: string) => latest(key).toFixed(0);
        ctx.log(
          `metadata ${round + 1}: commits/s c1 lmdb ${at('lmdb commits/s c1')}, postgres ${at('postgres commits/s c1')}; c16 lmdb ${at('lmdb commits/s c16')}, postgres ${at('postgres commits/s c16')}`,
        );
      },
    });
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
        get('postgres commits/s c1'),
        get('lmdb commits/s c1'),
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
        get('postgres commits/s c16'),
        get('lmdb commits/s c16'),
      ),
      makeRow(
        {
          id: '13c',
          what: `list a ${files}-file folder, pages of 1,000 (PostgreSQL store)`,
          baselineWhat: 'the LMDB store, same run',
          unit: 'ms',
          better: 'lower',
        },
        get('postgres list ms'),
        get('lmdb list ms'),
      ),
    ];
  } finally {
    await close();
  }
}
