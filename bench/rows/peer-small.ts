// Rows 8 and 9: 4 KiB files against MooseFS (goal 2, fsync before close), side by side in one run.
// Writes: fresh files with 16 writers, through the web client's PUT, the S3 gateway's PutObject
// and `dfs upload DIR` against the same load on the MooseFS mount; reads: the same files through
// the web client and the S3 gateway, page cache dropped before each run.
// dfs and MooseFS take turns going first, run by run. CPU per operation is summed over the
// serving processes of each side (dfs: master, nodes, web client; MooseFS: master with its data
// writer, chunkservers, mfsmount); a client tool in the path (`dfs upload`, `cp`, `cat`) is added
// in the rows that name it, and the load generator's own CPU is given in the notes.
// A third side, the floor (floor.ts), takes the same web loads: four bare node:http processes
// doing only what makes a small write replicated and durable. Its rows show how close any design
// of this shape in Node could come to the targets.
//
// What an acknowledged write means: dfs answers a PUT (and `dfs upload` finishes a file) once
// both replicas are fsynced and the manifest is committed durably. MooseFS's close() returns once
// both chunkservers hold the bytes; with HDD_FSYNC_BEFORE_CLOSE they fsync the chunk when they
// close it, about 0.1 s later (an fsync() on the mount does not wait for it either), and the
// master writes its change log without fsync. So MooseFS acknowledges less than dfs does.

import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { dropCaches } from '../lib/caches.js';
import { Cluster } from '../lib/cluster.js';
import type { BenchContext } from '../lib/context.js';
import { WriteFloor } from '../lib/floor.js';
import { ensureMooseFs, MooseFs } from '../lib/moosefs.js';
import { procCpu, run } from '../lib/proc.js';
import { makeRow, median, type Row } from '../lib/report.js';
import { S3_BUCKET, startGateway } from '../lib/s3-client.js';
import { type LoadMode, smallBody, smallLoad } from '../lib/small-load.js';

/** One side's samples over the runs. */
class Side {
  readonly rates: number[] = [];
  /** Serving processes' CPU ms per operation (plus the client tool where one is counted). */
  readonly cpu: number[] = [];
  /** The load generator's or client tool's own CPU ms per operation. */
  readonly app: number[] = [];
  /** Each serving process's CPU ms per operation, by role. */
  readonly parts = new Map<string, number[]>();
  errors = 0;
  firstError = '';

  add(
    r: { ok: number; errors: number; ms: number; appMs: number; firstError?: string },
    cpuS: Record<string, number>,
  ) {
    const perOp = (seconds: number) => (seconds * 1000) / Math.max(1, r.ok);
    this.rates.push(r.ok / (r.ms / 1000));
    this.cpu.push(perOp(Object.values(cpuS).reduce((a, b) => a + b, 0)));
    for (const [role, seconds] of Object.entries(cpuS))
      this.parts.set(role, [...(this.parts.get(role) ?? []), perOp(seconds)]);
    this.app.push(r.appMs / Math.max(1, r.ok));
    this.errors += r.errors;
    this.firstError ||= r.firstError ?? '';
  }

  text(): string {
    const ms = (v: number) => `${v.toFixed(3)} ms`;
    const failed = this.errors ? `, ${this.errors} failed (${this.firstError})` : '';
    const parts = [...this.parts].map(([role, v]) => `${role} ${median(v).toFixed(2)}`).join(', ');
    return `servers ${ms(median(this.cpu))}/op (${parts}), load generator ${ms(median(this.app))}/op${failed}`;
  }
}

