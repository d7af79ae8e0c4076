// One way to start a dfs daemon as a child process, used by `dfs up`, the tests and the bench.
//
// The child gets a Node IPC channel. Once it serves, and once bin/dfs.js has its signal handlers
// in place, the daemon sends one message, `{ event: 'ready', daemon, url, id? }`: readiness is
// machine-readable, not a log line to parse. The channel also ties the child to its parent: when
// the parent goes away (even by kill -9) the channel closes and the daemon stops cleanly on its
// own, so no orphaned daemon outlives the `dfs up` (or test) that started it.

import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built entry point (bin/dfs.js). */
export const DFS_BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/dfs.js');

/** What a daemon reports once it serves. */
export interface Ready {
  event: 'ready';
  /** master, node, client, s3 or up. */
  daemon: string;
  /** The URL it serves at (for `dfs up`: the web client's). */
  url: string;
  /** A node's id. */
  id?: string;
  /** `dfs up`: every daemon it started, by name. */
  urls?: Record<string, string>;
}

/** How to launch. */
export interface LaunchOptions {
  env?: NodeJS.ProcessEnv;
  /** Node.js flags before the script (e.g. --cpu-prof). */
  nodeFlags?: string[];
  /** Shell commands run before the daemon (e.g. `ulimit -f 0`); the daemon then replaces the shell. */
  prelude?: string;
  /** Where the child's standard output goes; default ignored. */
  stdout?: 'ignore' | 'inherit' | 'pipe';
  /** Each line the child writes to standard error (and to stdout when piped). */
  onLine?: (line: string) => void;
  /** Give up waiting for readiness after this long, ms; default 30 s. */
  timeout?: number;
}

/** A launched daemon. */
export interface Launched {
  process: ChildProcess;
  /** Resolves once the daemon serves; rejects if it exits (or times out) first. */
  ready: Promise<Ready>;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `dfs ARGS` (e.g. `['node', '--port', '0', …]`) as a child process. */
export function launchDaemon(args: string[], options: LaunchOptions = {}): Launched {
  const argv = [...(options.nodeFlags ?? []), DFS_BIN, ...args];
  const stdio: ('ignore' | 'inherit' | 'pipe' | 'ipc')[] = [
    'ignore',
    options.stdout ?? 'ignore',
    'pipe',
    'ipc',
  ];
  const child = options.prelude
    ? spawn('/bin/sh', ['-c', `${options.prelude} && exec "$0" "$@"`, process.execPath, ...argv], {
        env: options.env,
        stdio,
      })
    : spawn(process.execPath, argv, { env: options.env, stdio });
  // Exited once its output is read to the end too (its last error line), not at 'exit' alone.
  // Not 'close': that never comes when the launcher itself closed the IPC channel first.
  const outputRead = Promise.all(
    [child.stdout, child.stderr].map((stream) => stream && new Promise((done) => stream.once('close', done))),
  );
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => void outputRead.then(() => resolve({ code, signal }))),
  );
  const onLine = options.onLine;
  for (const stream of [child.stderr, child.stdout]) {
    if (!stream) continue;
    if (!onLine) {
      stream.resume();
      continue;
    }
    stream.setEncoding('utf8');
    let pending = '';
    stream.on('data', (text: string) => {
      const parts = (pending + text).split('\n');
      pending = parts.pop() ?? '';
      for (const line of parts) onLine(line);
    });
    stream.on('end', () => {
      if (pending) onLine(pending);
    });
  }
  const ready = new Promise<Ready>((resolve, reject) => {
    const timeout = options.timeout ?? 30_000;
    const timer = setTimeout(() => {
      // A daemon that never got ready is not left running.
      child.kill('SIGTERM');
      reject(new Error(`dfs ${args[0]} did not report ready within ${timeout / 1000} s`));
    }, timeout);
    timer.unref();
    child.on('message', (message: Ready) => {
      if (message?.event !== 'ready') return;
      clearTimeout(timer);
      resolve(message);
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`dfs ${args[0]} exited (${signal ?? code}) before it was ready`));
    });
  });
  ready.catch(() => {});
  // The channel must not keep the parent alive on its own.
  child.channel?.unref();
  return { process: child, ready, exited };
}
