// Row 6: metadata at scale. Commits per second (empty files through the SDK, concurrency 16) with
// 100,000 files stored against the same with 1,000 stored; and `dfs ls --json -r` of the
// 100,000-file folder against `ls -l` of a local folder holding the same names.

import fs from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { DfsClient } from '../../src/sdk/client.js';
import { Cluster } from '../lib/cluster.js';
import type { BenchContext } from '../lib/context.js';
import { closedLoop, type LoadResult, once } from '../lib/load.js';
import { run } from '../lib/proc.js';
import { makeRow, type Row } from '../lib/report.js';

const EMPTY = Buffer.alloc(0);
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const name = (i: number) => `f${String(i).padStart(6, '0')}`;

/**
 * Commits an empty file with one plain `POST /api/files` (the documented protocol, keep-alive),
 * to fill the namespace fast; the timed commits go through the SDK.
 */
function commitEmpty(master: URL, agent: http.Agent, path: string): Promise<void> {
  const body = JSON.stringify({ path, size: 0, sha256: EMPTY_SHA256, chunks: [], receipts: [] });
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: master.hostname,
        port: master.port,
        path: '/api/files',
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode === 201 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Row 6a and 6b. */
export async function metadataRows(ctx: BenchContext): Promise<Row[]> {
  const { metaFew, metaMany, metaProbe, concurrency } = ctx.sizes;
  const cluster = await Cluster.start({ ...ctx.clusterDefaults(), webClient: false });
  const sdk = new DfsClient({ master: cluster.masterUrl });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const master = new URL(cluster.masterUrl);
  let stored = 0;
  const populate = async (count: number) => {
    const from = stored;
    const r = await closedLoop(64, { total: count - from }, (n) =>
      commitEmpty(master, agent, `/meta/${name(from + n)}`),
    );
    if (r.errors > 0) throw new Error(`populating failed: ${r.firstError}`);
    stored = count;
    ctx.log(`metadata: ${count} files stored (${r.perSec.toFixed(0)} commits/s at concurrency 64)`);
  };
  // Commits of new (empty) files, timed; then removed again so the stored count stays put.
  const probe = async (label: string): Promise<LoadResult> => {
    const r = await closedLoop(concurrency, { total: metaProbe }, (n) =>
      sdk.upload(once(EMPTY), `/probe/${label}-${n}`).then(() => {}),
    );
    if (r.errors > 0) throw new Error(`commits failed: ${r.firstError}`);
    await closedLoop(concurrency, { total: metaProbe }, (n) => sdk.remove(`/probe/${label}-${n}`));
    return r;
  };
  try {
    await probe('warm');
    await populate(metaFew);
    const few: number[] = [];
    for (let i = 1; i <= ctx.options.runs; i++) few.push((await probe(`few${i}`)).perSec);
    await populate(metaMany);
    const many: number[] = [];
    for (let i = 1; i <= ctx.options.runs; i++) many.push((await probe(`many${i}`)).perSec);
    ctx.log(
      `commits/s: ${few.map((x) => x.toFixed(0)).join(' ')} (few), ${many.map((x) => x.toFixed(0)).join(' ')} (many)`,
    );

    // The same names in a local folder.
    const local = path.join(ctx.work, 'ls');
    await fs.mkdir(local);
    await closedLoop(64, { total: metaMany }, (n) => fs.writeFile(path.join(local, name(n)), ''));
    const dfsLs: number[] = [];
    const localLs: number[] = [];
    for (let i = 1; i <= ctx.options.runs; i++) {
      localLs.push((await run('ls', ['-l', local], { stdout: 'null' })).ms);
      // To a file: the CLI exits as soon as it has written, which can cut a pipe short.
      const out = path.join(ctx.work, 'ls.json');
      const r = await cluster.dfs(['ls', '--json', '-r', '/meta'], { stdout: { file: out } });
      const count = (JSON.parse(await fs.readFile(out, 'utf8')) as unknown[]).length;
      if (count !== metaMany) throw new Error(`dfs ls listed ${count} files, not ${metaMany}`);
      dfsLs.push(r.ms);
    }
    await fs.rm(local, { recursive: true, force: true });
    const manyLabel = metaMany.toLocaleString('en');
    return [
      makeRow(
        {
          id: '6a',
          what: `commits/s with ${manyLabel} files stored (SDK, c=${concurrency})`,
          baselineWhat: `the same with ${metaFew.toLocaleString('en')} files stored`,
          unit: '/s',
          target: 0.8,
          better: 'higher',
        },
        many,
        few,
      ),
      makeRow(
        {
          id: '6b',
          what: `dfs ls --json -r of a ${manyLabel}-file folder`,
          baselineWhat: 'ls -l of a local folder of the same names',
          unit: 'ms',
          target: 5,
          better: 'lower',
        },
        dfsLs,
        localLs,
      ),
    ];
  } finally {
    agent.destroy();
    await cluster.stop();
  }
}
