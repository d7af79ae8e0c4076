// Everything the bench starts (child processes, temporary folders, mounts and network namespaces)
// is registered here, so it is removed at the end of a run and on Ctrl-C, whatever row was running.

import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { UsageError } from './args.js';

const children = new Set<ChildProcess>();
const dirs = new Set<string>();
const hooks = new Set<() => void>();

/** Tracks a child process until it exits. */
export function trackChild(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Tracks a temporary folder until `forgetDir` or the end of the run. */
export function trackDir(dir: string): string {
  dirs.add(dir);
  return dir;
}

/** Removes a tracked folder now. */
export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  dirs.delete(dir);
}

/**
 * Tracks a synchronous undo step (unmount, kill a grandchild, delete a namespace) until the
 * returned function forgets it; steps run newest first, before children are killed.
 */
export function trackCleanup(step: () => void): () => void {
  hooks.add(step);
  return () => hooks.delete(step);
}

/** Runs every cleanup step, kills every child still running (SIGKILL) and removes every folder; synchronous, safe twice. */
export function cleanupAll(): void {
  for (const step of [...hooks].reverse()) {
    try {
      step();
    } catch {
      // One failed step (a mount already gone) must not stop the others.
    }
  }
  hooks.clear();
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  children.clear();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs.clear();
}

/**
 * Installs SIGINT/SIGTERM handlers that clean up and exit 130/143, and cleans up on any other
 * way out too (a crash, or stdout closed under us as in `npm run bench | head`).
 */
export function cleanupOnSignals(): void {
  process.on('exit', cleanupAll);
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    cleanupAll();
    process.exit(0);
  });
  const onSignal = (signal: NodeJS.Signals, code: number) => {
    process.stderr.write(`\nbench: ${signal}, cleaning up\n`);
    cleanupAll();
    process.exit(code);
  };
  process.once('SIGINT', () => onSignal('SIGINT', 130));
  process.once('SIGTERM', () => onSignal('SIGTERM', 143));
}

/**
 * Runs a bench program's `main` and exits with its code (0 when it returns none), cleaning up
 * first; bad usage (a UsageError) is one line under `name` and exits 2, a crash exits 1.
 */
export function runMain(name: string, main: () => Promise<unknown>): void {
  main().then(
    (code) => {
      cleanupAll();
      process.exit(typeof code === 'number' ? code : 0);
    },
    (err) => {
      cleanupAll();
      if (err instanceof UsageError) {
        process.stderr.write(`${name}: ${err.message} (--help for usage)\n`);
        process.exit(2);
      }
      process.stderr.write(`${name}: crashed: ${(err as Error).stack ?? err}\n`);
      process.exit(1);
    },
  );
}
