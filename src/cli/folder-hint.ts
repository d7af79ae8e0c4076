// "not found" for a path that is a folder is misleading: say it is one, and what to use.

import { DfsError } from '../protocol/errors.js';
import type { DfsClient } from '../sdk/client.js';

/**
 * Rethrows `err`, or — when it is `not_found` and `path` is a folder (a listing of it works) —
 * an error saying so with the command to use instead (`use`, which gets the path appended).
 */
export async function unlessFolder(sdk: DfsClient, path: string, use: string, err: unknown): Promise<never> {
  // The master says "not found", or that the path is a folder, not a file.
  if (!(err instanceof DfsError) || !(err.code === 'not_found' || /is a folder/.test(err.message))) throw err;
  const folder = await sdk.list(`${path}/`, { limit: 1 }).then(
    () => true,
    () => false,
  );
  if (folder) throw new DfsError('conflict', `${path} is a folder: use ${use} ${path}`);
  throw err;
}
