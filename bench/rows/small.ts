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
import { makeRow, type Row } from '../lib/report.js';
import { wrk } from '../lib/wrk.js';

/** A 4 KiB body that starts with its own name, so no two are alike. */
function bodyFor(name: string, base: Buffer): Buffer {
  const body = Buffer.from(base);
  body.write(`${name} `);
  return body;
}

async function drain(source: AsyncIterable<Buffer>): Promise<number> {
  let n = 0;
  for await (const piece of source) n += piece.length;
  return n;
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
    const up = { sdk: [] as number[], web: [] as number[], nginx: [] as number[], errors: 0, first: '' };
    for (let i = 1; i <= ctx.options.runs; i++) {
      if (nginx)
        up.nginx.push(
          (await wrk(nginx.url, 'put', [`/small/r${i}`, String(smallFile)], load)).requestsPerSec,
        );
      const s = await sdkUpload(`/small/sdk-r${i}`, loadSeconds);
      up.sdk.push(s.perSec);
      up.errors += s.errors;
      up.first ||= s.firstError ?? '';
      if (ctx.wrk) {
        const w = await wrk(
          cluster.clientUrl,
          'put',
          [`/api/files/small/web-r${i}`, String(smallFile)],
          load,
        );
        up.web.push(w.requestsPerSec);
        up.errors += w.errors;
      }
      ctx.log(
        `small uploads ${i}: sdk ${s.perSec.toFixed(0)}/s, web ${up.web.at(-1)?.toFixed(0) ?? '-'}/s, nginx ${up.nginx.at(-1)?.toFixed(0) ?? '-'}/s`,
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
    const down = { sdk: [] as number[], web: [] as number[], nginx: [] as number[], errors: 0, first: '' };
    for (let i = 1; i <= ctx.options.runs; i++) {
      if (nginx) down.nginx.push((await wrk(nginx.url, 'get', [nginxList], load)).requestsPerSec);
      const s = await sdkRead(loadSeconds);
      down.sdk.push(s.perSec);
      down.errors += s.errors;
      down.first ||= s.firstError ?? '';
      if (ctx.wrk) {
        const w = await wrk(cluster.clientUrl, 'get', [webList], load);
        down.web.push(w.requestsPerSec);
        down.errors += w.errors;
      }
      ctx.log(
        `small reads ${i}: sdk ${s.perSec.toFixed(0)}/s, web ${down.web.at(-1)?.toFixed(0) ?? '-'}/s, nginx ${down.nginx.at(-1)?.toFixed(0) ?? '-'}/s`,
      );
    }
    const missing = nginx ? '' : 'nginx or wrk missing: no baseline. ';
    const errors = (e: { errors: number; first: string }) =>
      e.errors > 0 ? `${e.errors} failed operations (${e.first || 'HTTP errors'}). ` : '';
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
          note: `${missing}${errors(up)}` || undefined,
        },
        up.sdk,
        up.nginx,
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
          },
          up.web,
          up.nginx,
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
          note: `${missing}${errors(down)}` || undefined,
        },
        down.sdk,
        down.nginx,
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
          },
          down.web,
          down.nginx,
        ),
      );
    return rows;
  } finally {
    await cluster.stop();
  }
}
