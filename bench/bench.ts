// `npm run bench [-- --quick] [--runs N] [--only 1,3,peer-small] [--chunk-size 8MiB] [--help]`: dfs measured
// side by side with raw disk, nginx and MooseFS on this machine, each row a ratio against its
// baseline (issue 6; MooseFS: "Small files and reads: ahead of a real peer DFS"; PostgreSQL
// against LMDB: row 13).
// Prints a table and writes bench/results/latest.json. Exits 0 whether or not targets are met.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchArgs, UsageError, wholeNumber } from './lib/args.js';
import { cleanupAll, cleanupOnSignals, runMain, trackDir } from './lib/cleanup.js';
import { BenchContext, type BenchOptions } from './lib/context.js';
import { ensureNginx, type Nginx, startNginx } from './lib/nginx.js';
import { printTable, type Row, writeJson } from './lib/report.js';
import { ensureWrk } from './lib/wrk.js';
import { largeRows } from './rows/large.js';
import { memoryRows } from './rows/memory.js';
import { metadataRows } from './rows/metadata.js';
import { peerLargeRows } from './rows/peer-large.js';
import { peerSmallRows } from './rows/peer-small.js';
import { postgresRows } from './rows/postgres.js';
import { repairRows } from './rows/repair.js';
import { s3Rows } from './rows/s3.js';
import { smallRows } from './rows/small.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));

function parseOptions(argv: string[]): BenchOptions {
  const values = benchArgs(
    usage(),
    {
      quick: { type: 'boolean', default: false },
      runs: { type: 'string' },
      only: { type: 'string', default: '' },
      'chunk-size': { type: 'string' },
      out: { type: 'string', default: path.join(HERE, 'results', 'latest.json') },
    },
    argv,
  );
  const runs = values.runs !== undefined ? wholeNumber('runs', values.runs) : values.quick ? 1 : 3;
  const only = new Set((values.only ?? '').split(',').filter(Boolean));
  const known = new Set(ROWS.flatMap(([ids, name]) => [...ids, name]));
  const unknown = [...only].filter((r) => !known.has(r));
  if (unknown.length > 0) throw new UsageError(`no row ${unknown.join(', ')}: rows are ${rowNames()}`);
  return {
    quick: values.quick ?? false,
    runs,
    chunkSize: values['chunk-size'],
    only,
    out: path.resolve(values.out ?? ''),
  };
}

function machineFacts(options: BenchOptions): Record<string, unknown> {
  const git = (args: string[]) => {
    try {
      return execFileSync('git', args, { cwd: HERE, encoding: 'utf8' }).trim();
    } catch {
      return '';
    }
  };
  return {
    date: new Date().toISOString(),
    nproc: os.availableParallelism(),
    cpu: os.cpus()[0]?.model ?? '',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    kernel: os.release(),
    commit: git(['rev-parse', '--short', 'HEAD']),
    dirty: git(['status', '--porcelain', '--', '../src']) !== '',
    quick: options.quick,
    runs: options.runs,
    chunkSize: options.chunkSize ?? 'master default',
    load: os.loadavg().map((l) => Number(l.toFixed(2))),
  };
}

// Each group of rows: the row numbers it produces and a name, either of which `--only` takes.
const ROWS: [string[], string, (ctx: BenchContext) => Promise<Row[]>][] = [
  [['1', '2'], 'large', largeRows],
  [['3', '4'], 'small', smallRows],
  [['5'], 'memory', memoryRows],
  [['6'], 'metadata', metadataRows],
  [['7'], 'repair', repairRows],
  [['8', '9'], 'peer-small', peerSmallRows],
  [['10'], 'peer-large', peerLargeRows],
  [['11', '12'], 's3', s3Rows],
  [['13'], 'postgres', postgresRows],
];

function rowNames(): string {
  return ROWS.map(([ids, name]) => `${ids.join(', ')} (${name})`).join(', ');
}

function usage(): string {
  return `usage: npm run bench [-- OPTIONS]
  --quick            smaller files, one run per row
  --runs N           runs per row (default 3; 1 with --quick)
  --only ROWS        these rows only, by number or name, comma-separated:
                     ${rowNames()}
  --chunk-size SIZE  the master's chunk size (default: the master's own)
  --out FILE         the results file (default bench/results/latest.json)`;
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  cleanupOnSignals();
  const facts = machineFacts(options);
  process.stdout.write(
    `dfs bench: nproc ${facts.nproc} (${facts.cpu}), ${facts.memoryGiB} GiB, node ${facts.node}, load ${(facts.load as number[]).join(' ')}, ${options.quick ? 'quick' : 'full'} run, ${options.runs} run(s) per row, chunk size ${facts.chunkSize}\n`,
  );
  const work = trackDir(await fs.mkdtemp(path.join(os.tmpdir(), 'dfs-bench-')));
  const log = (m: string) => process.stderr.write(`bench: ${m}\n`);
  const nginxBinary = await ensureNginx(log);
  const hasWrk = await ensureWrk(log);
  let nginx: Nginx | undefined;
  if (nginxBinary) {
    try {
      nginx = await startNginx(nginxBinary);
    } catch (err) {
      log(`nginx did not start (${(err as Error).message}): the nginx rows are skipped`);
    }
  }
  const ctx = new BenchContext(options, work, nginx, hasWrk);
  const rows: Row[] = [];
  const failures: string[] = [];
  const started = Date.now();
  try {
    for (const [ids, name, fn] of ROWS) {
      if (options.only.size > 0 && ![...ids, name].some((i) => options.only.has(i))) continue;
      const id = `${ids.join('+')} (${name})`;
      const t = Date.now();
      try {
        rows.push(...(await fn(ctx)));
      } catch (err) {
        // A row that cannot run is reported, and the others still run.
        failures.push(`row ${id}: ${(err as Error).stack ?? err}`);
        log(`row ${id} failed: ${(err as Error).message}`);
      }
      log(`row ${id} took ${((Date.now() - t) / 1000).toFixed(0)} s`);
    }
  } finally {
    await nginx?.stop().catch(() => {});
    cleanupAll();
  }
  printTable(rows);
  for (const f of failures) process.stdout.write(`FAILED ${f}\n`);
  await writeJson(
    options.out,
    { ...facts, seconds: Math.round((Date.now() - started) / 1000), failures },
    rows,
  );
  process.stdout.write(`results: ${path.relative(process.cwd(), options.out)}\n`);
  return failures.length > 0 && rows.length === 0 ? 1 : 0;
}

runMain('bench', main);
