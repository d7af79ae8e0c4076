// `npm run chaos -- [--seconds 300] [--writers 8] [--postgres [--masters 3]] [--via sdk|web|dav|s3]`:
// nothing acknowledged is lost, whatever dies. Writers upload, overwrite, delete, rename and read
// small files (each writer its own paths, one call at a time) through the SDK, or through a front
// users' tools talk to (the web client's API or its WebDAV, or the S3 gateway with the AWS SDK: a
// rename is a copy and a delete there, and some uploads are multipart). A read may fail, but what
// it answers must be a state the path's calls allow, as at the end. Meanwhile the cluster is hurt
// every 2 to 6 seconds: a node, the master or the front killed (-9) and started again, a node
// stopped (SIGTERM), a daemon frozen (SIGSTOP) for up to 7 s — past the 3 s heartbeat timeout — and
// a node's disk lost (its folder wiped; only while every file has all its copies, as replication 2
// promises no more). With --postgres, three masters (or --masters) share a PostgreSQL that is also
// crashed and frozen. Then the cluster heals (`fsck` clean) and every path must read as a state its
// calls allow: what an acknowledged call left, or for a call that failed, the state before it or
// after it. Exit 1 on any violation. Not one of `npm run bench`'s rows: it checks correctness, not
// speed.

import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { DfsClient } from '../src/sdk/client.js';
import { collect } from '../test/helpers/cluster.js';
import { PostgresServer, postgresAvailable } from '../test/helpers/postgres.js';
import { type Daemon, ProcCluster } from '../test/helpers/processes.js';
import { benchArgs, UsageError, wholeNumber } from './lib/args.js';
import { codeOf, type Refused, ROOT, startWay, WAYS, type Way, type WayName } from './lib/chaos-ways.js';
import { cleanupOnSignals, runMain, trackDir } from './lib/cleanup.js';

const USAGE = `usage: npm run chaos -- [--seconds 300] [--writers 8] [--postgres [--masters 3]] [--via sdk]
  --seconds   how long the cluster is hurt (then it heals and every file is checked)
  --writers   writers at once, each on 30 paths of its own
  --postgres  three masters on a throwaway PostgreSQL 15 (crashed and frozen too), not one on LMDB
  --masters   how many masters share PostgreSQL (1 to 5)
  --via       how the writers write: sdk, web (the web client's API), dav (its WebDAV) or s3
              (the S3 gateway, through the AWS SDK); the web client or the gateway is hurt too`;

const PATHS_PER_WRITER = 30;
const ABSENT = 'absent';
const HEAL_TIMEOUT = 180_000;

/** What a path may hold: content hashes, or ABSENT. */
type States = Set<string>;

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T;
const folderOf = (p: string) => p.slice(0, p.lastIndexOf('/'));

// Mostly small files (the metadata's work), some of several 64 KiB chunks, some empty, a few over
// 5 MiB (in two parts through S3).
function body(): Buffer {
  const r = Math.random();
  const small = (n: number) => Math.floor(Math.random() * n);
  return randomBytes(
    r < 0.1 ? 0 : r < 0.6 ? small(8192) : r < 0.98 ? small(300_000) : 5 * 1024 * 1024 + small(300_000),
  );
}

class Soak {
  readonly expected = new Map<string, States>();
  readonly violations: string[] = [];
  readonly counts = { acknowledged: 0, failed: 0, reads: 0 };
  readonly failures = new Map<string, number>();
  readonly events: string[] = [];
  running = true;
  private readonly t0 = Date.now();

  constructor(
    /** Reads and checks; the writers write through `way`. */
    readonly sdk: DfsClient,
    readonly way: Way,
    readonly cluster: ProcCluster,
    readonly pg: PostgresServer | undefined,
  ) {}

  private stamp(): string {
    return `${((Date.now() - this.t0) / 1000).toFixed(1)}s`;
  }

  private failed(call: string, err: unknown): void {
    this.counts.failed++;
    // Errors without their ids and numbers, so alike ones count together.
    const reason = `${call} ${codeOf(err)}: ${(err as Error).message}`.replace(/[0-9a-f-]{16,}|\d+/g, 'N');
    this.failures.set(reason, (this.failures.get(reason) ?? 0) + 1);
  }

  async writer(paths: string[]): Promise<void> {
    while (this.running) {
      const [p, q] = [pick(paths), pick(paths)];
      const r = Math.random();
      const call = r < 0.3 ? 'read' : r < 0.42 ? 'remove' : r < 0.5 && p !== q ? 'move' : 'upload';
      const calls = {
        read: () => this.read(p),
        remove: () => this.remove(p),
        move: () => this.move(p, q),
        upload: () => this.upload(p),
      };
      try {
        await calls[call]();
        this.counts.acknowledged++;
      } catch (err) {
        this.failed(call, err);
      }
    }
  }