/** CPU seconds by role now, and the difference of two such readings. */
type Reading = () => Record<string, number>;
function since(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)]));
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Rows 8a–8f and 9a–9e. */
export async function peerSmallRows(ctx: BenchContext): Promise<Row[]> {
  const why = await ensureMooseFs((m) => ctx.log(m));
  if (why) throw new Error(`MooseFS unavailable, rows 8 and 9 skipped: ${why}`);
  const { smallFile: size, concurrency, peerFiles: count } = ctx.sizes;
  const seed = randomBytes(size);
  const list = (prefix: string, n = count) =>
    Array.from({ length: n }, (_, i) => `${prefix}/f${String(i).padStart(5, '0')}`);
  // Each cp or cat process takes its share of the list: `concurrency` processes, one after another.
  const perProcess = Math.ceil(count / concurrency);
  const mfs = await MooseFs.start({ parent: ctx.work });
  const cluster = await Cluster.start({ ...ctx.clusterDefaults(), replication: 2 }).catch(async (err) => {
    await mfs.stop();
    throw err;
  });
  const floor = await WriteFloor.start(ctx.work).catch(async (err) => {
    await cluster.stop();
    await mfs.stop();
    throw err;
  });
  try {
    const gateway = await startGateway(cluster);
    const s3 = `${gateway.url.origin}/${S3_BUCKET}/peer/`;
    const put = `${cluster.clientUrl}/api/files/peer/`;
    const get = `${cluster.clientUrl}/api/download/peer/`;
    const into = `${mfs.mount}/`;
    const bare = `${floor.url}/`;
    const load = async (mode: LoadMode, base: string, names: string[]) => {
      const r = await smallLoad(
        { mode, base, names, size, concurrency, seed: seed.toString('hex') },
        ctx.work,
      );
      return { ...r, appMs: r.cpuMs };
    };
    const dfsCpu: Reading = () =>
      Object.fromEntries(cluster.daemons.map((d) => [d.name, procCpu(d.child.pid ?? 0) || 0]));
    const mfsCpu: Reading = () => mfs.cpuByProcess();
    const floorCpu: Reading = () => floor.cpuByProcess();
    const measure = async (
      side: Side,
      cpu: Reading,
      body: () => Promise<{ ok: number; errors: number; ms: number; appMs: number }>,
    ) => {
      const before = cpu();
      const r = await body();
      side.add(r, since(before, cpu()));
    };
    // Warm-up (JIT, connections, the mount's first chunks), not counted: as many operations as a
    // run on every side. V8 compiles a Node daemon's hot code over its first few thousand small
    // operations, on threads of its own too: per 4 KiB write, dfs's CPU fell from 8.0 to 3.5 ms
    // over its first 6,000 and the floor's from 2.8 to 1.5 (`bench/micro/cpu-per-op.ts --modes
    // http-put,floor-put --rounds 6 --files 1000 --warm 0`); 200 left most of it in the first run.
    const warm = list('warm');
    await load('http-put', put, warm);
    await load('fs-write', into, warm);
    await load('http-get', get, warm);
    await load('s3-put', s3, list('warm-s3'));
    await load('s3-get', s3, list('warm-s3'));
    await load('fs-read', into, warm);
    await load('http-put', bare, warm);
    await load('http-get', bare, warm);

    const w = {
      put: new Side(),
      mfs: new Side(),
      upload: new Side(),
      cp: new Side(),
      s3: new Side(),
      floor: new Side(),
    };
    for (let i = 1; i <= ctx.options.runs; i++) {
      const names = list(`w${i}`);
      const src = path.join(ctx.work, `small-src-${i}`);
      await fs.mkdir(src);
      for (const name of list(`d${i}`))
        await fs.writeFile(path.join(src, path.basename(name)), smallBody(seed, name));
      const srcList = path.join(ctx.work, `small-src-${i}.list`);
      await fs.writeFile(
        srcList,
        `${list('')
          .map((n) => n.slice(1))
          .join('\n')}\n`,
      );
      await fs.mkdir(path.join(mfs.mount, `d${i}`));
      const dfsSide = async () => {
        await measure(w.put, dfsCpu, () => load('http-put', put, names));
        // Names of its own: a body is made from its name, and the same bytes would be stored already.
        await measure(w.s3, dfsCpu, () => load('s3-put', s3, list(`s${i}`)));
        await measure(w.upload, dfsCpu, async () => {
          const r = await cluster.dfs(['upload', src, `/peer/d${i}`], { rss: true });
          return { ok: count, errors: 0, ms: r.ms, appMs: (r.cpu ?? Number.NaN) * 1000 };
        });
      };
      const mfsSide = async () => {
        await measure(w.mfs, mfsCpu, () => load('fs-write', into, names));
        await measure(w.cp, mfsCpu, async () => {
          const dest = path.join(mfs.mount, `d${i}`);
          const cmd = `cd ${quote(src)} && xargs -a ${quote(srcList)} -P${concurrency} -n${perProcess} cp -t ${quote(dest)}`;
          const r = await run('sh', ['-c', cmd], { rss: true });
          return { ok: count, errors: 0, ms: r.ms, appMs: (r.cpu ?? Number.NaN) * 1000 };
        });
      };
      const floorSide = () => measure(w.floor, floorCpu, () => load('http-put', bare, names));
      for (const go of turns(i, [dfsSide, mfsSide, floorSide])) await go();
      await fs.rm(src, { recursive: true });
      await fs.rm(srcList);
      const last = (s: Side) => s.rates.at(-1)?.toFixed(0);
      ctx.log(
        `small writes ${i}: dfs PUT ${last(w.put)}/s, S3 PUT ${last(w.s3)}/s, MooseFS ${last(w.mfs)}/s, floor ${last(w.floor)}/s; dfs upload DIR ${last(w.upload)}/s, xargs cp ${last(w.cp)}/s`,
      );
    }

    // Reads: the files of the first write run, the same names and bytes on both sides (and the
    // S3 gateway's own from that run).
    const names = list('w1');
    const catList = path.join(ctx.work, 'small-cat.list');
    await fs.writeFile(catList, `${names.map((n) => path.join(mfs.mount, n)).join('\n')}\n`);
    const r = { get: new Side(), mfs: new Side(), cat: new Side(), s3: new Side(), floor: new Side() };
    let cold = true;
    const coldly = async <T>(fn: () => Promise<T>) => {
      cold = (await dropCaches()) && cold;
      return fn();
    };
    for (let i = 1; i <= ctx.options.runs; i++) {
      const dfsSide = async () => {
        await coldly(() => measure(r.get, dfsCpu, () => load('http-get', get, names)));
        await coldly(() => measure(r.s3, dfsCpu, () => load('s3-get', s3, list('s1'))));
      };
      const mfsSide = async () => {
        await coldly(() => measure(r.mfs, mfsCpu, () => load('fs-read', into, names)));
        await coldly(() =>
          measure(r.cat, mfsCpu, async () => {
            const cmd = `xargs -a ${quote(catList)} -P${concurrency} -n${perProcess} cat > /dev/null`;
            const res = await run('sh', ['-c', cmd], { rss: true });
            return { ok: count, errors: 0, ms: res.ms, appMs: (res.cpu ?? Number.NaN) * 1000 };
          }),
        );
      };
      const floorSide = () => coldly(() => measure(r.floor, floorCpu, () => load('http-get', bare, names)));
      for (const go of turns(i, [dfsSide, mfsSide, floorSide])) await go();
      const last = (s: Side) => s.rates.at(-1)?.toFixed(0);
      ctx.log(
        `small reads ${i}: dfs GET ${last(r.get)}/s, S3 GET ${last(r.s3)}/s, MooseFS ${last(r.mfs)}/s, floor ${last(r.floor)}/s, xargs cat ${last(r.cat)}/s`,
      );
    }
    return rows(w, r, { count, concurrency, cold });
  } finally {
    await Promise.all([cluster.stop(), floor.stop()]);
    await mfs.stop();
  }
}

