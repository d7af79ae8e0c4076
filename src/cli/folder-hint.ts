// Remote paths that are folders: "not found" for one is misleading (say it is one, and what to
// use), and a file moved or uploaded onto one goes into it.

import { DfsError } from '../protocol/errors.js';
import { normalisePath } from '../protocol/paths.js';
import type { FileInfo } from '../protocol/types.js';
import type { DfsClient } from '../sdk/client.js';

/**
 * Rethrows `err`, or — when it is `not_found` and `path` is a folder (a listing of it works) —
 * an error saying so with the command to use instead (`use`, which gets the path appended).
 */
export async function unlessFolder(sdk: DfsClient, path: string, use: string, err: unknown): Promise<never> {
  // The master says "not found", or that the path is a folder, not a file.
  if (!(err instanceof DfsError) || !(err.code === 'not_found' || /is a folder/.test(err.message))) throw err;
  if (await isFolder(sdk, path)) throw new DfsError('conflict', `${path} is a folder: use ${use} ${path}`);
  throw err;
}

const notAFolder = (path: string) => new DfsError('conflict', `${path} is a file, not a folder`);

/**
 * The manifest of the file `remote` names. A folder there is refused with the command to use
 * (`use`), and so is a file named with a trailing `/`: it says a folder is meant, and a file is
 * not one (`rm f/` or `cat f/` on a file fail the same way).
 */
export async function statFile(sdk: DfsClient, remote: string, use: string): Promise<FileInfo> {
  const path = normalisePath(remote);
  const info = await sdk.stat(path).catch((err) => unlessFolder(sdk, path, use, err));
  if (remote.endsWith('/')) throw notAFolder(path);
  return info;
}

/** Refuses `remote` written as a folder (ending in `/`) when it names a file. */
export async function refuseFileAsFolder(sdk: DfsClient, remote: string): Promise<void> {
  if (!remote.endsWith('/')) return;
  const path = normalisePath(remote);
  const isFile = await sdk.stat(path).then(
    () => true,
    () => false,
  );
  if (isFile) throw notAFolder(path);
}

/** True when `remote` names a folder (or ends in `/`, which says it means one). */
export async function isFolder(sdk: DfsClient, remote: string): Promise<boolean> {
  if (remote.endsWith('/')) return true;
  return sdk.list(`${remote}/`, { limit: 1 }).then(
    () => true,
    () => false,
  );
}

/** The path `source`'s last name takes inside `folder`. */
export function intoFolder(folder: string, source: string): string {
  const name = source.replace(/\/+$/, '').split('/').pop() ?? '';
  return `${folder.replace(/\/+$/, '')}/${name}`;
}
