// Runs the built `dfs` binary as a user would, against a cluster the test started: its exit code,
// stdout as bytes, stderr as text; optionally with stdout cut (a reader that went away), as
// another user (setpriv), or with a hook that records the process's peak memory.

import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { DFS_BIN } from '../../src/cli/launch.js';

/** How a CLI run ended and what it printed. */
export interface DfsRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

/** Options of one run. */
export interface DfsRunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  input?: Buffer;
  /** Close the read end of stdout before the CLI starts: every write it makes fails (EPIPE). */
  closeStdout?: boolean;
  /** Send stdout to this file (e.g. /dev/full) instead of a pipe; `stdout` is then empty. */
  stdoutFile?: string;
  /** Stop reading (close the read end) once this many bytes have arrived, as `| head -c N`. */
  headBytes?: number;
  /** Run as this user and group id (via setpriv), e.g. 65534 (nobody) to test permissions. */
  as?: number;
  /** Called with each piece of stdout as it arrives. */
  onStdout?: (piece: Buffer) => void;
  /** Extra `node` flags (e.g. `--import FILE`). */
  nodeFlags?: string[];
  /** Run this program with `args` instead of the dfs binary (e.g. `script` for a terminal). */
  program?: string;
  /** Called with the process once it is started (to signal it, say). */
  onSpawn?: (child: ChildProcess) => void;
}

/** Fails the test early when dist/ is missing (the CLI runs the built code). */
export function requireBuild(): void {
  if (!existsSync(path.resolve('dist/cli/main.js'))) throw new Error('dist/ is missing: run `npm run build`');
}

/** Runs `dfs ARGS`, with `DFS_MASTER` unset unless `env` sets it. */
export function dfs(args: string[], options: DfsRunOptions = {}): Promise<DfsRun> {
  const argv = [...(options.nodeFlags ?? []), DFS_BIN, ...args];
  const [program, programArgs] = options.program
    ? [options.program, args]
    : options.as === undefined
      ? [process.execPath, argv]
      : [
          'setpriv',
          [
            `--reuid=${options.as}`,
            `--regid=${options.as}`,
            '--clear-groups',
            '--inh-caps=-all',
            process.execPath,
            ...argv,
          ],
        ];
  const file = options.stdoutFile ? openSync(options.stdoutFile, 'w') : undefined;
  return new Promise((resolve, reject) => {
    const child = spawn(program, programArgs, {
      env: { ...process.env, DFS_MASTER: '', DFS_TOKEN: '', ...options.env },
      cwd: options.cwd,
      stdio: ['pipe', file ?? 'pipe', 'pipe'],
    });
    if (file !== undefined) closeSync(file);
    options.onSpawn?.(child);
    const out: Buffer[] = [];
    let received = 0;
    let err = '';
    if (options.closeStdout) child.stdout?.destroy();
    else
      child.stdout?.on('data', (d: Buffer) => {
        out.push(d);
        received += d.length;
        options.onStdout?.(d);
        if (options.headBytes !== undefined && received >= options.headBytes) child.stdout?.destroy();
      });
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout: Buffer.concat(out), stderr: err }));
    child.stdin?.on('error', () => {});
    child.stdin?.end(options.input);
  });
}

/**
 * Writes a module that, loaded with `node --import`, records the process's peak resident memory
 * (VmHWM, in KiB) into `out` when it exits; returns the flags to pass as `nodeFlags`.
 */
export async function peakMemoryHook(dir: string, out: string): Promise<string[]> {
  const hook = path.join(dir, 'peak-memory.mjs');
  await fs.writeFile(
    hook,
    `import fs from 'node:fs';
process.on('exit', () => {
  const hwm = /VmHWM:\\s+(\\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  fs.writeFileSync(${JSON.stringify(out)}, hwm ? hwm[1] : '0');
});
`,
  );
  return ['--import', hook];
}

/** Entries of `dir` whose name marks a download's temporary file. */
export async function partialFiles(dir: string): Promise<string[]> {
  return (await fs.readdir(dir)).filter((f) => f.includes('dfs-partial'));
}
