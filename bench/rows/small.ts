// Rows 3 and 4: 4 KiB files at concurrency 16. Uploads per second through the SDK (in this
// process) and through the web client's PUT (wrk), against WebDAV PUTs to nginx (wrk); then
// reads of the same files, against GETs of the same files from nginx (wrk).

import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { DfsClient } from '../../src/sdk/client.js';
import { Cluster } from '../lib/cluster.js';
import type { BenchContext } from '../lib/context.js';
import { closedLoop, once } from '../lib/load.js';
import { makeRow, median, type Row } from '../lib/report.js';
import { type WrkResult, wrk } from '../lib/wrk.js';

/** A 4 KiB body that starts with its own name, so no two are alike. */
function bodyFor(name: string, base: Buffer): Buffer {
  const body = Buffer.from(base);
  body.write(`${name} `);
  return body;
}

/** Rates of one load source over the runs, with what failed. */
class Series {
  readonly rates: number[] = [];
  /** CPU milliseconds per successful operation, summed over the serving processes. */
  readonly cpuMs: number[] = [];
  private errors = 0;
  private total = 0;
  private first = '';

  add(rate: number, errors: number, ok: number, cpuSeconds: number, firstError?: string): void {
    this.rates.push(rate);
    if (ok > 0 && Number.isFinite(cpuSeconds)) this.cpuMs.push((cpuSeconds * 1000) / ok);
    this.errors += errors;
    this.total += ok + errors;
    this.first ||= firstError ?? '';
  }

  /** Median CPU ms per operation, as text. */
  cpuText(): string {
    const m = median(this.cpuMs);
    return Number.isFinite(m) ? `${m.toFixed(m < 1 ? 3 : 2)} ms` : '-';
  }

  /** A note when operations failed (their failures are not counted in the rate). */
  note(): string | undefined {
    if (this.errors === 0) return undefined;
    return `${this.errors} of ${this.total} operations failed${this.first ? ` (${this.first})` : ' (HTTP errors)'}`;
  }
}

async function drain(source: AsyncIterable<Buffer>): Promise<number> {
  let n = 0;
  for await (const piece of source) n += piece.length;
  return n;
}

/** wrk's rate counts failed requests too: only successful ones are counted here. */
function addWrk(series: Series, r: WrkResult, cpuSeconds: number): void {
  const ok = r.requests - r.errors;
  series.add((r.requestsPerSec * ok) / Math.max(1, r.requests), r.errors, ok, cpuSeconds);
}

