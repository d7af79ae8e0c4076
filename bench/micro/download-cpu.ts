// `node --import tsx bench/micro/download-cpu.ts [--mib 1024] [--downloads 3]`: one file downloaded
// through the web client with curl, again and again; for each download its speed and the CPU
// seconds per GiB of every daemon (master, nodes, web client), read from /proc around it. Finer
// than the bench's row 2: run it on two checkouts in turn to compare one change (A/B). Not one of
// `npm run bench`'s rows.

import path from 'node:path';
import { benchArgs, wholeNumber } from '../lib/args.js';
import { runMain } from '../lib/cleanup.js';
import { Cluster } from '../lib/cluster.js';
import { makeRandomFile } from '../lib/files.js';
import { procCpu, run } from '../lib/proc.js';

async function main(): Promise<void> {
  const values = benchArgs(
    'usage: node --import tsx bench/micro/download-cpu.ts [--mib 1024] [--downloads 3]',
    {
      mib: { type: 'string', default: '1024' },
      downloads: { type: 'string', default: '3' },
    },
  );
  const size = wholeNumber('mib', values.mib) * 2 ** 20;
  const downloads = wholeNumber('downloads', values.downloads);
  const cluster = await Cluster.start({ replication: 2 });
  try {
    const file = path.join(cluster.dir, 'download.bin');
    await makeRandomFile(file, size);
    await cluster.dfs(['upload', file, '/download.bin']);
    const gib = size / 2 ** 30;
    const cpu = () => cluster.daemons.map((d) => procCpu(d.child.pid ?? 0));
    for (let i = 0; i < downloads; i++) {
      const before = cpu();
      const r = await run('curl', [
        '-sS',
        '-o',
        '/dev/null',
        '-w',
        '%{size_download}',
        `${cluster.clientUrl}/api/download/download.bin`,
      ]);
      if (Number(r.stdout) !== size) throw new Error(`curl got ${r.stdout} bytes, expected ${size}`);
      const after = cpu();
      const each = cluster.daemons.map(
        (d, j) => `${d.name} ${(((after[j] ?? 0) - (before[j] ?? 0)) / gib).toFixed(2)}`,
      );
      process.stdout.write(
        `${(size / 2 ** 20 / (r.ms / 1000)).toFixed(0)} MiB/s  CPU s per GiB: ${each.join('  ')}\n`,
      );
    }
  } finally {
    await cluster.stop();
  }
}

runMain('download-cpu', main);
