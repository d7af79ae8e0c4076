// The `dfs` command line: commander wiring of every command, and the mapping of failures to
// exit codes (0 success, 1 failure, 2 bad usage). bin/dfs.js runs it and owns process.exit.

import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { DfsError } from '../protocol/errors.js';
import { nodesCommand, statusCommand } from './cluster.js';
import { withGlobalOptions } from './context.js';
import { daemonCommands } from './daemons.js';
import { downloadCommand } from './download.js';
import { lsCommand, mkdirCommand, mvCommand, rmCommand, statCommand } from './files.js';
import { fsckCommand } from './fsck.js';
import type { Ready } from './launch.js';
import { LocalFileError, localReason, shown } from './local-errors.js';
import { discardPartials } from './local-file.js';
import { upCommand } from './up.js';
import { uploadCommand } from './upload.js';

/** A daemon left running by a command: bin/ stops it on SIGINT, SIGTERM or SIGHUP. */
export interface Running {
  close(): Promise<void>;
  /** Settles if the daemon ends on its own (rejects on failure). */
  done?: Promise<void>;
  /** What to tell a launching parent once bin/ is ready to stop the daemon cleanly (see launch.ts). */
  ready?: Omit<Ready, 'event'>;
}

/** What a run of the CLI ended with. */
export interface CliResult {
  code: number;
  running?: Running;
}

const VERSION = (() => {
  try {
    return JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version as string;
  } catch {
    return '0.0.0';
  }
})();

/** Builds the program; `started` receives daemons that keep running. */
export function buildProgram(started: (running: Running) => void): Command {
  const program = withGlobalOptions(new Command('dfs'))
    .description('dfs: a small distributed file system — daemons and command-line client')
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  const commands = [
    upCommand(started),
    ...daemonCommands(started),
    uploadCommand(),
    downloadCommand(),
    lsCommand(),
    rmCommand(),
    statCommand(),
    mkdirCommand(),
    mvCommand(),
    nodesCommand(),
    statusCommand(),
    fsckCommand(),
  ];
  // Every command and subcommand (`nodes remove`): bad usage is exit 2 with the usage hint.
  const wire = (c: Command) => {
    c.exitOverride().showHelpAfterError('(run with --help for usage)');
    for (const sub of c.commands) wire(sub);
  };
  for (const c of commands) {
    wire(c);
    program.addCommand(c);
  }
  return program;
}

/** Runs the CLI on `argv` (as process.argv); never exits the process itself. */
export async function main(argv: string[]): Promise<CliResult> {
  let running: Running | undefined;
  const program = buildProgram((r) => {
    running = r;
  });
  // `dfs help NAME` for a command that does not exist says so (commander shows the whole help).
  const [first, name] = argv.slice(2);
  if (
    first === 'help' &&
    name !== undefined &&
    !name.startsWith('-') &&
    !program.commands.some((c) => c.name() === name)
  ) {
    process.stderr.write(`error: unknown command '${name}'\n(run with --help for usage)\n`);
    return { code: 2 };
  }
  try {
    await program.parseAsync(argv);
    return { code: 0, running };
  } catch (err) {
    return { code: reportError(err) };
  }
}

/**
 * What to do when standard output fails: when its reader went away (`dfs ls | head -1`), stop
 * quietly with 0, as the reader had all it wanted (a script under `set -o pipefail` must not
 * fail on it; Node ignores SIGPIPE, so dying of it like `cat` (141) is not on offer anyway).
 * Any other failure (a full disk behind `>`) is reported: exit 1.
 */
export function outputFailed(err: unknown): number {
  if ((err as NodeJS.ErrnoException)?.code === 'EPIPE') return 0;
  process.stderr.write(`dfs: cannot write to standard output: ${localReason(err)}\n`);
  return 1;
}

// Control characters in a message (a name echoed by a daemon) would move the terminal's cursor or
// retitle it: they are shown escaped, as the listings show names.
const say = (message: string) => process.stderr.write(`dfs: ${shown(message)}\n`);

/** Prints `dfs: <message>` and returns the exit code for a failure. */
export function reportError(err: unknown): number {
  if (err instanceof CommanderError) {
    // Help and version are "errors" to commander; they exit 0.
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0)
      return 0;
    return 2; // commander already printed the usage error
  }
  if (err instanceof DfsError) {
    say(err.message);
    if (process.env.DFS_DEBUG && err.cause)
      process.stderr.write(`${err.cause instanceof Error ? err.cause.stack : JSON.stringify(err.cause)}\n`);
    // A request refused before any daemon saw it is bad usage (2); not a local file that failed.
    return err.code === 'bad_request' && !err.cause && !(err instanceof LocalFileError) ? 2 : 1;
  }
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'EPIPE') return 0; // the reader of stdout went away (e.g. `| head`)
  if (e?.code === 'ENOENT' || e?.code === 'EACCES' || e?.code === 'EISDIR' || e?.code === 'ENOSPC') {
    say(e.message);
    return 1;
  }
  if (e?.code === 'EADDRINUSE') {
    say(`${e.message} (is another dfs already running?)`);
    return 1;
  }
  say(e?.message ?? String(err));
  if (process.env.DFS_DEBUG) process.stderr.write(`${e?.stack}\n`);
  return 1;
}

/** A command (not a daemon) interrupted by SIGINT, SIGTERM or SIGHUP: its downloads' temporary files go. */
export function interrupted(): void {
  discardPartials();
}
