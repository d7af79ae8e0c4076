// MooseFS as the peer DFS of the bench: Debian's packages, one master and two chunkservers (fsync
// before close) in a network namespace of the bench's own, mounted with mfsmount at goal 2.

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { removeDir, trackChild, trackCleanup, trackDir } from './cleanup.js';
import { aptInstall, type RunOptions, type RunResult, run } from './proc.js';

// Each package with a file that shows it is installed.
const PACKAGES: [string, string][] = [
  ['moosefs-master', '/usr/sbin/mfsmaster'],
  ['moosefs-chunkserver', '/usr/sbin/mfschunkserver'],
  ['moosefs-client', '/usr/bin/mfsmount'],
  ['fuse3', '/usr/bin/fusermount3'],
];

// Chunkservers refuse a 127.x master, so everything lives on a link-local address inside the
// namespace; the address is private to the namespace, so two benches at once do not collide.
const ADDRESS = '169.254.77.2';
const MASTER_PORT = 9420;

/**
 * Makes sure MooseFS can run here, installing the Debian packages that are missing; returns why
 * it cannot, or undefined when it can.
 */
export async function ensureMooseFs(log: (m: string) => void): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'MooseFS needs root (network namespace, FUSE mount, chunkservers)';
  for (const [pkg, file] of PACKAGES) {
    if (existsSync(file)) continue;
    const why = await aptInstall(pkg, log);
    if (why || !existsSync(file)) return `could not install ${pkg}: ${why ?? `no ${file} after install`}`;
  }
  if (!existsSync('/dev/fuse')) return 'no /dev/fuse on this machine';
  return undefined;
}

/** One MooseFS process the bench started (its descendants are found from /proc). */
interface Proc {
  name: string;
  child: ChildProcess;
}

/** How to start MooseFS. */
export interface MooseFsOptions {
  /** Folder to create MooseFS's own folder in (the bench's scratch folder, the disk dfs uses). */
  parent: string;
  chunkservers?: number;
  /** Copies of every chunk (mfssetgoal). */
  goal?: number;
}

/** CPU seconds of a process and everything below it, reaped children included. */
function treeCpu(pid: number): number {
  let total = 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime, stime, cutime, cstime: a helper the process forked and reaped still counts.
    for (const i of [11, 12, 13, 14]) total += Number(fields[i]) / 100;
  } catch {
    return 0;
  }
  for (const child of descendants(pid, false)) total += treeCpu(child);
  return total;
}

/** The children of `pid` (every thread's), and with `deep` theirs too. */
function descendants(pid: number, deep = true): number[] {
  const found: number[] = [];
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      for (const c of text ? text.split(/\s+/).map(Number) : []) {
        found.push(c);
        if (deep) found.push(...descendants(c));
      }
    }
  } catch {
    // gone
  }
  return found;
}

/** A running MooseFS: master, chunkservers and a FUSE mount, all children of this process. */
export class MooseFs {
  private readonly procs: Proc[] = [];
  private readonly log: string[] = [];
  private forget: () => void = () => {};

  private constructor(
    readonly dir: string,
    /** Where the file system is mounted. */
    readonly mount: string,
    private readonly ns: string,
    private readonly veth: string,
  ) {}

  /** Starts master, chunkservers and the mount, and waits until a file gets all its copies. */
  static async start(options: MooseFsOptions): Promise<MooseFs> {
    const dir = trackDir(await fs.mkdtemp(path.join(options.parent, 'moosefs-')));
    const tag = `${process.pid.toString(36)}${Math.random().toString(36).slice(2, 6)}`;
    const mfs = new MooseFs(dir, path.join(dir, 'mnt'), `dfsbench-${tag}`, `dfsb${tag}`.slice(0, 13));
    mfs.forget = trackCleanup(() => mfs.cleanupSync());
    try {
      await mfs.boot(options.chunkservers ?? 2, options.goal ?? 2);
    } catch (err) {
      await mfs.stop();
      throw new Error(`${(err as Error).message}\n${mfs.recentLog()}`);
    }
    return mfs;
  }

