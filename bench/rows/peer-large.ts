// Row 10: a large file against MooseFS (goal 2, fsync before close) and against the ceiling of a
// verifying reader in Node. Upload: `dfs upload` against `cp` into the mount (and `cp` + `sync`,
// which makes MooseFS's copies durable too); download, page cache dropped before each: `dfs
// download` against `cat` from the mount and against a bare node:http client that SHA-256s the
// same bytes served by nginx. dfs and its baselines take turns going first, run by run.

import { dropCaches } from '../lib/caches.js';
import { Cluster } from '../lib/cluster.js';
import type { BenchContext } from '../lib/context.js';
import { stampFile } from '../lib/files.js';
import { ensureMooseFs, MooseFs } from '../lib/moosefs.js';
import { type RunResult, run } from '../lib/proc.js';
import { makeRow, median, type Row } from '../lib/report.js';
import { shaGet } from '../lib/sha-client.js';

const MB = 1e6;

/** Throughput and CPU (seconds per GiB, serving processes + the client tool) of one side. */
class Side {
  readonly mbps: number[] = [];
  readonly cpu: number[] = [];
  readonly rss: number[] = [];

  constructor(private readonly size: number) {}

  add(ms: number, cpuS: number, peakRss?: number): void {
    this.mbps.push(this.size / MB / (ms / 1000));
    this.cpu.push(cpuS / (this.size / 2 ** 30));
    if (peakRss) this.rss.push(peakRss);
  }

  text(): string {
    const rss = this.rss.length ? `, client peak RSS ${(Math.max(...this.rss) / MB).toFixed(0)} MB` : '';
    return `CPU ${median(this.cpu).toFixed(2)} s/GiB${rss}`;
  }
}

/** Runs a command that must finish, and returns it with the CPU `counter` advanced meanwhile. */
async function timed<T extends RunResult>(counter: () => number, fn: () => Promise<T>): Promise<[T, number]> {
  const before = counter();
  const r = await fn();
  return [r, counter() - before + (r.cpu ?? Number.NaN)];
}