/** CPU seconds this process has used (it runs the SDK load). */
function selfCpu(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Runs `fn` and returns its result with the CPU seconds `counter` advanced meanwhile. */
async function withCpu<T>(counter: () => number, fn: () => Promise<T>): Promise<[T, number]> {
  const before = counter();
  const result = await fn();
  return [result, counter() - before];
}

/** Rows 3a, 3b, 4a and 4b. */
export async function smallRows(ctx: BenchContext): Promise<Row[]> {
  const { smallFile, concurrency, loadSeconds, readSet } = ctx.sizes;
  const base = randomBytes(smallFile);
  const cluster = await Cluster.start(ctx.clusterDefaults());
  const sdk = new DfsClient({ master: cluster.masterUrl });
  const load = { connections: concurrency, seconds: loadSeconds };
  const nginx = ctx.wrk ? ctx.nginx : undefined;
  const tag = Date.now().toString(36);
  try {
    const sdkUpload = (prefix: string, seconds: number) =>
      closedLoop(concurrency, { seconds }, async (n) => {
        const name = `${prefix}-${n}`;
        await sdk.upload(once(bodyFor(`${tag}${name}`, base)), name);
      });
    // Warm-up (JIT, connections), not timed.
    await sdkUpload('/warm/sdk', 1);
    if (ctx.wrk)
      await wrk(cluster.clientUrl, 'put', ['/api/files/warm/web', String(smallFile)], {
        ...load,
        seconds: 1,
      });
    const up = { sdk: new Series(), web: new Series(), nginx: new Series() };
    const dfsCpu = () => cluster.cpu();
    const sdkCpu = () => cluster.cpu() + selfCpu();
    for (let i = 1; i <= ctx.options.runs; i++) {
      if (nginx) {
        const put = [`/small/r${i}`, String(smallFile)];
        addWrk(up.nginx, ...(await withCpu(nginx.cpu, () => wrk(nginx.url, 'put', put, load))));
      }
      const [s, cpu] = await withCpu(sdkCpu, () => sdkUpload(`/small/sdk-r${i}`, loadSeconds));
      up.sdk.add(s.perSec, s.errors, s.done, cpu, s.firstError);
      if (ctx.wrk) {
        const put = [`/api/files/small/web-r${i}`, String(smallFile)];
        addWrk(up.web, ...(await withCpu(dfsCpu, () => wrk(cluster.clientUrl, 'put', put, load))));
      }
      ctx.log(
        `small uploads ${i}: sdk ${s.perSec.toFixed(0)}/s, web ${up.web.rates.at(-1)?.toFixed(0) ?? '-'}/s, nginx ${up.nginx.rates.at(-1)?.toFixed(0) ?? '-'}/s`,
      );
    }

    // The read set: the same files in nginx's root and in dfs.
    const names = Array.from({ length: readSet }, (_, i) => `/read/f${String(i).padStart(5, '0')}`);
    if (ctx.nginx) await fs.mkdir(path.join(ctx.nginx.root, 'read'), { recursive: true });
    await closedLoop(concurrency, { total: names.length }, async (n) => {
      const name = names[n] as string;
      const body = bodyFor(`${tag}${name}`, base);
      if (ctx.nginx) await fs.writeFile(path.join(ctx.nginx.root, name), body);
      await sdk.upload(once(body), name);
    });
    const nginxList = path.join(ctx.work, 'paths-nginx.txt');
    const webList = path.join(ctx.work, 'paths-web.txt');
    await fs.writeFile(nginxList, `${names.join('\n')}\n`);
    await fs.writeFile(webList, `${names.map((n) => `/api/download${n}`).join('\n')}\n`);
    const sdkRead = (seconds: number) =>
      closedLoop(concurrency, { seconds }, async (n) => {
        const got = await drain(sdk.download(names[n % names.length] as string));
        if (got !== smallFile) throw new Error(`read ${got} bytes instead of ${smallFile}`);
      });
    await sdkRead(1);
    if (ctx.wrk) await wrk(cluster.clientUrl, 'get', [webList], { ...load, seconds: 1 });
    const down = { sdk: new Series(), web: new Series(), nginx: new Series() };
    for (let i = 1; i <= ctx.options.runs; i++) {
      if (nginx)
        addWrk(down.nginx, ...(await withCpu(nginx.cpu, () => wrk(nginx.url, 'get', [nginxList], load))));
      const [s, cpu] = await withCpu(sdkCpu, () => sdkRead(loadSeconds));
      down.sdk.add(s.perSec, s.errors, s.done, cpu, s.firstError);
      if (ctx.wrk)
        addWrk(down.web, ...(await withCpu(dfsCpu, () => wrk(cluster.clientUrl, 'get', [webList], load))));
      ctx.log(
        `small reads ${i}: sdk ${s.perSec.toFixed(0)}/s, web ${down.web.rates.at(-1)?.toFixed(0) ?? '-'}/s, nginx ${down.nginx.rates.at(-1)?.toFixed(0) ?? '-'}/s`,
      );
    }
    // CPU per operation is the figure least moved by other load on the machine.
    const notes = (dfs: Series, base: Series, who: string) =>
      [
        nginx ? '' : 'nginx or wrk missing: no baseline',
        `CPU per op ${dfs.cpuText()} (${who}) vs ${base.cpuText()} (nginx)`,
        dfs.note(),
        base.note() && `nginx: ${base.note()}`,
      ]
        .filter(Boolean)
        .join('; ');
    const kib = `${smallFile / 1024} KiB`;
    const rows = [
      makeRow(
        {
          id: '3a',
          what: `${kib} uploads/s, c=${concurrency} (SDK)`,
          baselineWhat: 'nginx WebDAV PUTs/s (wrk)',
          unit: '/s',
          target: 0.3,
          better: 'higher',
          note: notes(up.sdk, up.nginx, 'daemons + SDK process'),
        },
        up.sdk.rates,
        up.nginx.rates,
      ),
    ];
    if (ctx.wrk)
      rows.push(
        makeRow(
          {
            id: '3b',
            what: `${kib} uploads/s, c=${concurrency} (web client PUT, wrk)`,
            baselineWhat: 'nginx WebDAV PUTs/s (wrk)',
            unit: '/s',
            target: 0.3,
            better: 'higher',
            note: notes(up.web, up.nginx, 'daemons'),
          },
          up.web.rates,
          up.nginx.rates,
        ),
      );
    rows.push(
      makeRow(
        {
          id: '4a',
          what: `${kib} reads/s, c=${concurrency} (SDK)`,
          baselineWhat: 'nginx GETs/s of the same files (wrk)',
          unit: '/s',
          target: 0.3,
          better: 'higher',
          note: notes(down.sdk, down.nginx, 'daemons + SDK process'),
        },
        down.sdk.rates,
        down.nginx.rates,
      ),
    );
    if (ctx.wrk)
      rows.push(
        makeRow(
          {
            id: '4b',
            what: `${kib} reads/s, c=${concurrency} (web client GET, wrk)`,
            baselineWhat: 'nginx GETs/s of the same files (wrk)',
            unit: '/s',
            target: 0.3,
            better: 'higher',
            note: notes(down.web, down.nginx, 'daemons'),
          },
          down.web.rates,
          down.nginx.rates,
        ),
      );
    return rows;
  } finally {
    await cluster.stop();
  }
}
