// Running commands and timing them: free ports, one-shot commands with wall time and peak RSS,
// and reading a live process's memory from /proc.

import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { removeDir, trackChild, trackDir } from './cleanup.js';

/** A free TCP port on the loopback interface. */
export async function freePort(): Promise<number> {
  return (await freePorts(1))[0] as number;
}

/**
 * `count` distinct free loopback ports, all held open until every one is picked: ports taken
 * one at a time can repeat while the daemon given the first has not bound it yet.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const server = net.createServer();
      servers.push(server);
      ports.push(
        await new Promise<number>((resolve, reject) => {
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
        }),
      );
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}

/** What a finished command left behind. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Wall time, ms. */
  ms: number;
  /** Peak RSS of the command itself in bytes (from GNU time), when asked for. */
  peakRss?: number;
  /** CPU seconds (user + system) the command used (from GNU time), when asked for. */
  cpu?: number;
}

/** Options of `run`. */
export interface RunOptions {
  /** 'null' sends stdout to /dev/null, a path sends it to that file; neither passes through here. */
  stdout?: 'pipe' | 'null' | { file: string };
  env?: NodeJS.ProcessEnv;
  /** Measure the command's peak RSS and CPU time with /usr/bin/time. */
  rss?: boolean;
  /** Fail (throw) on a non-zero exit; default true. */
  check?: boolean;
}

const GNU_TIME = '/usr/bin/time';

/** Runs a command to completion and times it. */
export async function run(cmd: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  let rssFile: string | undefined;
  let argv = [cmd, ...args];
  if (options.rss && existsSync(GNU_TIME)) {
    // Tracked like a folder, so an interrupted run leaves no file behind.
    rssFile = trackDir(
      path.join(os.tmpdir(), `dfs-bench-rss-${process.pid}-${Math.random().toString(36).slice(2)}`),
    );
    argv = [GNU_TIME, '-f', '%M %U %S', '-o', rssFile, ...argv];
  }
  const target = options.stdout === 'null' ? '/dev/null' : (options.stdout as { file?: string })?.file;
  const devnull = target ? await fs.open(target, 'w') : undefined;
  const started = process.hrtime.bigint();
  try {
    const child = trackChild(
      spawn(argv[0] as string, argv.slice(1), {
        env: options.env ?? process.env,
        stdio: ['ignore', devnull ? devnull.fd : 'pipe', 'pipe'],
      }),
    );
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const code = await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (c, signal) => resolve(c ?? (signal ? 128 : 1)));
    });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    let peakRss: number | undefined;
    let cpu: number | undefined;
    if (rssFile) {
      const [kb, user, sys] = (readFileSync(rssFile, 'utf8').trim().split('\n').at(-1) ?? '').split(' ');
      if (Number.isFinite(Number(kb))) peakRss = Number(kb) * 1024;
      if (Number.isFinite(Number(user) + Number(sys))) cpu = Number(user) + Number(sys);
      removeDir(rssFile);
    }
    if (code !== 0 && options.check !== false) {
      throw new Error(`${cmd} ${args.join(' ')} exited ${code}: ${stderr.trim().slice(-2000)}`);
    }
    return { code, stdout, stderr, ms, peakRss, cpu };
  } finally {
    await devnull?.close();
  }
}

/** A field of /proc/PID/status in bytes (VmRSS, VmHWM), or undefined once the process is gone. */
export function procMemory(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** CPU seconds (user + system) a live process has used so far, from /proc/PID/stat. */
export function procCpu(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/** True when the command exists on PATH. */
export async function hasCommand(name: string): Promise<boolean> {
  const result = await run('sh', ['-c', `command -v ${name}`], { check: false });
  return result.code === 0;
}

/** Milliseconds since an hrtime start. */
export function elapsedMs(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/**
 * Installs a Debian package for a baseline tool (retrying after `apt-get update`); returns why
 * it could not, or undefined once installed. Needs root.
 */
export async function aptInstall(pkg: string, log: (m: string) => void): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'installing it needs root';
  log(`${pkg} is missing: apt-get install -y ${pkg}`);
  let result = await run('apt-get', ['install', '-y', pkg], { check: false });
  if (result.code !== 0) {
    await run('apt-get', ['update'], { check: false });
    result = await run('apt-get', ['install', '-y', pkg], { check: false });
  }
  return result.code === 0 ? undefined : (result.stderr.trim().split('\n').at(-1) ?? 'apt-get failed');
}
