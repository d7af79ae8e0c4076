// DAV paths: '/' for the root collection, else '/a/b' with no trailing slash, validated by dfs's
// one path checker. Collection-ness is not part of the path (dfs folders are prefixes).

import { DfsError } from '../protocol/errors.js';
import { normalisePath } from '../protocol/paths.js';
import { badRequest } from './errors.js';

/** The DAV path of the root collection. */
export const ROOT_PATH = '/';

/** Validates and normalises a decoded path; '' and '/' are the root. A bad path is a 400. */
export function davPath(decoded: string): string {
  if (decoded.replace(/\/+/g, '') === '') return ROOT_PATH;
  try {
    return normalisePath(decoded);
  } catch (err) {
    if (err instanceof DfsError) throw badRequest(err.message, err);
    throw err;
  }
}

/** The parent collection of a DAV path; the root has none. */
export function parentPath(path: string): string | undefined {
  if (path === ROOT_PATH) return undefined;
  const cut = path.lastIndexOf('/');
  return cut <= 0 ? ROOT_PATH : path.slice(0, cut);
}

/** `path` and every collection above it, nearest first, ending with the root. */
export function selfAndAncestors(path: string): string[] {
  const out = [path];
  for (let p = parentPath(path); p !== undefined; p = parentPath(p)) out.push(p);
  return out;
}

/** True when `path` is `root` or inside it (segment-wise: '/ab' is not inside '/a'). */
export function isWithin(path: string, root: string): boolean {
  if (root === ROOT_PATH || path === root) return true;
  return path.startsWith(`${root}/`);
}

/** True when `path` is strictly inside `root`. */
export function isBelow(path: string, root: string): boolean {
  return path !== root && isWithin(path, root);
}

/** The last segment of a DAV path ('' for the root). */
export function lastSegment(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
