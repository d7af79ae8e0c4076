// The small-file load generator, seen from the bench: one child process (small-load-child.ts) that
// writes or reads a list of files with `concurrency` workers, through a mount or over HTTP, and
// reports its wall time and its own CPU. The same program drives dfs and MooseFS.

import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from './proc.js';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'small-load-child.ts');

/**
 * What the load does: `fs-write`/`fs-read` open, write or read, and close `base + name` (no
 * fsync: a MooseFS mount flushes to its chunkservers on close by itself); `http-put`/`http-get`
 * send `PUT base+name` (the web client's upload route) or `GET base+name` with keep-alive;
 * `s3-put`/`s3-get` do the same signed with SigV4 (the bench gateway's credentials), as
 * PutObject and GetObject of a `dfs s3` gateway.
 */
export type LoadMode = 'fs-write' | 'fs-read' | 'http-put' | 'http-get' | 's3-put' | 's3-get';

/** One load run. */
export interface LoadSpec {
  mode: LoadMode;
  /** A folder ending in / or a URL prefix ending in /. */
  base: string;
  names: string[];
  size: number;
  concurrency: number;
  /** Hex of the `size` random bytes every body starts from (see `smallBody`). */
  seed: string;
}

/** What a load run measured (in the child, around the load only: no start-up). */
export interface LoadReport {
  ms: number;
  ok: number;
  errors: number;
  firstError?: string;
  /** CPU milliseconds the load generator itself spent. */
  cpuMs: number;
  perSec: number;
}

/** The body of file `name`: the seed with the name written over its start, so no two are alike. */
export function smallBody(seed: Buffer, name: string): Buffer {
  const body = Buffer.from(seed);
  body.write(`${name} `);
  return body;
}

/** Runs one load in a child process (its spec in a file under `scratch`) and returns its report. */
export async function smallLoad(spec: LoadSpec, scratch: string): Promise<LoadReport> {
  const file = path.join(scratch, `load-${process.pid}-${Math.random().toString(36).slice(2)}.json`);
  await fs.writeFile(file, JSON.stringify(spec));
  try {
    const tsx = import.meta.resolve('tsx');
    const result = await run(process.execPath, ['--import', tsx, CHILD, file], {
      // libuv runs file system calls on its thread pool: one thread per writer, or fewer run at once.
      env: { ...process.env, UV_THREADPOOL_SIZE: String(Math.max(4, spec.concurrency)) },
    });
    const report = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '') as Omit<LoadReport, 'perSec'>;
    return { ...report, perSec: report.ok / (report.ms / 1000) };
  } finally {
    await fs.rm(file, { force: true });
  }
}
