// Rows 1 and 2: a large file uploaded with `dfs upload` (replication 2) against the same bytes
// written twice with dd conv=fsync, and downloaded with `dfs download` and the web client's
// download route against curl of the same file from nginx.

import fs from 'node:fs/promises';
import path from 'node:path';
import { Cluster } from '../lib/cluster.js';
import type { BenchContext } from '../lib/context.js';
import { stampFile } from '../lib/files.js';
import { run } from '../lib/proc.js';
import { makeRow, median, type Row } from '../lib/report.js';

const MB = 1e6;

/** Times `curl -o /dev/null URL` and checks the status and byte count. */
async function curlDownload(url: string, size: number, cpu?: number[]): Promise<number> {
  const r = await run('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code} %{size_download}', url], {
    rss: true,
  });
  cpu?.push(r.cpu ?? Number.NaN);
  const [status, bytes] = r.stdout.trim().split(' ');
  if (status !== '200' || Number(bytes) !== size)
    throw new Error(`curl ${url}: HTTP ${status} with ${bytes} bytes, expected 200 with ${size}`);
  return r.ms;
}

/** Runs a measurement; a failure is kept as a note and counts as no sample. */
async function attempt(notes: string[], what: string, measure: () => Promise<number>): Promise<number> {
  try {
    return await measure();
  } catch (err) {
    notes.push(`${what} failed: ${(err as Error).message.split('\n')[0]}`);
    return Number.NaN;
  }
}

/** Rows 1, 2a and 2b. */
export async function largeRows(ctx: BenchContext): Promise<Row[]> {
  const size = ctx.sizes.large;
  const file = await ctx.bigFile();
  const label = `${size / 1024 / 1024} MiB`;
  const cluster = await Cluster.start(ctx.clusterDefaults());
  try {
    const up = { dfs: [] as number[], base: [] as number[], rss: [] as number[] };
    // CPU seconds per GiB, all processes of each side: the figure other load moves least.
    const gib = size / 2 ** 30;
    const cpu = {
      up: [] as number[],
      dd: [] as number[],
      cli: [] as number[],
      web: [] as number[],
      nginx: [] as number[],
    };
    const perGiB = (list: number[]) => `${median(list).toFixed(2)}`;
    let remote = '';
    for (let i = 1; i <= ctx.options.runs; i++) {
      await stampFile(file, size, `up${i}-${Date.now()}`);
      // Baseline: the same bytes written twice, each copy fsynced (what replication 2 must do).
      let ddMs = 0;
      let ddCpu = 0;
      for (const copy of ['dd1', 'dd2']) {
        const out = path.join(ctx.work, copy);
        const dd = await run('dd', [`if=${file}`, `of=${out}`, 'bs=4M', 'conv=fsync'], { rss: true });
        ddMs += dd.ms;
        ddCpu += dd.cpu ?? Number.NaN;
      }
      cpu.dd.push(ddCpu / gib);
      await Promise.all(['dd1', 'dd2'].map((c) => fs.rm(path.join(ctx.work, c), { force: true })));
      remote = `/bench/big-${i}`;
      const before = cluster.cpu();
      const r = await cluster.dfs(['upload', file, remote], { rss: true });
      cpu.up.push((cluster.cpu() - before + (r.cpu ?? Number.NaN)) / gib);
      up.base.push(size / MB / (ddMs / 1000));
      up.dfs.push(size / MB / (r.ms / 1000));
      if (r.peakRss) up.rss.push(r.peakRss);
      ctx.log(
        `upload ${i}: dfs ${(size / MB / (r.ms / 1000)).toFixed(0)} MB/s, dd×2 ${(size / MB / (ddMs / 1000)).toFixed(0)} MB/s`,
      );
    }
    const rows = [
      makeRow(
        {
          id: '1',
          what: `upload ${label}, replication 2 (dfs upload)`,
          baselineWhat: 'dd conv=fsync of the same file, twice',
          unit: 'MB/s',
          target: 0.5,
          better: 'higher',
          note: `file MB/s (each side writes 2 copies); CPU s/GiB ${perGiB(cpu.up)} (all dfs processes) vs ${perGiB(cpu.dd)} (dd); dfs upload CLI peak RSS ${(Math.max(...up.rss) / MB).toFixed(0)} MB`,
        },
        up.dfs,
        up.base,
      ),
    ];
    // The last uploaded file holds exactly the bytes now in the big file (and in nginx's root).
    const cli: number[] = [];
    const web: number[] = [];
    const base: number[] = [];
    const cliNotes: string[] = [];
    const webNotes: string[] = [];
    const webUrl = `${cluster.clientUrl}/api/download${remote}`;
    const mbps = (ms: number) => size / MB / (ms / 1000);
    for (let i = 1; i <= ctx.options.runs; i++) {
      const nginx = ctx.nginx;
      if (nginx) {
        const curlCpu: number[] = [];
        const before = nginx.cpu();
        base.push(mbps(await curlDownload(`${nginx.url}/big.bin`, size, curlCpu)));
        cpu.nginx.push((nginx.cpu() - before + (curlCpu[0] ?? Number.NaN)) / gib);
      }
      let before = cluster.cpu();
      const ms = await attempt(cliNotes, 'dfs download', async () => {
        const r = await cluster.dfs(['download', remote, '/dev/null'], { rss: true });
        cpu.cli.push((cluster.cpu() - before + (r.cpu ?? Number.NaN)) / gib);
        return r.ms;
      });
      cli.push(mbps(ms));
      before = cluster.cpu();
      const curlCpu: number[] = [];
      web.push(mbps(await attempt(webNotes, 'web download', () => curlDownload(webUrl, size, curlCpu))));
      cpu.web.push((cluster.cpu() - before + (curlCpu[0] ?? Number.NaN)) / gib);
      ctx.log(
        `download ${i}: dfs cli ${cli.at(-1)?.toFixed(0)} MB/s, web ${web.at(-1)?.toFixed(0)} MB/s, nginx ${base.at(-1)?.toFixed(0) ?? '-'} MB/s`,
      );
    }
    const skipped = ctx.nginx ? [] : ['nginx missing: no baseline'];
    const note = (n: string[]) => [...skipped, ...new Set(n)].join('; ') || undefined;
    rows.push(
      makeRow(
        {
          id: '2a',
          what: `download ${label} (dfs download REMOTE /dev/null)`,
          baselineWhat: 'curl of the same file from nginx',
          unit: 'MB/s',
          target: 0.6,
          better: 'higher',
          note: note([
            `CPU s/GiB ${perGiB(cpu.cli)} (all dfs processes) vs ${perGiB(cpu.nginx)} (nginx + curl)`,
            ...cliNotes,
          ]),
        },
        cli.filter(Number.isFinite),
        base,
      ),
      makeRow(
        {
          id: '2b',
          what: `download ${label} (web client, curl)`,
          baselineWhat: 'curl of the same file from nginx',
          unit: 'MB/s',
          target: 0.6,
          better: 'higher',
          note: note([
            `CPU s/GiB ${perGiB(cpu.web)} (all dfs processes + curl) vs ${perGiB(cpu.nginx)} (nginx + curl)`,
            ...webNotes,
          ]),
        },
        web.filter(Number.isFinite),
        base,
      ),
    );
    return rows;
  } finally {
    await cluster.stop();
  }
}