  // Each call below records what it left when acknowledged; when it failed, the states it may have
  // left are added to those its paths may hold, and the error goes on. A refusal (not found, the
  // target taken) is an answer: nothing changed.

  private states(p: string): States {
    return this.expected.get(p) as States;
  }

  private notFound(call: string, p: string, before: States): void {
    if (!before.has(ABSENT))
      this.violations.push(`${this.stamp()} ${call} ${p}: not found, yet it held a file`);
  }

  private async remove(p: string): Promise<void> {
    const before = this.states(p);
    let refused: Refused | undefined;
    try {
      refused = await this.way.remove(p);
    } catch (err) {
      before.add(ABSENT);
      throw err;
    }
    if (refused) this.notFound('remove', p, before);
    this.expected.set(p, new Set([ABSENT]));
  }

  private async move(p: string, q: string): Promise<void> {
    const [before, target] = [this.states(p), this.states(q)];
    let refused: Refused | undefined;
    try {
      refused = await this.way.move(p, q);
    } catch (err) {
      for (const state of before) target.add(state);
      before.add(ABSENT);
      throw err;
    }
    if (refused === 'exists') {
      if (target.size === 1 && target.has(ABSENT))
        this.violations.push(`${this.stamp()} move ${p} ${q}: target taken, yet it held nothing`);
      return;
    }
    if (refused === 'not_found') this.notFound('move', p, before);
    else this.expected.set(q, new Set(before));
    this.expected.set(p, new Set([ABSENT]));
  }

  // A read changes nothing; what it answers must be a state the path may hold.
  private async read(p: string): Promise<void> {
    const got = await this.way.read(p);
    const found = got === 'not_found' ? ABSENT : sha256(got);
    if (!this.states(p).has(found))
      this.violations.push(`${this.stamp()} read ${p}: ${this.unlike(found, p)}`);
    this.counts.reads++;
  }

  // What a path holds against what it may: for a violation.
  private unlike(found: string, p: string): string {
    const allowed = [...this.states(p)].map((s) => s.slice(0, 12)).join(' or ');
    return `holds ${found.slice(0, 70)}, allowed ${allowed}`;
  }

  private async upload(p: string): Promise<void> {
    const data = body();
    const hash = sha256(data);
    try {
      await this.way.upload(p, data);
    } catch (err) {
      this.states(p).add(hash);
      throw err;
    }
    this.expected.set(p, new Set([hash]));
  }

  private async healthy(): Promise<boolean> {
    const report = await this.sdk.fsck('/').catch(() => undefined);
    return report !== undefined && report.underReplicatedFiles === 0 && report.missingFiles === 0;
  }

  private async event(what: string, act: () => Promise<void>): Promise<void> {
    this.events.push(`${this.stamp()} ${what}`);
    await act();
  }

  /** Hurts the cluster every 2 to 6 s for `seconds`. */
  async hurt(seconds: number): Promise<void> {
    const { cluster, pg } = this;
    const end = Date.now() + seconds * 1000;
    while (Date.now() < end) {
      await sleep(2000 + Math.random() * 4000);
      const node = pick(cluster.nodes);
      // A master, or as often the front when there is one.
      const { front } = this.way;
      const head = front && Math.random() < 0.5 ? front : pick(cluster.masters);
      const r = Math.random();
      const frozen = (d: Daemon | PostgresServer) =>
        this.event(`freeze ${d instanceof PostgresServer ? 'PostgreSQL' : d.name}`, async () => {
          if (d instanceof PostgresServer) d.freeze();
          else d.signal('SIGSTOP');
          await sleep(1000 + Math.random() * 6000);
          if (d instanceof PostgresServer) d.thaw();
          else d.signal('SIGCONT');
        });
      const killed = (d: Daemon) =>
        this.event(`kill -9 ${d.name}`, async () => {
          await d.kill();
          await sleep(Math.random() * 4000);
          await d.start();
        });
      if (r < 0.25) await killed(node);
      else if (r < 0.4) await killed(head);
      else if (r < 0.5)
        await this.event(`stop ${node.name}`, async () => {
          await node.kill('SIGTERM');
          await node.start();
        });
      else if (r < 0.65) await frozen(Math.random() < 0.5 ? head : node);
      else if (r < 0.75 && pg)
        await (Math.random() < 0.5
          ? frozen(pg)
          : this.event('crash PostgreSQL', async () => {
              await pg.crash();
              await sleep(Math.random() * 3000);
              await pg.restart();
            }));
      else if (await this.healthy())
        await this.event(`disk of ${node.name} lost`, async () => {
          await node.kill();
          await fs.rm(node.data, { recursive: true, force: true });
          await node.start();
        });
    }
  }