/** Rows 10a, 10b and 10c. */
export async function peerLargeRows(ctx: BenchContext): Promise<Row[]> {
  const why = await ensureMooseFs((m) => ctx.log(m));
  if (why) throw new Error(`MooseFS unavailable, row 10 skipped: ${why}`);
  const size = ctx.sizes.large;
  const file = await ctx.bigFile();
  const mfs = await MooseFs.start({ parent: ctx.work });
  const cluster = await Cluster.start({ ...ctx.clusterDefaults(), replication: 2 }).catch(async (err) => {
    await mfs.stop();
    throw err;
  });
  const dfsCpu = () => cluster.cpu();
  const mfsCpu = () => mfs.cpu();
  try {
    const up = { dfs: new Side(size), cp: new Side(size), cpSync: new Side(size) };
    for (let i = 1; i <= ctx.options.runs; i++) {
      await stampFile(file, size, `peer${i}-${Date.now()}`);
      const dfsSide = async () => {
        const [r, cpu] = await timed(dfsCpu, () =>
          cluster.dfs(['upload', file, `/peer/big-${i}`], { rss: true }),
        );
        up.dfs.add(r.ms, cpu, r.peakRss);
      };
      const mfsSide = async () => {
        const [r, cpu] = await timed(mfsCpu, () => run('cp', [file, `${mfs.mount}/big-${i}`], { rss: true }));
        up.cp.add(r.ms, cpu);
        // sync() writes out every dirty page of the machine: the chunkservers' copies included.
        const [s, syncCpu] = await timed(mfsCpu, () => run('sync', [], { rss: true }));
        up.cpSync.add(r.ms + s.ms, cpu + syncCpu);
      };
      for (const go of i % 2 === 1 ? [dfsSide, mfsSide] : [mfsSide, dfsSide]) await go();
      const last = (s: Side) => s.mbps.at(-1)?.toFixed(0);
      ctx.log(
        `large upload ${i}: dfs ${last(up.dfs)} MB/s, MooseFS cp ${last(up.cp)} MB/s, cp+sync ${last(up.cpSync)} MB/s`,
      );
    }
    // The last upload holds exactly the bytes now in the big file, which nginx serves.
    const remote = `/peer/big-${ctx.options.runs}`;
    const down = { dfs: new Side(size), cat: new Side(size), sha: new Side(size) };
    let cold = true;
    const coldly = async (fn: () => Promise<void>) => {
      cold = (await dropCaches()) && cold;
      await fn();
    };
    const nginx = ctx.nginx;
    for (let i = 1; i <= ctx.options.runs; i++) {
      const dfsSide = () =>
        coldly(async () => {
          const [r, cpu] = await timed(dfsCpu, () =>
            cluster.dfs(['download', remote, '/dev/null'], { rss: true }),
          );
          down.dfs.add(r.ms, cpu, r.peakRss);
        });
      const baselines = async () => {
        await coldly(async () => {
          const path = `${mfs.mount}${remote.replace('/peer', '')}`;
          const [r, cpu] = await timed(mfsCpu, () => run('cat', [path], { stdout: 'null', rss: true }));
          down.cat.add(r.ms, cpu);
        });
        if (!nginx) return;
        await coldly(async () => {
          const [r, cpu] = await timed(nginx.cpu, () => shaGet(`${nginx.url}/big.bin`));
          if (r.status !== 200 || r.bytes !== size)
            throw new Error(`nginx answered ${r.status} with ${r.bytes} bytes, expected ${size}`);
          down.sha.add(r.ms, cpu, r.peakRss);
        });
      };
      for (const go of i % 2 === 1 ? [dfsSide, baselines] : [baselines, dfsSide]) await go();
      const last = (s: Side) => s.mbps.at(-1)?.toFixed(0) ?? '-';
      ctx.log(
        `large download ${i}: dfs ${last(down.dfs)} MB/s, MooseFS cat ${last(down.cat)} MB/s, node sha256 from nginx ${last(down.sha)} MB/s`,
      );
    }
    const label = `${size / 2 ** 20} MiB`;
    const cache = cold ? 'page cache dropped before each download' : 'page cache NOT dropped (not root)';
    return [
      makeRow(
        {
          id: '10a',
          what: `upload ${label}, 2 copies (dfs upload)`,
          baselineWhat: 'MooseFS goal 2: cp into the mount',
          unit: 'MB/s',
          target: 1,
          better: 'higher',
          note: `dfs ${up.dfs.text()} (daemons + CLI); MooseFS ${up.cp.text()} (servers + mfsmount + cp); MooseFS cp + sync (durable) ${median(up.cpSync.mbps).toFixed(0)} MB/s`,
        },
        up.dfs.mbps,
        up.cp.mbps,
      ),
      makeRow(
        {
          id: '10b',
          what: `download ${label} (dfs download REMOTE /dev/null)`,
          baselineWhat: 'MooseFS: cat from the mount',
          unit: 'MB/s',
          better: 'higher',
          note: `${cache}; dfs ${down.dfs.text()} (daemons + CLI); MooseFS ${down.cat.text()} (servers + mfsmount + cat)`,
        },
        down.dfs.mbps,
        down.cat.mbps,
      ),
      makeRow(
        {
          id: '10c',
          what: `download ${label} (dfs download REMOTE /dev/null)`,
          baselineWhat: 'bare node:http + SHA-256 from nginx',
          unit: 'MB/s',
          target: 0.9,
          better: 'higher',
          note: nginx
            ? `${cache}; node client ${down.sha.text()} (nginx + client)`
            : 'nginx missing: no baseline',
        },
        down.dfs.mbps,
        down.sha.mbps,
      ),
    ];
  } finally {
    await cluster.stop();
    await mfs.stop();
  }
}
