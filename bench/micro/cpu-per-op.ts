// `node --import tsx bench/micro/cpu-per-op.ts [--modes http-get,floor-get] [--rounds 3] [--files 2000]
// [--size 4096] [--concurrency 16] [--warm 2000]`: CPU milliseconds per operation of every serving process, read
// from /proc around the same load the bench's rows 8–9 use (4 KiB, 16 at once, unless told
// otherwise): dfs's web client PUT/GET, S3 PutObject/GetObject, and the floor's
// (bench/lib/floor.ts) PUT/GET beside them in the same run. Finer than a bench row: run it on two
// checkouts in turn to compare one change (A/B). Page cache dropped before reads where the
// machine allows. Not one of `npm run bench`'s rows.

import { randomBytes } from 'node:crypto';
import { benchArgs, UsageError, wholeNumber } from '../lib/args.js';
import { dropCaches } from '../lib/caches.js';
import { runMain } from '../lib/cleanup.js';
import { Cluster } from '../lib/cluster.js';
import { WriteFloor } from '../lib/floor.js';
import { procCpu } from '../lib/proc.js';
import { median } from '../lib/report.js';
import { S3_BUCKET, startGateway } from '../lib/s3-client.js';
import { type LoadMode, smallLoad } from '../lib/small-load.js';

const MODES = ['http-put', 'http-get', 's3-put', 's3-get', 'floor-put', 'floor-get'] as const;
type Mode = (typeof MODES)[number];
const USAGE = `usage: node --import tsx bench/micro/cpu-per-op.ts [--modes ${MODES.join(',')}]
  [--rounds 3] [--files 2000] [--size 4096] [--concurrency 16] [--warm 2000]`;

async function main(): Promise<void> {
  const values = benchArgs(USAGE, {
    modes: { type: 'string', default: MODES.join(',') },
    rounds: { type: 'string', default: '3' },
    files: { type: 'string', default: '2000' },
    size: { type: 'string', default: '4096' },
    concurrency: { type: 'string', default: '16' },
    warm: { type: 'string', default: '2000' },
  });
  const modes = (values.modes ?? '').split(',') as Mode[];
  for (const m of modes)
    if (!MODES.includes(m)) throw new UsageError(`unknown mode ${m}: one of ${MODES.join(', ')}`);
  const rounds = wholeNumber('rounds', values.rounds);
  const files = wholeNumber('files', values.files);
  const size = wholeNumber('size', values.size);
  const concurrency = wholeNumber('concurrency', values.concurrency);
  const warm = wholeNumber('warm', values.warm, 0);
  const cluster = await Cluster.start({ replication: 2 });
  const floor = await WriteFloor.start(cluster.dir).catch(async (err) => {
    await cluster.stop();
    throw err;
  });
  try {
    const gateway = await startGateway(cluster);
    const seed = randomBytes(size).toString('hex');
    const names = (prefix: string, n = files) =>
      Array.from({ length: n }, (_, i) => `${prefix}/f${String(i).padStart(5, '0')}`);
    const side = (m: Mode) => m.split('-')[0] as 'http' | 's3' | 'floor';
    const base = (m: Mode) =>
      side(m) === 'floor'
        ? `${floor.url}/`
        : side(m) === 's3'
          ? `${gateway.url.origin}/${S3_BUCKET}/cpu/`
          : `${cluster.clientUrl}/api/${m === 'http-put' ? 'files' : 'download'}/cpu/`;
    const load = (m: Mode, list: string[]) =>
      smallLoad(
        {
          mode: m.replace('floor-', 'http-') as LoadMode,
          base: base(m),
          names: list,
          size,
          concurrency,
          seed,
        },
        cluster.dir,
      );
    const cpu = (m: Mode): Record<string, number> =>
      side(m) === 'floor'
        ? floor.cpuByProcess()
        : Object.fromEntries(cluster.daemons.map((d) => [d.name, procCpu(d.child.pid ?? 0) || 0]));
    // Warm-up, not measured: V8 compiles the daemons' hot code over their first few thousand small
    // operations (on its own threads too), which costs more than the operations themselves. Then
    // the files the reads read when their writes are not measured.
    for (const m of modes) {
      const list = names(`warm-${side(m)}`, warm);
      if (m.endsWith('-get')) await load(m.replace('-get', '-put') as Mode, list);
      await load(m, list);
    }
    for (const m of modes)
      if (m.endsWith('-get') && !modes.includes(m.replace('-get', '-put') as Mode))
        await load(m.replace('-get', '-put') as Mode, names(`${side(m)}-0`));
    const samples = new Map<Mode, Map<string, number[]>>();
    for (let round = 0; round < rounds; round++) {
      for (const m of modes) {
        const reads = m.endsWith('-get');
        if (reads) await dropCaches();
        const before = cpu(m);
        const r = await load(m, names(`${side(m)}-${reads ? 0 : round}`));
        const after = cpu(m);
        if (r.errors) throw new Error(`${m}: ${r.errors} failed (${r.firstError})`);
        const row = samples.get(m) ?? new Map<string, number[]>();
        samples.set(m, row);
        const add = (k: string, v: number) => row.set(k, [...(row.get(k) ?? []), v]);
        let total = 0;
        for (const [k, v] of Object.entries(after)) {
          const ms = ((v - (before[k] ?? 0)) * 1000) / r.ok;
          total += ms;
          add(k, ms);
        }
        add('total', total);
        add('load generator', r.cpuMs / r.ok);
        add('ops/s', r.perSec);
      }
    }
    for (const [m, row] of samples) {
      const cells = [...row].map(([k, v]) => `${k} ${median(v).toFixed(k === 'ops/s' ? 0 : 3)}`);
      const totals = (row.get('total') ?? []).map((v) => v.toFixed(2)).join(' ');
      process.stdout.write(`${m.padEnd(9)}  ${cells.join('  ')}  (totals by round: ${totals})\n`);
    }
    process.stdout.write(
      `(CPU ms per operation of ${size} bytes, ${concurrency} at once, medians of ${rounds} rounds of ${files})\n`,
    );
  } finally {
    await floor.stop();
    await cluster.stop();
  }
}

runMain('cpu-per-op', main);
