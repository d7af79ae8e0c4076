// Real dfs daemons as child processes of the built binary (bin/dfs.js → dist/), each with a
// temporary data folder, so fault tests can kill -9 them and restart them on the same folder.

import { type ChildProcess, execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { DFS_BIN, launchDaemon } from '../../src/cli/launch.js';
import type { NodeInfo } from '../../src/protocol/types.js';
import { DfsClient } from '../../src/sdk/client.js';
import { sha256, tempDir } from './cluster.js';
import { chunkFile, chunkIdsOnDisk, chunkOnDisk, corruptOnDisk } from './on-disk.js';
import { waitFor } from './wait.js';

/**
 * True while process `pid` runs. A zombie has ended: in a container nothing may reap a killed
 * orphan, and `kill(pid, 0)` still succeeds on it.
 */
export function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** The secret every test daemon shares. */
export const SECRET = 'fault-test-secret';
// Daemons must be up within this time (generous: a loaded machine starts tsx slowly).
const START_TIMEOUT = 60_000;

// Every child still running, killed if the test process exits without its after() hooks.
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/**
 * One daemon (`dfs master`, `dfs node`, or a front: `dfs client`, `dfs s3`) that can be killed and
 * started again on its folder (a front has none: `data` is '') and its port.
 */
export class Daemon {
  url = '';
  /** A node's id (from its data folder); '' for the master. */
  id = '';
  /** Every line the daemon printed, over all its runs. */
  readonly logs: string[] = [];
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private port = 0;

  constructor(
    readonly name: string,
    readonly kind: 'master' | 'node' | 'client' | 's3',
    readonly data: string,
    private readonly args: string[],
    /** Shell commands run before each start (e.g. `ulimit -f 0`: every file write fails). */
    public prelude = '',
  ) {}

  /** True while the process runs. */
  get running(): boolean {
    return this.child !== undefined;
  }

  /** Starts (or restarts) the daemon on its folder and port; resolves once it serves. */
  async start(): Promise<void> {
    if (this.child) throw new Error(`${this.name} is already running`);
    const launched = launchDaemon(
      [this.kind, ...(this.data ? ['--data', this.data] : []), '--port', String(this.port), ...this.args],
      {
        prelude: this.prelude,
        stdout: 'pipe',
        onLine: (line) => this.logs.push(`[${this.name}] ${line}`),
        timeout: START_TIMEOUT,
      },
    );
    const child = launched.process;
    children.add(child);
    this.child = child;
    this.exited = launched.exited.then(({ code, signal }) => {
      children.delete(child);
      if (this.child === child) this.child = undefined;
      this.logs.push(`[${this.name}] exited (${signal ?? code})`);
    });
    try {
      const ready = await launched.ready;
      this.id = ready.id ?? '';
      this.url = ready.url;
      this.port = Number(new URL(this.url).port);
    } catch (err) {
      throw new Error(`${this.name}: ${(err as Error).message}:\n${this.tail()}`);
    }
  }

  /** Sends `signal` (default SIGKILL, i.e. kill -9) and waits until the process is gone. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    this.child?.kill(signal);
    await this.exited;
  }

  /** Sends `signal` without waiting (SIGSTOP freezes the daemon, SIGCONT thaws it). */
  signal(signal: NodeJS.Signals): void {
    this.child?.kill(signal);
  }

  /** Kill -9 and start again on the same folder and port. */
  async restart(): Promise<void> {
    await this.kill();
    await this.start();
  }

  /** The last lines of the daemon's log. */
  tail(lines = 40): string {
    return this.logs.slice(-lines).join('\n');
  }

  /** Chunk ids in the node's `chunks/` folder, read from disk. */
  async chunkIds(): Promise<string[]> {
    return chunkIdsOnDisk(this.data);
  }

  /** Where the node keeps chunk `id` as a file (a node started with `--pack-limit 0` keeps every chunk so). */
  chunkPath(id: string): string {
    return chunkFile(this.data, id);
  }

  /** Files in a sub-folder of the node's data folder (`tmp`, `quarantine`). */
  async filesIn(folder: string): Promise<string[]> {
    return fs.readdir(path.join(this.data, folder)).catch(() => []);
  }
}

/** Options of a process cluster; durations in seconds, as the CLI takes them. */
export interface ProcClusterOptions {
  nodes?: number;
  replication?: number;
  chunkSize?: string;
  heartbeatTimeout?: number;
  heartbeatInterval?: number;
  gcGrace?: number;
  tokenTtl?: number;
  scrubInterval?: number;
  /** Chunks up to this size go to pack files; default 16KiB, so 64 KiB test chunks get files and small files packs. */
  packLimit?: string;
  /** Several masters on one metadata store: the PostgreSQL URL they share ('' = one master on LMDB). */
  meta?: string;
  /** How many masters (with `meta`); default 1. */
  masters?: number;
  /** Seconds a leader keeps its lease without renewing it. */
  leaseTimeout?: number;
}

/** Options of one node. */
export interface NodeOptions {
  /** Extra flags, e.g. `['--reserve', '1000TiB']`. */
  args?: string[];
  /** Shell commands run before the node starts. */
  prelude?: string;
  scrubInterval?: number;
}

/** Masters and storage nodes as child processes, and an SDK client pointed at every master. */
export class ProcCluster {
  readonly nodes: Daemon[] = [];
  /** Web clients and S3 gateways started by `addFront`. */
  readonly fronts: Daemon[] = [];
  readonly sdk: DfsClient;
  private counter = 0;

  private constructor(
    readonly dir: string,
    /** Every master; the first is `master`. */
    readonly masters: Daemon[],
    readonly options: Required<ProcClusterOptions>,
  ) {
    this.sdk = new DfsClient({ master: masters.map((m) => m.url) });
  }

  /** The first master. */
  get master(): Daemon {
    return this.masters[0] as Daemon;
  }

  /** Every master's URL, comma-separated (as `--master` takes them). */
  get masterList(): string {
    return this.masters.map((m) => m.url).join(',');
  }

  /** Starts the master and `nodes` nodes; resolves once every node is registered. */
  static async start(opts: ProcClusterOptions = {}): Promise<ProcCluster> {
    const options: Required<ProcClusterOptions> = {
      nodes: 3,
      replication: 2,
      chunkSize: '64KiB',
      // Short, for fast fault tests, yet many missed beats: a busy machine must not kill a node.
      heartbeatTimeout: 3,
      heartbeatInterval: 0.2,
      gcGrace: 600,
      tokenTtl: 600,
      scrubInterval: 0,
      packLimit: '16KiB',
      meta: '',
      masters: 1,
      leaseTimeout: 2,
      ...opts,
    };
    const dir = await tempDir('dfs-faults-');
    const masters = Array.from(
      { length: options.meta ? options.masters : 1 },
      (_, i) =>
        new Daemon(
          i === 0 ? 'master' : `master${i + 1}`,
          'master',
          path.join(dir, `master${i === 0 ? '' : i + 1}`),
          [
            ...(options.meta
              ? ['--meta', options.meta, '--lease-timeout', String(options.leaseTimeout)]
              : []),
            '--secret',
            SECRET,
            '--chunk-size',
            options.chunkSize,
            '--replication',
            String(options.replication),
            '--heartbeat-timeout',
            String(options.heartbeatTimeout),
            '--gc-grace',
            String(options.gcGrace),
            '--token-ttl',
            String(options.tokenTtl),
          ],
        ),
    );
    for (const master of masters) await master.start();
    const cluster = new ProcCluster(dir, masters, options);
    try {
      for (let i = 0; i < options.nodes; i++) await cluster.addNode();
    } catch (err) {
      await cluster.close();
      throw err;
    }
    return cluster;
  }

  /** Starts one more node on a fresh folder and waits until the master counts it alive. */
  async addNode(opts: NodeOptions = {}): Promise<Daemon> {
    const n = ++this.counter;
    const node = new Daemon(
      `node${n}`,
      'node',
      path.join(this.dir, `node${n}`),
      [
        '--master',
        this.masterList,
        '--secret',
        SECRET,
        '--heartbeat-interval',
        String(this.options.heartbeatInterval),
        '--scrub-interval',
        String(opts.scrubInterval ?? this.options.scrubInterval),
        '--pack-limit',
        this.options.packLimit,
        ...(opts.args ?? []),
      ],
      opts.prelude,
    );
    this.nodes.push(node);
    await node.start();
    await this.waitForNode(node, 'alive');
    return node;
  }

  /** Starts a web client or an S3 gateway (with `args`, e.g. its keys) on every master. */
  async addFront(kind: 'client' | 's3', args: string[] = []): Promise<Daemon> {
    const front = new Daemon(kind, kind, '', ['--master', this.masterList, '--secret', SECRET, ...args]);
    this.fronts.push(front);
    await front.start();
    return front;
  }

  /** The master's view of every node. */
  async nodeInfo(): Promise<NodeInfo[]> {
    return this.sdk.nodes();
  }

  /** Waits until the master reports `node` in `state` (alive also means registered: it reported its disk). */
  async waitForNode(node: Daemon, state: 'alive' | 'dead', timeout = 15_000): Promise<void> {
    await waitFor(
      async () => {
        const info = (await this.nodeInfo()).find((n) => n.id === node.id);
        return info?.state === state && (state === 'dead' || info.capacity > 0);
      },
      `${node.name} to be ${state}`,
      timeout,
    );
  }

  private get daemons(): Daemon[] {
    return [...this.masters, ...this.nodes, ...this.fronts];
  }

  /** Every log line of every daemon, for a failed test's report. */
  logs(lines = 60): string {
    return this.daemons.map((d) => d.tail(lines)).join('\n');
  }

  /** Kills every daemon and removes the folders; safe to call twice. */
  async close(): Promise<void> {
    await Promise.all(this.daemons.map((d) => d.kill()));
    await fs.rm(this.dir, { recursive: true, force: true });
  }
}

/** What a CLI run printed and how it exited. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built `dfs` binary with `args` as a user would. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [DFS_BIN, ...args],
      { env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Per chunk of a file: the ids of the nodes the master lists as live replicas. */
export async function liveReplicas(sdk: DfsClient, path: string): Promise<string[][]> {
  const info = await sdk.stat(path);
  return info.chunks.map((c) => c.replicas.filter((r) => r.alive).map((r) => r.nodeId));
}

/** The nodes (of `nodes`) whose disk holds chunk `id` and whose copy hashes right. */
export async function goodCopies(nodes: Daemon[], id: string): Promise<Daemon[]> {
  const good: Daemon[] = [];
  for (const node of nodes) {
    const bytes = await chunkOnDisk(node.data, id);
    if (bytes && sha256(bytes) === id) good.push(node);
  }
  return good;
}

/** How many good copies of each chunk the nodes' disks hold. */
export async function copyCounts(nodes: Daemon[], ids: string[]): Promise<number[]> {
  return Promise.all(ids.map(async (id) => (await goodCopies(nodes, id)).length));
}

/** The ids of `data`'s chunks as a ProcCluster cuts them (64 KiB). */
export function chunkIdsOf(data: Buffer): string[] {
  const chunkSize = 64 * 1024;
  const ids: string[] = [];
  for (let i = 0; i < data.length; i += chunkSize) ids.push(sha256(data.subarray(i, i + chunkSize)));
  return ids;
}

/** Overwrites a few bytes of a node's copy of chunk `id` in place (same size, wrong hash). */
export async function corrupt(node: Daemon, id: string, at = 100): Promise<void> {
  await corruptOnDisk(node.data, id, at);
}

/** Seconds since `start` (a Date.now() value), for the timings the tests report. */
export function seconds(start: number): string {
  return `${((Date.now() - start) / 1000).toFixed(2)}s`;
}

/** A TCP server that accepts connections and never answers: a host that hangs. */
export interface BlackHole {
  url: string;
  /** Connections accepted so far. */
  connections: number;
  /** Drops every connection (the host goes away) and stops listening. */
  close(): Promise<void>;
}

/** Opens a black hole on a free port. */
export async function blackHole(): Promise<BlackHole> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    hole.connections++;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const hole: BlackHole = {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    connections: 0,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return hole;
}

/** Prints a measured time under the test's name. */
export function report(what: string, value: string): void {
  process.stdout.write(`        ↳ ${what}: ${value}\n`);
}
