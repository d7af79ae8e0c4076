// A dfs cluster for the bench: the built binary (`node bin/dfs.js master|node|client`) as child
// processes on free loopback ports, with data in a temporary folder on the machine's /tmp.

import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DFS_BIN, launchDaemon } from '../../src/cli/launch.js';
import { removeDir, trackChild, trackDir } from './cleanup.js';
import { procCpu, type RunOptions, type RunResult, run } from './proc.js';

/** How to start a cluster. */
export interface ClusterOptions {
  nodes?: number;
  chunkSize?: string;
  replication?: number;
  /** Seconds of silence before a node is dead. */
  heartbeatTimeout?: number;
  /** Start the web client too; default true. */
  webClient?: boolean;
  /** Extra node.js flags for every daemon (e.g. --cpu-prof). */
  nodeFlags?: string[];
}

/** One daemon of the cluster. */
export interface Daemon {
  name: string;
  url: string;
  data?: string;
  child: ChildProcess;
  /** Killed on purpose by the bench (a failure drill), so its exit is expected. */
  killed?: boolean;
}

/** A running cluster of child processes. */
export class Cluster {
  readonly daemons: Daemon[] = [];
  private readonly log: string[] = [];

  private constructor(
    readonly dir: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly flags: string[],
  ) {}

  /** Starts master, nodes and (by default) the web client, and waits until every node is alive. */
  static async start(options: ClusterOptions = {}): Promise<Cluster> {
    const dir = trackDir(await fs.mkdtemp(path.join(os.tmpdir(), 'dfs-bench-cluster-')));
    const count = options.nodes ?? 2;
    const env = { ...process.env, DFS_SECRET: randomBytes(24).toString('hex'), DFS_TOKEN: '' };
    const flags = options.nodeFlags ?? [];
    const master = ['master', '--port', '0', '--data', path.join(dir, 'master')];
    if (options.chunkSize) master.push('--chunk-size', options.chunkSize);
    if (options.replication) master.push('--replication', String(options.replication));
    if (options.heartbeatTimeout) master.push('--heartbeat-timeout', String(options.heartbeatTimeout));
    const cluster = new Cluster(dir, env, flags);
    try {
      await cluster.add('master', master);
      await Promise.all(
        Array.from({ length: count }, (_, n) => {
          const data = path.join(dir, `node${n + 1}`);
          return cluster.add(
            `node${n + 1}`,
            ['node', '--port', '0', '--data', data, '--master', cluster.masterUrl],
            {},
            data,
          );
        }),
      );
      if (options.webClient !== false)
        await cluster.add('client', ['client', '--port', '0', '--master', cluster.masterUrl]);
      await cluster.waitFor(async () => {
        const nodes = (await (await fetch(`${cluster.masterUrl}/api/nodes`)).json()) as {
          nodes: { state: string }[];
        };
        return nodes.nodes.filter((n) => n.state === 'alive').length === count;
      }, `${count} live nodes`);
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  /** Starts one more daemon (`dfs ARGS`, with `env` added) and waits until it reports ready. */
  async add(name: string, args: string[], env: NodeJS.ProcessEnv = {}, data?: string): Promise<Daemon> {
    const launched = launchDaemon(args, {
      env: { ...this.env, ...env },
      nodeFlags: this.flags,
      onLine: (line) => {
        if (line) this.log.push(`[${name}] ${line}`);
        if (this.log.length > 400) this.log.splice(0, this.log.length - 200);
      },
    });
    const child = trackChild(launched.process);
    child.once('exit', (code, signal) => this.log.push(`[${name}] exited ${code ?? signal}`));
    const daemon: Daemon = { name, url: '', data, child };
    this.daemons.push(daemon);
    try {
      daemon.url = (await launched.ready).url;
    } catch (err) {
      throw new Error(`${name}: ${(err as Error).message}\n${this.recentLog()}`);
    }
    return daemon;
  }

  /** The master's URL. */
  get masterUrl(): string {
    return this.daemon('master').url;
  }

  /** The daemon called `name` (master, node1…, client). */
  daemon(name: string): Daemon {
    const d = this.daemons.find((x) => x.name === name);
    if (!d) throw new Error(`no daemon ${name}`);
    return d;
  }

  /** SIGKILLs daemon `name` (a crash) and waits until it is gone. */
  async kill(name: string): Promise<void> {
    const d = this.daemon(name);
    d.killed = true;
    const exited = new Promise((resolve) => d.child.once('exit', resolve));
    d.child.kill('SIGKILL');
    await exited;
  }

  /** CPU seconds all live daemons have used so far (for CPU per operation, robust to noise). */
  cpu(): number {
    let total = 0;
    for (const d of this.daemons) if (d.child.pid && !d.killed) total += procCpu(d.child.pid) || 0;
    return total;
  }

  /** The web client's URL. */
  get clientUrl(): string {
    return this.daemon('client').url;
  }

  /** The storage nodes. */
  get nodes(): Daemon[] {
    return this.daemons.filter((d) => d.name.startsWith('node'));
  }

  /** Runs `dfs ARGS --master URL` with the built binary (and the cluster's node.js flags). */
  dfs(args: string[], options: RunOptions = {}): Promise<RunResult> {
    return run(process.execPath, [...this.flags, DFS_BIN, ...args, '--master', this.masterUrl], {
      env: this.env,
      ...options,
    });
  }

  /** The last lines the daemons wrote to stderr. */
  recentLog(lines = 40): string {
    return this.log.slice(-lines).join('\n');
  }

  /** Polls `check` until it is true or `timeoutMs` passes. */
  async waitFor(
    check: () => Promise<boolean>,
    what: string,
    timeoutMs = 30_000,
    everyMs = 100,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let lastError = '';
    for (;;) {
      try {
        if (await check()) return;
      } catch (err) {
        lastError = (err as Error).message;
      }
      const dead = this.daemons.find(
        (d) => !d.killed && (d.child.exitCode !== null || d.child.signalCode !== null),
      );
      if (dead) throw new Error(`${dead.name} exited while waiting for ${what}\n${this.recentLog()}`);
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what} ${lastError}\n${this.recentLog()}`);
      await sleep(everyMs);
    }
  }

  /** Stops every daemon (SIGTERM, then SIGKILL after 10 s) and removes the data folder. */
  async stop(keepData = false): Promise<void> {
    await Promise.all(
      this.daemons.map(async (d) => {
        if (d.child.exitCode !== null || d.child.signalCode !== null) return;
        const exited = new Promise((resolve) => d.child.once('exit', resolve));
        d.child.kill('SIGTERM');
        const timer = setTimeout(() => d.child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }),
    );
    if (!keepData) removeDir(this.dir);
  }
}
