// What every client command shares: the connection options and the SDK built from them.

import { Command } from 'commander';
import { defaultMaster, MASTER_FLAG_HELP } from '../config.js';
import { DfsError } from '../protocol/errors.js';
import { type ClientOptions, DfsClient } from '../sdk/client.js';

// Options that may also stand before the command (`dfs --master URL ls`).
const GLOBAL_OPTIONS = ['master', 'token'] as const;

/** Adds the program-wide --master and --token (they are given before the command). */
export function withGlobalOptions(program: Command): Command {
  return program
    .option('--master <url>', 'master URL, for every command (also after it)')
    .option('--token <token>', 'access token, for every command (also after it)')
    .enablePositionalOptions();
}

/**
 * Lets `command` take --master and --token (among those it has) from before the command name
 * too; given after it, they win.
 */
export function inheritGlobalOptions(command: Command): Command {
  return command.hook('preAction', (cmd) => {
    const globals = cmd.parent?.opts() ?? {};
    for (const name of GLOBAL_OPTIONS) {
      const known = cmd.options.some((o) => o.attributeName() === name);
      if (known && cmd.getOptionValue(name) === undefined && globals[name] !== undefined) {
        cmd.setOptionValue(name, globals[name]);
      }
    }
  });
}

/** Adds --master and --token to a client command. */
export function withConnection(command: Command): Command {
  return inheritGlobalOptions(
    command
      .option('--master <url>', MASTER_FLAG_HELP)
      .option('--token <token>', 'access token (default: $DFS_TOKEN)'),
  );
}

/** The SDK for a command's connection options (`tuning`: chunks in flight per file). */
export function clientFrom(
  options: { master?: string; token?: string },
  tuning: Pick<ClientOptions, 'uploadConcurrency' | 'prefetch'> = {},
): DfsClient {
  return new DfsClient({
    master: options.master ?? defaultMaster(),
    token: options.token ?? process.env.DFS_TOKEN ?? '',
    ...tuning,
  });
}

/** A command that prints JSON with --json. */
export function withJson(command: Command): Command {
  return command.option('--json', 'print JSON instead of a table');
}

/** Creates a command with a description (helper to keep wiring short). */
export function command(name: string, description: string): Command {
  return new Command(name).description(description);
}

/** A path argument given as '' (an unset shell variable): bad usage, never "the current folder". */
export function emptyArgument(name: string): DfsError {
  return new DfsError('bad_request', `${name} is empty (an unset variable?): name a path`);
}
