#!/usr/bin/env node
// The dfs entry point: runs the CLI, and for daemons stops them cleanly on SIGINT, SIGTERM and
// SIGHUP (a closed terminal or ssh session). The only place that calls process.exit.

import { interrupted, main, outputFailed, reportError } from '../dist/cli/main.js';

// Once a command has ended, its exit code stands when the reader of its output went away.
let ended;
// Output cut short (`dfs ls | head -1`) ends the command at once, quietly; output that could not
// be written (a full disk behind `>`) is a failure, also once the command has ended (see outputFailed).
process.stdout.on('error', (err) => process.exit(outputFailed(err) || (ended ?? 0)));
// Messages that cannot be shown are dropped: the work itself goes on.
process.stderr.on('error', () => {});

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'];
// A command interrupted (Ctrl-C, a closed terminal) leaves no partial download behind, then dies
// by the signal as a shell expects (a script's loop stops; systemd sees a stop, not a failure).
// (A daemon replaces these handlers with its own as soon as it runs.)
const onCommandSignal = (signal) => {
  interrupted();
  for (const s of SIGNALS) process.off(s, onCommandSignal);
  process.kill(process.pid, signal);
};
for (const s of SIGNALS) process.on(s, onCommandSignal);

// Launched by another dfs process (`dfs up`, a test, the bench) with an IPC channel.
const launched = typeof process.send === 'function';
const { code, running } = await main(process.argv);
if (!running) {
  ended = code;
  // On a pipe stdout is asynchronous: exiting at once cuts off what is still queued
  // (`dfs ls --json | jq` got the first 64 KiB). Exit once stdout has taken everything.
  await new Promise((resolve) => process.stdout.write('', resolve));
  process.exit(code);
}

let stopping = false;
let stoppingSince = 0;
// A second signal soon after the first is the same request to stop, not an impatient one:
// Ctrl-C reaches the whole process group, and `dfs up` passes it on to its daemons too.
const SAME_STOP_MS = 2000;
const stop = async (signal) => {
  if (stopping) {
    if (Date.now() - stoppingSince < SAME_STOP_MS) return;
    process.stderr.write(`dfs: ${signal} again, exiting now\n`);
    process.exit(130);
  }
  stopping = true;
  stoppingSince = Date.now();
  process.stderr.write(`dfs: ${signal}, stopping\n`);
  try {
    await running.close();
    process.exit(0);
  } catch (err) {
    process.exit(reportError(err));
  }
};
// The daemon's handlers go in before the command's come out: a signal never finds none (Node
// drops one that arrives while the last listener's watcher is closing: a SIGTERM right after
// start was lost and the daemon ran on).
for (const s of SIGNALS) {
  process.on(s, () => void stop(s));
  process.off(s, onCommandSignal);
}
// When the launching parent is gone, even killed with -9, the IPC channel closes and the daemon
// stops as on SIGTERM — also when that happened while it was starting.
const orphaned = () => {
  if (!stopping) void stop('parent process gone');
};
process.on('disconnect', orphaned);
if (launched && !process.connected) orphaned();
// Only now, with the handlers in place, may a launching parent stop the daemon (see src/cli/launch.ts).
else if (launched && running.ready)
  process.send({ event: 'ready', ...running.ready }, (err) => err && orphaned());
running.done?.then(
  () => process.exit(0),
  (err) => process.exit(reportError(err)),
);
