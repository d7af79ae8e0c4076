// What every client command shares: the connection options and the SDK built from them.

import { Command } from 'commander';
import { defaultMaster } from '../config.js';
import { type ClientOptions, DfsClient } from '../sdk/client.js';

/** Adds --master and --token to a client command. */
export function withConnection(command: Command): Command {
  return command
    .option('--master <url>', 'master URL (default: $DFS_MASTER or http://localhost:5000)')
    .option('--token <token>', 'access token (default: $DFS_TOKEN)');
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
