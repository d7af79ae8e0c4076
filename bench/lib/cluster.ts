// A dfs cluster for the bench: the built binary (`node bin/dfs.js master|node|client`) as child
// processes on free loopback ports, with data in a temporary folder on the machine's /tmp.

import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { removeDir, trackChild, trackDir } from './cleanup.js';
import { freePorts, procCpu, type RunOptions, type RunResult, run } from './proc.js';

/** The built dfs entry point. */
export const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/dfs.js');

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
    readonly masterUrl: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly flags: string[],
  ) {}

  /** Starts master, nodes and (by default) the web client, and waits until every node is alive. */
  static async start(options: ClusterOptions = {}): Promise<Cluster> {
    const dir = trackDir(await fs.mkdtemp(path.join(os.tmpdir(), 'dfs-bench-cluster-')));
    const count = options.nodes ?? 2;
    // Every port at once: one picked later could repeat a port a daemon has not bound yet.
    const ports = await freePorts(count + 2);
    const port = ports[0] as number;
    const env = { ...process.env, DFS_SECRET: randomBytes(24).toString('hex'), DFS_TOKEN: '' };
    const flags = options.nodeFlags ?? [];
    const cluster = new Cluster(dir, `http://127.0.0.1:${port}`, env, flags);
    const master = ['master', '--port', String(port), '--data', path.join(dir, 'master')];
    if (options.chunkSize) master.push('--chunk-size', options.chunkSize);
    if (options.replication) master.push('--replication', String(options.replication));
    if (options.heartbeatTimeout) master.push('--heartbeat-timeout', String(options.heartbeatTimeout));
    cluster.launch('master', cluster.masterUrl, master, flags);
    await cluster.waitHttp(`${cluster.masterUrl}/api/config`);
    for (let i = 1; i <= count; i++) {
      const nodePort = ports[i] as number;
      const data = path.join(dir, `node${i}`);
      cluster.launch(
        `node${i}`,
        `http://127.0.0.1:${nodePort}`,
        ['node', '--port', String(nodePort), '--data', data, '--master', cluster.masterUrl],
        flags,
        data,
      );
    }
    if (options.webClient !== false) {
      const clientPort = ports[count + 1] as number;
      const url = `http://127.0.0.1:${clientPort}`;
      cluster.launch(
        'client',
        url,
        ['client', '--port', String(clientPort), '--master', cluster.masterUrl],
        flags,
      );
      await cluster.waitHttp(`${url}/api/config`);
    }
    await cluster.waitFor(async () => {
      const nodes = (await (await fetch(`${cluster.masterUrl}/api/nodes`)).json()) as {
        nodes: { state: string }[];
      };
      return nodes.nodes.filter((n) => n.state === 'alive').length === count;
    }, `${count} live nodes`);
    return cluster;
  }

  private launch(name: string, url: string, args: string[], flags: string[], data?: string): void {
    const child = trackChild(
      spawn(process.execPath, [...flags, BIN, ...args], {
        env: this.env,
        stdio: ['ignore', 'ignore', 'pipe'],
      }),
    );
    child.stderr?.on('data', (d: Buffer) => {
      for (const line of d.toString().split('\n')) if (line) this.log.push(`[${name}] ${line}`);
      if (this.log.length > 400) this.log.splice(0, this.log.length - 200);
    });
    child.once('exit', (code, signal) => this.log.push(`[${name}] exited ${code ?? signal}`));
    this.daemons.push({ name, url, data, child });
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
    return run(process.execPath, [...this.flags, BIN, ...args, '--master', this.masterUrl], {
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

  private waitHttp(url: string): Promise<void> {
    return this.waitFor(async () => (await fetch(url)).ok, url, 30_000, 50);
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
