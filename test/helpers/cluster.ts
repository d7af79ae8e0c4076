// Starts a real cluster in-process for tests: a master and storage nodes on port 0, each with a
// temporary folder, and an SDK client pointed at it.

import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { type RunningClient, startClient } from '../../src/client/client.js';
import { clientConfig, masterConfig, nodeConfig } from '../../src/config.js';
import { type RunningMaster, startMaster } from '../../src/master/master.js';
import { type RunningNode, startNode } from '../../src/node/node.js';
import { DfsClient } from '../../src/sdk/client.js';
import { waitFor } from './wait.js';

/** Options of a test cluster (flags as the CLI takes them). */
export interface ClusterOptions {
  nodes?: number;
  chunkSize?: string;
  replication?: number;
  secret?: string;
  token?: string;
  heartbeatTimeout?: number;
  heartbeatInterval?: number;
  gcGrace?: number;
  scrubInterval?: number;
  /** Chunks up to this size go to pack files; default 16KiB (64 KiB test chunks get files). */
  packLimit?: string;
  maxFileSize?: string;
  /** Seconds between two points of the pages' charts (10 in production). */
  seriesStep?: number;
  /** Serve /metrics without the token. */
  metricsPublic?: boolean;
  webClient?: boolean;
}

/** A running test cluster. */
export interface TestCluster {
  dir: string;
  master: RunningMaster;
  nodes: RunningNode[];
  client?: RunningClient;
  sdk: DfsClient;
  logs: string[];
  options: Required<Omit<ClusterOptions, 'webClient'>>;
  /** Starts one more node (or restarts one on an existing folder) and waits for it to register. */
  addNode(data?: string, extra?: { advertise?: string }): Promise<RunningNode>;
  /** Restarts the master on the same folder and port. */
  restartMaster(): Promise<void>;
  /** Waits until `n` nodes are registered and alive. */
  waitForNodes(n: number): Promise<void>;
  close(): Promise<void>;
}

/** A fresh temporary folder. */
export async function tempDir(prefix = 'dfs-test-'): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), prefix));
}

/** Random bytes of a given length. */
export function randomData(size: number): Buffer {
  return randomBytes(size);
}

/** SHA-256 of `data`, hex. */
export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Feeds `data` in odd-sized pieces, so chunk boundaries fall inside pieces. */
export async function* pieces(data: Buffer, size = 10_007): AsyncGenerator<Buffer> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

/** `data` as a one-piece stream. */
export async function* bytes(data: string | Buffer): AsyncGenerator<Buffer> {
  yield Buffer.from(data);
}

/** Collects an async iterable of buffers into one buffer. */
export async function collect(source: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const p of source) parts.push(p);
  return Buffer.concat(parts);
}

/** An HTTP answer as read. */
export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** False when the answer was cut short: `body` holds what arrived. */
  complete: boolean;
}

/**
 * Sends one bodiless request and reads the answer to its end (or to where the server cut it).
 * Binary bodies are welcome: unlike `send` (helpers/adversary.ts), no check for leaked text.
 */
export function request(url: string, method = 'GET', headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      const answer = (complete: boolean) =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts), complete });
      res.on('end', () => answer(true));
      res.on('error', () => answer(false));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Starts a master and `nodes` storage nodes; resolves once every node is registered. */
export async function startCluster(opts: ClusterOptions = {}): Promise<TestCluster> {
  const options = {
    nodes: opts.nodes ?? 2,
    chunkSize: opts.chunkSize ?? '64KiB',
    replication: opts.replication ?? 2,
    secret: opts.secret ?? 'test-secret',
    token: opts.token ?? '',
    heartbeatTimeout: opts.heartbeatTimeout ?? 10,
    heartbeatInterval: opts.heartbeatInterval ?? 0.2,
    gcGrace: opts.gcGrace ?? 600,
    scrubInterval: opts.scrubInterval ?? 0,
    packLimit: opts.packLimit ?? '16KiB',
    maxFileSize: opts.maxFileSize ?? '1TiB',
    seriesStep: opts.seriesStep ?? 10,
    metricsPublic: opts.metricsPublic ?? false,
  };
  const dir = await tempDir();
  const logs: string[] = [];
  const log = (m: string) => {
    logs.push(m);
  };
  const env = {};
  const mConfig = masterConfig(
    {
      port: 0,
      data: path.join(dir, 'master'),
      chunkSize: options.chunkSize,
      replication: options.replication,
      secret: options.secret,
      token: options.token,
      heartbeatTimeout: options.heartbeatTimeout,
      gcGrace: options.gcGrace,
      maxFileSize: options.maxFileSize,
      seriesStep: options.seriesStep,
      metricsPublic: options.metricsPublic,
    },
    env,
  );
  let master = await startMaster(mConfig, log);
  const nodes: RunningNode[] = [];
  let counter = 0;
  const cluster: TestCluster = {
    dir,
    master,
    nodes,
    sdk: new DfsClient({ master: master.url, token: options.token }),
    logs,
    options,
    async addNode(data?: string, extra: { advertise?: string } = {}) {
      const config = nodeConfig(
        {
          port: 0,
          data: data ?? path.join(dir, `node${++counter}`),
          master: cluster.master.url,
          secret: options.secret,
          token: options.token,
          heartbeatInterval: options.heartbeatInterval,
          scrubInterval: options.scrubInterval,
          packLimit: options.packLimit,
          advertise: extra.advertise,
          seriesStep: options.seriesStep,
          metricsPublic: options.metricsPublic,
        },
        env,
      );
      const node = await startNode(config, log);
      nodes.push(node);
      await waitFor(
        () => cluster.master.registry.get(node.id)?.alive && node.state.registered,
        `node ${node.url} to register`,
      );
      return node;
    },
    async restartMaster() {
      await cluster.master.close();
      const port = Number(new URL(cluster.master.url).port);
      master = await startMaster({ ...mConfig, port }, log);
      cluster.master = master;
    },
    async waitForNodes(n: number) {
      await waitFor(
        () => cluster.master.registry.alive().filter((x) => x.registered).length >= n,
        `${n} registered nodes`,
      );
    },
    async close() {
      await cluster.client?.close();
      await Promise.all(nodes.map((n) => n.close()));
      await cluster.master.close();
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
  for (let i = 0; i < options.nodes; i++) await cluster.addNode();
  if (opts.webClient) {
    cluster.client = await startClient(
      clientConfig(
        { port: 0, master: master.url, token: options.token, metricsPublic: options.metricsPublic },
        env,
      ),
      log,
    );
  }
  return cluster;
}