  private async boot(chunkservers: number, goal: number): Promise<void> {
    await this.network();
    const master = path.join(this.dir, 'master');
    await fs.mkdir(master);
    await fs.mkdir(this.mount);
    // An empty metadata file, as Debian's metadata.mfs.empty holds.
    await fs.writeFile(path.join(master, 'metadata.mfs'), 'MFSM NEW');
    await fs.writeFile(path.join(master, 'mfsexports.cfg'), '*\t/\trw,alldirs,admin,maproot=0:0\n*\t.\trw\n');
    await fs.writeFile(path.join(master, 'mfstopology.cfg'), '');
    const common = [
      // Run as root in our folders; the same nice level as dfs's daemons (MooseFS's default is -19).
      'WORKING_USER = root',
      'WORKING_GROUP = root',
      'NICE_LEVEL = 0',
    ];
    await this.config(path.join(master, 'mfsmaster.cfg'), [
      ...common,
      `DATA_PATH = ${master}`,
      `EXPORTS_FILENAME = ${path.join(master, 'mfsexports.cfg')}`,
      `TOPOLOGY_FILENAME = ${path.join(master, 'mfstopology.cfg')}`,
      `MATOML_LISTEN_HOST = ${ADDRESS}`,
      `MATOCS_LISTEN_HOST = ${ADDRESS}`,
      `MATOCS_LISTEN_PORT = ${MASTER_PORT}`,
      `MATOCL_LISTEN_HOST = ${ADDRESS}`,
    ]);
    this.spawn('master', ['mfsmaster', '-f', '-c', path.join(master, 'mfsmaster.cfg')]);
    await this.waitLog('master', /mfsmaster daemon initialized properly/, 1);
    for (let i = 1; i <= chunkservers; i++) {
      const cs = path.join(this.dir, `cs${i}`);
      await fs.mkdir(path.join(cs, 'data'), { recursive: true });
      await fs.writeFile(path.join(cs, 'mfshdd.cfg'), `${path.join(cs, 'data')}\n`);
      await this.config(path.join(cs, 'mfschunkserver.cfg'), [
        ...common,
        `DATA_PATH = ${cs}`,
        `HDD_CONF_FILENAME = ${path.join(cs, 'mfshdd.cfg')}`,
        // The durability dfs gives every replica; MooseFS's default is 0.
        'HDD_FSYNC_BEFORE_CLOSE = 1',
        `MASTER_HOST = ${ADDRESS}`,
        `MASTER_PORT = ${MASTER_PORT}`,
        `CSSERV_LISTEN_HOST = ${ADDRESS}`,
        `CSSERV_LISTEN_PORT = ${9422 + i}`,
      ]);
      this.spawn(`cs${i}`, ['mfschunkserver', '-f', '-c', path.join(cs, 'mfschunkserver.cfg')]);
    }
    await this.waitLog('master', /chunkserver register end/, chunkservers);
    this.spawn('mount', ['mfsmount', '-f', '-H', ADDRESS, '-o', 'mfsnice=0', this.mount]);
    await this.waitFor('the FUSE mount', async () => this.mounted());
    await this.exec('mfssetgoal', ['-r', String(goal), this.mount]);
    // Chunkservers register before they have scanned their folders: write until a file lands
    // with every copy.
    const probe = path.join(this.mount, '.probe');
    await this.waitFor(`a file with ${goal} copies`, async () => {
      await fs.writeFile(probe, 'probe');
      const info = await this.exec('mfsfileinfo', [probe], { check: false });
      return (info.stdout.match(/status:VALID/g) ?? []).length >= goal;
    });
    await fs.rm(probe);
  }

  /** The namespace and a veth pair whose inner end carries the link-local address. */
  private async network(): Promise<void> {
    await run('ip', ['netns', 'add', this.ns]);
    await run('ip', ['link', 'add', `${this.veth}a`, 'type', 'veth', 'peer', 'name', `${this.veth}b`]);
    await run('ip', ['link', 'set', `${this.veth}b`, 'netns', this.ns]);
    await run('ip', ['-n', this.ns, 'addr', 'add', `${ADDRESS}/30`, 'dev', `${this.veth}b`]);
    await run('ip', ['-n', this.ns, 'link', 'set', `${this.veth}b`, 'up']);
    await run('ip', ['-n', this.ns, 'link', 'set', 'lo', 'up']);
    // The outer end stays without an address: it only gives the inner end a carrier.
    await run('ip', ['link', 'set', `${this.veth}a`, 'up']);
  }

  private async config(file: string, lines: string[]): Promise<void> {
    await fs.writeFile(file, `${lines.join('\n')}\n`);
  }