/** The order run `i` takes the sides in: each goes first in turn, and the order flips. */
function turns<T>(i: number, sides: T[]): T[] {
  const shift = (i - 1) % sides.length;
  const order = [...sides.slice(shift), ...sides.slice(0, shift)];
  return i % 2 === 1 ? order : order.reverse();
}

type Writes = Record<'put' | 'mfs' | 'upload' | 'cp' | 's3' | 'floor', Side>;
type Reads = Record<'get' | 'mfs' | 'cat' | 's3' | 'floor', Side>;

function rows(w: Writes, r: Reads, o: { count: number; concurrency: number; cold: boolean }): Row[] {
  const c = o.concurrency;
  const files = `${o.count} × 4 KiB`;
  const rate = { unit: '/s', target: 2, better: 'higher' as const };
  const cpu = { unit: 'ms', better: 'lower' as const };
  // The client tool's CPU is in the path for `dfs upload` and cp/cat: counted in those rows.
  const withTool = (s: Side) => s.cpu.map((v, i) => v + (s.app[i] ?? Number.NaN));
  const cold = o.cold ? 'page cache dropped before each run' : 'page cache NOT dropped (not root)';
  return [
    makeRow(
      {
        id: '8a',
        what: `${files} writes/s, c=${c}, 2 copies (web client PUT)`,
        baselineWhat: `MooseFS goal 2: ${c} writers open/write/close`,
        ...rate,
        note: `dfs ${w.put.text()}; MooseFS ${w.mfs.text()}. dfs acks after both replicas fsync; MooseFS close() does not wait for its chunkservers' fsync`,
      },
      w.put.rates,
      w.mfs.rates,
    ),
    makeRow(
      {
        id: '8b',
        what: `${files} writes/s (dfs upload DIR)`,
        baselineWhat: `MooseFS: xargs -P${c} cp of the same folder`,
        ...rate,
        note: `dfs ${w.upload.text().replace('load generator', 'dfs upload CLI')}; MooseFS ${w.cp.text().replace('load generator', 'sh+xargs+cp')}`,
      },
      w.upload.rates,
      w.cp.rates,
    ),
    makeRow(
      {
        id: '8c',
        what: 'CPU ms per 4 KiB write: master + nodes + web client (PUT)',
        baselineWhat: 'MooseFS master + chunkservers + mfsmount',
        ...cpu,
        absoluteMax: 1,
        note: 'load generators (same program on both sides) not counted: see 8a',
      },
      w.put.cpu,
      w.mfs.cpu,
    ),
    makeRow(
      {
        id: '8d',
        what: 'CPU ms per 4 KiB write: all dfs daemons + dfs upload CLI',
        baselineWhat: 'MooseFS servers + mfsmount + sh/xargs/cp',
        ...cpu,
        absoluteMax: 1,
      },
      withTool(w.upload),
      withTool(w.cp),
    ),
    makeRow(
      {
        id: '8e',
        what: `${files} writes/s, c=${c}, 2 copies (S3 PutObject)`,
        baselineWhat: `MooseFS goal 2: ${c} writers open/write/close`,
        ...rate,
        note: `dfs ${w.s3.text()}; signed with SigV4 over an unsigned payload, as the AWS SDKs sign over TLS`,
      },
      w.s3.rates,
      w.mfs.rates,
    ),
    makeRow(
      {
        id: '8f',
        what: 'CPU ms per 4 KiB write: master + nodes + S3 gateway (PutObject)',
        baselineWhat: 'MooseFS master + chunkservers + mfsmount',
        ...cpu,
        absoluteMax: 1,
        note: 'load generators (same program on both sides) not counted: see 8e',
      },
      w.s3.cpu,
      w.mfs.cpu,
    ),
    makeRow(
      {
        id: '8g',
        what: `${files} writes/s, c=${c}: the floor (bare node:http, 2 fsynced copies, a batched fsynced log)`,
        baselineWhat: `MooseFS goal 2: ${c} writers open/write/close`,
        ...rate,
        note: `the floor ${w.floor.text()}: could any design of dfs's shape in Node reach the target`,
      },
      w.floor.rates,
      w.mfs.rates,
    ),
    makeRow(
      {
        id: '8h',
        what: 'CPU ms per 4 KiB write: master + nodes + web client (PUT)',
        baselineWhat: 'the floor: front + 2 stores + log',
        ...cpu,
        note: 'what dfs does beyond moving the bytes durably: placement, leases, chunk ids and checks, receipts, metrics',
      },
      w.put.cpu,
      w.floor.cpu,
    ),
    makeRow(
      {
        id: '9a',
        what: `${files} reads/s, c=${c} (web client GET)`,
        baselineWhat: `MooseFS: ${c} readers open/read/close`,
        ...rate,
        note: `${cold}; dfs ${r.get.text()}; MooseFS ${r.mfs.text()}`,
      },
      r.get.rates,
      r.mfs.rates,
    ),
    makeRow(
      {
        id: '9b',
        what: `${files} reads/s, c=${c} (web client GET)`,
        baselineWhat: `MooseFS: xargs -P${c} cat > /dev/null`,
        ...rate,
        note: `MooseFS ${r.cat.text().replace('load generator', 'sh+xargs+cat')}`,
      },
      r.get.rates,
      r.cat.rates,
    ),
    makeRow(
      {
        id: '9c',
        what: 'CPU ms per 4 KiB read: master + nodes + web client (GET)',
        baselineWhat: 'MooseFS master + chunkservers + mfsmount',
        ...cpu,
        absoluteMax: 0.5,
        note: 'load generators (same program on both sides) not counted: see 9a',
      },
      r.get.cpu,
      r.mfs.cpu,
    ),
    makeRow(
      {
        id: '9d',
        what: `${files} reads/s, c=${c} (S3 GetObject)`,
        baselineWhat: `MooseFS: ${c} readers open/read/close`,
        ...rate,
        note: `${cold}; dfs ${r.s3.text()}`,
      },
      r.s3.rates,
      r.mfs.rates,
    ),
    makeRow(
      {
        id: '9e',
        what: 'CPU ms per 4 KiB read: master + nodes + S3 gateway (GetObject)',
        baselineWhat: 'MooseFS master + chunkservers + mfsmount',
        ...cpu,
        absoluteMax: 0.5,
        note: 'load generators (same program on both sides) not counted: see 9d',
      },
      r.s3.cpu,
      r.mfs.cpu,
    ),
    makeRow(
      {
        id: '9f',
        what: `${files} reads/s, c=${c}: the floor (bare node:http, a batched lookup, one copy read)`,
        baselineWhat: `MooseFS: ${c} readers open/read/close`,
        ...rate,
        note: `${cold}; the floor ${r.floor.text()}`,
      },
      r.floor.rates,
      r.mfs.rates,
    ),
    makeRow(
      {
        id: '9g',
        what: 'CPU ms per 4 KiB read: master + nodes + web client (GET)',
        baselineWhat: 'the floor: front + log + 2 stores',
        ...cpu,
        note: 'what dfs does beyond moving the bytes: locations, the SHA-256 check of every byte, metrics',
      },
      r.get.cpu,
      r.floor.cpu,
    ),
  ];
}