  /** Waits until every file has all its copies; how long it took, ms. */
  async heal(): Promise<number> {
    const start = Date.now();
    while (!(await this.healthy())) {
      if (Date.now() - start > HEAL_TIMEOUT) {
        this.violations.push(`not healed ${HEAL_TIMEOUT / 1000} s after the last hurt`);
        break;
      }
      await sleep(500);
    }
    return Date.now() - start;
  }

  /** Reads every path back; a state no call allows is a violation. */
  async check(): Promise<void> {
    for (const [p, allowed] of this.expected) {
      let found: string;
      try {
        found = sha256(await collect(this.sdk.download(p)));
      } catch (err) {
        found = codeOf(err) === 'not_found' ? ABSENT : `unreadable (${(err as Error).message})`;
      }
      if (!allowed.has(found)) this.violations.push(`${p}: ${this.unlike(found, p)}`);
    }
  }
}

async function main(): Promise<number> {
  const args = benchArgs(USAGE, {
    seconds: { type: 'string', default: '300' },
    writers: { type: 'string', default: '8' },
    postgres: { type: 'boolean', default: false },
    masters: { type: 'string' },
    via: { type: 'string', default: 'sdk' },
  });
  const via = args.via as WayName;
  if (!WAYS.includes(via)) throw new UsageError(`--via: one of ${WAYS.join(', ')}`);
  const seconds = wholeNumber('seconds', args.seconds);
  const writers = wholeNumber('writers', args.writers);
  if (args.masters !== undefined && !args.postgres) throw new UsageError('--masters needs --postgres');
  const masters = args.postgres ? wholeNumber('masters', args.masters ?? '3') : 1;
  if (masters > 5) throw new UsageError('--masters: 1 to 5');
  if (args.postgres && !postgresAvailable('chaos --postgres'))
    throw new UsageError('--postgres needs PostgreSQL 15');
  cleanupOnSignals();
  // Both stop their processes on any exit by themselves; the cluster's folder is removed then too.
  const pg = args.postgres ? await PostgresServer.start() : undefined;
  const meta = pg ? await pg.createDatabase('chaos') : '';
  const cluster = await ProcCluster.start({ nodes: pg ? 4 : 3, meta, masters, gcGrace: 2 });
  trackDir(cluster.dir);
  const sdk = new DfsClient({ master: cluster.masters.map((m) => m.url) });
  const paths = Array.from({ length: writers }, (_, w) =>
    Array.from({ length: PATHS_PER_WRITER }, (_, i) => `/${ROOT}/w${w}/d${i % 3}/f${i}`),
  );
  const way = await startWay(via, cluster, sdk, [...new Set(paths.flat().map(folderOf))]);
  const soak = new Soak(sdk, way, cluster, pg);
  for (const p of paths.flat()) soak.expected.set(p, new Set([ABSENT]));
  const where = pg
    ? `${masters} master${masters > 1 ? 's' : ''} on PostgreSQL, 4 nodes`
    : '1 master on LMDB, 3 nodes';
  console.log(`chaos: ${where}, replication 2, ${writers} writers through ${via}, ${seconds} s of hurt`);
  const writing = paths.map((mine) => soak.writer(mine));
  await soak.hurt(seconds);
  soak.running = false;
  await Promise.all(writing);
  const healed = await soak.heal();
  await soak.check();
  console.log(`hurt: ${soak.events.join(', ')}`);
  const { acknowledged, failed, reads } = soak.counts;
  console.log(`calls: ${acknowledged} acknowledged (${reads} of them reads, each checked), ${failed} failed`);
  for (const [reason, n] of [...soak.failures].sort((a, b) => b[1] - a[1]).slice(0, 12))
    console.log(`  ${String(n).padStart(6)} × ${reason}`);
  console.log(
    `healed ${(healed / 1000).toFixed(1)} s after the last hurt; ${soak.expected.size} paths read back`,
  );
  for (const v of soak.violations.slice(0, 30)) console.log(`VIOLATION ${v}`);
  if (soak.violations.length > 0) console.log(cluster.logs(30));
  await cluster.close();
  await pg?.close();
  if (soak.violations.length > 0) {
    console.log(`chaos: ${soak.violations.length} violation(s)`);
    return 1;
  }
  console.log('chaos: every path holds a state its calls allow');
  return 0;
}

runMain('chaos', main);