  private spawn(name: string, argv: string[]): void {
    const child = trackChild(
      spawn('nsenter', [`--net=/run/netns/${this.ns}`, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] }),
    );
    const keep = (d: Buffer) => {
      for (const line of d.toString().split('\n')) if (line) this.log.push(`[${name}] ${line}`);
      if (this.log.length > 2000) this.log.splice(0, 1000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.once('exit', (code, signal) => this.log.push(`[${name}] exited ${code ?? signal}`));
    this.procs.push({ name, child });
  }

  /** Runs a MooseFS tool (mfssetgoal, mfsfileinfo…) inside the namespace, where the master is. */
  exec(tool: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
    return run('nsenter', [`--net=/run/netns/${this.ns}`, tool, ...args], options);
  }

  private mounted(): boolean {
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8');
    return mounts.split('\n').some((line) => line.split(' ')[4] === this.mount);
  }

  private async waitLog(name: string, pattern: RegExp, count: number): Promise<void> {
    await this.waitFor(`${name}: ${pattern.source}`, async () => {
      const lines = this.log.filter((l) => l.startsWith(`[${name}]`) && pattern.test(l));
      // The master prints each line twice in the foreground (syslog copy and plain).
      return new Set(lines.map((l) => l.replace(/^\[\w+\] (\w+\[\d+\]: )?/, ''))).size >= count;
    });
  }

  private async waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      try {
        if (await check()) return;
      } catch (err) {
        last = (err as Error).message;
      }
      const dead = this.procs.find((p) => p.child.exitCode !== null || p.child.signalCode !== null);
      if (dead) throw new Error(`MooseFS ${dead.name} exited while waiting for ${what}`);
      if (Date.now() > deadline) throw new Error(`MooseFS: timed out waiting for ${what} ${last}`);
      await sleep(100);
    }
  }

  /** PIDs by role (master, cs1…, mount), each with its descendants (the master's data writer). */
  pids(): Record<string, number[]> {
    const out: Record<string, number[]> = {};
    for (const p of this.procs) if (p.child.pid) out[p.name] = [p.child.pid, ...descendants(p.child.pid)];
    return out;
  }

  /** CPU seconds used so far by every MooseFS process: master, chunkservers and mfsmount. */
  cpu(): number {
    return Object.values(this.cpuByProcess()).reduce((a, b) => a + b, 0);
  }

  /** CPU seconds used so far, by role. */
  cpuByProcess(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const p of this.procs) out[p.name] = p.child.pid ? treeCpu(p.child.pid) : 0;
    return out;
  }

  /** The last lines the MooseFS processes printed. */
  recentLog(lines = 30): string {
    return this.log.slice(-lines).join('\n');
  }

  /** Unmounts, kills every process, deletes the namespace and the folder; safe twice. */
  async stop(): Promise<void> {
    this.unmount();
    // SIGTERM first: the master then reaps its data writer, which a SIGKILL would leave behind
    // as a zombie of init.
    const running = this.procs.filter((p) => p.child.exitCode === null && p.child.signalCode === null);
    const exits = running.map((p) => new Promise((resolve) => p.child.once('exit', resolve)));
    for (const p of running) p.child.kill('SIGTERM');
    await Promise.race([Promise.all(exits), sleep(15_000)]);
    this.cleanupSync();
    await Promise.all(exits);
    this.forget();
    removeDir(this.dir);
  }

  private unmount(): void {
    if (!existsSync(this.mount) || !this.mounted()) return;
    try {
      // Lazy: a busy or dead mount is detached all the same, so the folder can go.
      execFileSync('umount', ['-l', this.mount], { stdio: 'ignore' });
    } catch {
      // already gone
    }
  }

  /** Every undo step, synchronously (also run by the bench's cleanup on any way out). */
  private cleanupSync(): void {
    this.unmount();
    // Descendants first (the master's data writer), then the processes themselves.
    const pids = Object.values(this.pids()).flatMap((list) => [...list.slice(1), list[0] as number]);
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    for (const argv of [
      ['netns', 'del', this.ns],
      ['link', 'del', `${this.veth}a`],
    ]) {
      try {
        execFileSync('ip', argv, { stdio: 'ignore' });
      } catch {
        // never made, or gone with the namespace
      }
    }
  }
}
