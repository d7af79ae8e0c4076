// `node --import tsx bench/profile.ts [--size 1GiB] [--chunk-size 8MiB] [--workload large,small,s3]`:
// runs the large upload/download (and small-file load) against a cluster whose daemons and CLI
// runs are started with `node --cpu-prof`, then prints where each process spent its time.
// The raw profiles stay in bench/results/profiles/ (open them in Chrome DevTools).

import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchArgs, UsageError, wholeNumber } from './lib/args.js';
import { cleanupOnSignals, runMain, trackDir } from './lib/cleanup.js';
import { Cluster } from './lib/cluster.js';
import { summarise } from './lib/cpuprofile.js';
import { makeRandomFile } from './lib/files.js';
import { procCpu, run } from './lib/proc.js';
import { S3_BUCKET, startGateway } from './lib/s3-client.js';
import { smallLoad } from './lib/small-load.js';
import { wrk } from './lib/wrk.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));

const WORKLOADS = ['large', 'small', 's3'];

function parseSize(value: string): number {
  const m = /^(\d+)\s*([kmg]?)i?b?$/i.exec(value.trim());
  if (!m) throw new UsageError(`bad size ${value}: a number of bytes, KiB, MiB or GiB`);
  return Number(m[1]) * ({ '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[(m[2] ?? '').toLowerCase()] ?? 1);
}

async function main(): Promise<void> {
  const values = benchArgs(
    `usage: node --import tsx bench/profile.ts [--size 1GiB] [--chunk-size 8MiB] [--workload ${WORKLOADS.join(',')}]
  [--seconds 5] [--out bench/results/profiles]`,
    {
      size: { type: 'string', default: '1GiB' },
      'chunk-size': { type: 'string' },
      workload: { type: 'string', default: 'large' },
      seconds: { type: 'string', default: '5' },
      out: { type: 'string', default: path.join(HERE, 'results', 'profiles') },
    },
  );
  const size = parseSize(values.size ?? '1GiB');
  const workloads = new Set((values.workload ?? 'large').split(','));
  for (const w of workloads)
    if (!WORKLOADS.includes(w)) throw new UsageError(`unknown workload ${w}: one of ${WORKLOADS.join(', ')}`);
  const seconds = wholeNumber('seconds', values.seconds);
  cleanupOnSignals();
  const out = path.resolve(values.out ?? '');
  await fs.rm(out, { recursive: true, force: true });
  await fs.mkdir(out, { recursive: true });
  const work = trackDir(await fs.mkdtemp(path.join(os.tmpdir(), 'dfs-profile-')));
  const flags = ['--cpu-prof', `--cpu-prof-dir=${out}`];
  const cluster = await Cluster.start({ chunkSize: values['chunk-size'], nodeFlags: flags });
  const names = new Map<number, string>();
  const timings: string[] = [];
  // CPU seconds each process spent in a phase: where the cores went, next to the wall time.
  const phase = async (label: string, body: () => Promise<{ ms: number; cpu?: number; what?: string }>) => {
    const before = cluster.daemons.map((d) => procCpu(d.child.pid ?? 0));
    const r = await body();
    const used = cluster.daemons.map(
      (d, i) => `${d.name} ${(procCpu(d.child.pid ?? 0) - (before[i] ?? 0)).toFixed(2)}`,
    );
    if (r.cpu !== undefined) used.push(`${r.what ?? 'cli'} ${r.cpu.toFixed(2)}`);
    else if (r.what) used.push(r.what);
    timings.push(`${label}: ${(r.ms / 1000).toFixed(2)} s wall; CPU s: ${used.join(', ')}`);
  };
  try {
    if (workloads.has('large')) {
      const file = path.join(work, 'big.bin');
      await makeRandomFile(file, size);
      const mb = size / 1e6;
      const rate = (ms: number) => `${(mb / (ms / 1000)).toFixed(0)} MB/s`;
      await phase(`upload ${values.size}`, async () => {
        const r = await cluster.dfs(['upload', file, '/profile/big'], { rss: true });
        return { ...r, what: `cli (${rate(r.ms)})` };
      });
      await phase(`download ${values.size}`, async () => {
        const r = await cluster.dfs(['download', '/profile/big', '/dev/null'], { rss: true });
        return { ...r, what: `cli (${rate(r.ms)})` };
      });
      await phase(`web download ${values.size}`, async () => {
        const url = `${cluster.clientUrl}/api/download/profile/big`;
        const r = await run('curl', ['-sS', '-o', '/dev/null', url], { rss: true });
        return { ...r, what: `curl (${rate(r.ms)})` };
      });
    }
    if (workloads.has('s3')) {
      const gateway = await startGateway(cluster);
      const seed = randomBytes(4096).toString('hex');
      const keys = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
      const base = `${gateway.url.origin}/${S3_BUCKET}/profile/`;
      await smallLoad(
        { mode: 's3-put', base, names: keys('warm', 300), size: 4096, concurrency: 16, seed },
        work,
      );
      await phase('S3 PutObject 4 KiB', async () => {
        const r = await smallLoad(
          { mode: 's3-put', base, names: keys('put', 3000), size: 4096, concurrency: 16, seed },
          work,
        );
        return { ms: r.ms, what: `${r.perSec.toFixed(0)}/s, ${r.errors} errors` };
      });
    }
    if (workloads.has('small')) {
      await phase('web PUT 4 KiB', async () => {
        const put = await wrk(cluster.clientUrl, 'put', ['/api/files/profile/small', '4096'], {
          connections: 16,
          seconds,
        });
        return { ms: seconds * 1000, what: `${put.requestsPerSec.toFixed(0)}/s, ${put.errors} errors` };
      });
      const list = path.join(work, 'list.txt');
      // wrk calls the first thread's request() once to check it and never sends it: 1 is missing.
      const paths = Array.from({ length: 50 }, (_, i) => `/api/download/profile/small-1-${i + 2}`);
      await fs.writeFile(list, `${paths.join('\n')}\n`);
      await phase('web GET 4 KiB', async () => {
        const get = await wrk(cluster.clientUrl, 'get', [list], { connections: 16, seconds });
        return { ms: seconds * 1000, what: `${get.requestsPerSec.toFixed(0)}/s, ${get.errors} errors` };
      });
    }
  } finally {
    for (const d of cluster.daemons) if (d.child.pid) names.set(d.child.pid, d.name);
    await cluster.stop();
  }
  process.stdout.write(`${timings.join('\n')}\n`);
  const files = (await fs.readdir(out)).filter((f) => f.endsWith('.cpuprofile')).sort();
  for (const f of files) {
    const pid = Number(f.split('.')[3]);
    const who = names.get(pid) ?? 'cli';
    const s = await summarise(path.join(out, f));
    process.stdout.write(
      `\n== ${who} (pid ${pid}): ${(s.wallMs / 1000).toFixed(1)} s profiled, ${(s.busyMs / 1000).toFixed(1)} s busy\n`,
    );
    const cats = Object.entries(s.categories).sort((a, b) => b[1] - a[1]);
    process.stdout.write(
      `   by category: ${cats.map(([k, v]) => `${k} ${(v / 1000).toFixed(2)}s`).join(', ')}\n`,
    );
    for (const h of s.top) {
      process.stdout.write(
        `   ${(h.selfMs / 1000).toFixed(2).padStart(6)} s ${(h.share * 100).toFixed(1).padStart(5)}%  ${h.name}  ${h.where}\n`,
      );
    }
  }
  process.stdout.write(`\nprofiles: ${path.relative(process.cwd(), out)}\n`);
}

runMain('profile', main);
