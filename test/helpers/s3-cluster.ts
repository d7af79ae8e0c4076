// A real cluster with the S3 gateway in front of it, and clients configured for it.

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { S3Client } from '@aws-sdk/client-s3';
import { s3Config } from '../../src/config.js';
import { type RunningS3Gateway, startS3Gateway } from '../../src/s3/gateway.js';
import { type ClusterOptions, startCluster, type TestCluster } from './cluster.js';

/** The gateway's key pair in the tests (a secret with characters that need care). */
export const ACCESS_KEY = 'AKIDDFSS3TEST';
export const SECRET_KEY = 'dfs/s3+secret=key/for/tests';

/** A cluster and its gateway. */
export interface S3Cluster {
  cluster: TestCluster;
  gateway: RunningS3Gateway;
  url: string;
  /** Server-side log lines of the gateway (and the cluster). */
  logs: string[];
  /** An AWS SDK client for the gateway (path style, the SDK's 2025 checksum defaults). */
  client(options?: {
    region?: string;
    secret?: string;
    accessKey?: string;
    requestChecksumCalculation?: 'WHEN_SUPPORTED' | 'WHEN_REQUIRED';
  }): S3Client;
  close(): Promise<void>;
}

/** Options of the gateway under test. */
export interface S3ClusterOptions extends ClusterOptions {
  region?: string;
  domains?: string[];
}

/** Starts a cluster (1 MiB chunks by default: a 5 MiB part is several) and a gateway on port 0. */
export async function startS3Cluster(options: S3ClusterOptions = {}): Promise<S3Cluster> {
  const cluster = await startCluster({ chunkSize: '1MiB', ...options });
  const config = s3Config(
    {
      port: 0,
      master: cluster.master.url,
      token: cluster.options.token,
      accessKey: ACCESS_KEY,
      secretKey: SECRET_KEY,
      region: options.region,
      domain: options.domains,
    },
    {},
  );
  const gateway = await startS3Gateway(config, (line) => cluster.logs.push(`s3: ${line}`));
  const clients: S3Client[] = [];
  return {
    cluster,
    gateway,
    url: gateway.url,
    logs: cluster.logs,
    client(o = {}) {
      const client = new S3Client({
        endpoint: gateway.url,
        region: o.region ?? options.region ?? 'us-east-1',
        forcePathStyle: true,
        maxAttempts: 1,
        credentials: { accessKeyId: o.accessKey ?? ACCESS_KEY, secretAccessKey: o.secret ?? SECRET_KEY },
        ...(o.requestChecksumCalculation && { requestChecksumCalculation: o.requestChecksumCalculation }),
      });
      clients.push(client);
      return client;
    },
    async close() {
      for (const c of clients) c.destroy();
      await gateway.close();
      await cluster.close();
    },
  };
}

/** Runs a command; resolves with its output and exit code (never rejects on a non-zero exit). */
export function runTool(
  file: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      file,
      args,
      { env: options.env ?? toolEnv(), cwd: options.cwd, maxBuffer: 64 << 20, timeout: 120_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/**
 * This process's environment without AWS_* variables (a machine's AWS_CA_BUNDLE makes rclone
 * refuse to start on plain HTTP), plus `extra`.
 */
export function toolEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_')));
  return { ...env, ...extra };
}

/** True when `file` exists; otherwise prints one loud warning naming what is skipped. */
export function toolPresent(file: string, what: string): boolean {
  if (existsSync(file)) return true;
  process.stderr.write(`WARNING: ${file} is missing: the ${what} tests are SKIPPED (CI installs it)\n`);
  return false;
}

/** The error a call ends with (it must fail). */
export async function failure(
  promise: Promise<unknown>,
): Promise<Error & { $metadata: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { $metadata: { httpStatusCode?: number } };
  }
  throw new Error('the call succeeded');
}
