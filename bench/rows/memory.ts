// Row 5: peak RSS of every dfs process (master, each node, web client, the CLI) while a large
// file (2 GiB) is uploaded and downloaded, against the same for a 64 MiB file. Each size gets a
// fresh cluster, so a daemon's VmHWM (its lifetime peak) is its peak during that transfer.

import path from 'node:path';
import { Cluster } from '../lib/cluster.js';
import type { BenchContext } from '../lib/context.js';
import { makeRandomFile, stampFile } from '../lib/files.js';
import { procMemory, run } from '../lib/proc.js';
import { makeRow, type Row } from '../lib/report.js';

/** Peak RSS of each role, bytes. */
type Peaks = Record<string, number>;

const ROLES: [string, string][] = [
  ['master', 'master'],
  ['node', 'storage node (largest)'],
  ['client', 'web client (download route)'],
  ['cli-upload', 'dfs upload (CLI)'],
  ['cli-download', 'dfs download (CLI)'],
];

async function measure(ctx: BenchContext, file: string, size: number, tag: string): Promise<Peaks> {
  await stampFile(file, size, tag);
  const cluster = await Cluster.start(ctx.clusterDefaults());
  try {
    const remote = `/mem/${tag}`;
    const up = await cluster.dfs(['upload', file, remote], { rss: true });
    const down = await cluster.dfs(['download', remote, '/dev/null'], { rss: true });
    await run('curl', ['-sS', '-o', '/dev/null', `${cluster.clientUrl}/api/download${remote}`]);
    const hwm = (name: string) => {
      const pid = cluster.daemon(name).child.pid;
      return (pid && procMemory(pid, 'VmHWM')) || Number.NaN;
    };
    return {
      master: hwm('master'),
      node: Math.max(...cluster.nodes.map((n) => hwm(n.name))),
      client: hwm('client'),
      'cli-upload': up.peakRss ?? Number.NaN,
      'cli-download': down.peakRss ?? Number.NaN,
    };
  } finally {
    await cluster.stop();
  }
}

/** Rows 5 (one per process role). */
export async function memoryRows(ctx: BenchContext): Promise<Row[]> {
  const { memoryLarge, memorySmall } = ctx.sizes;
  const small = path.join(ctx.work, 'mem-small.bin');
  const large = path.join(ctx.work, 'mem-large.bin');
  ctx.log(`writing ${memoryLarge / 2 ** 20} MiB and ${memorySmall / 2 ** 20} MiB random files`);
  await makeRandomFile(small, memorySmall);
  await makeRandomFile(large, memoryLarge);
  const smallPeaks: Peaks[] = [];
  const largePeaks: Peaks[] = [];
  for (let i = 1; i <= ctx.options.runs; i++) {
    smallPeaks.push(await measure(ctx, small, memorySmall, `s${i}-${Date.now()}`));
    largePeaks.push(await measure(ctx, large, memoryLarge, `l${i}-${Date.now()}`));
    const mb = (p: Peaks) => ROLES.map(([k]) => `${k} ${((p[k] ?? Number.NaN) / 1e6).toFixed(0)}`).join(', ');
    ctx.log(
      `memory ${i}: large: ${mb(largePeaks.at(-1) as Peaks)} MB; small: ${mb(smallPeaks.at(-1) as Peaks)} MB`,
    );
  }
  const big = `${memoryLarge / 2 ** 30} GiB`;
  return ROLES.map(([key, label]) =>
    makeRow(
      {
        id: '5',
        what: `peak RSS ${label}, ${big} up+down`,
        baselineWhat: `the same, ${memorySmall / 2 ** 20} MiB file`,
        unit: 'MB',
        target: 1.2,
        better: 'lower',
        absoluteMax: 150e6,
      },
      largePeaks.map((p) => p[key] ?? Number.NaN),
      smallPeaks.map((p) => p[key] ?? Number.NaN),
    ),
  );
}
