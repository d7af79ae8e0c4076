// DELETE on /dav/: a file, or a folder with everything below it in one transaction; the locks
// on and below it go with it.

import { folderCondition, writeCondition } from './conditional.js';
import { DavError } from './errors.js';
import { parseDepth } from './headers.js';
import { parentPath, ROOT_PATH } from './paths.js';
import type { DavRequest } from './request.js';
import { currentOf } from './resources.js';
import { sendEmpty } from './respond.js';

/**
 * Makes the folder holding `path` explicit before its member goes: a folder implied only by its
 * files would vanish with the last of them, under the feet of a desktop that shows it open.
 */
export async function keepParent(
  req: DavRequest,
  path: string,
  signal: AbortSignal | undefined = req.signal,
) {
  const parent = parentPath(path);
  if (parent !== undefined && parent !== ROOT_PATH) await req.sdk.mkdir(parent, { signal });
}

/** DELETE: 204; 404 when nothing is there. */
export async function handleDelete(req: DavRequest): Promise<void> {
  const { ctx, path } = req;
  if (path === ROOT_PATH) throw new DavError(403, 'the root cannot be deleted');
  const found = await req.resolve();
  if (found.kind === 'missing') throw req.notFound();
  // RFC 4918 §9.6.1 binds Depth on a collection only (infinity); on a file it means nothing.
  if (found.kind === 'folder') parseDepth(ctx.get('depth'), 'DELETE');
  await req.preconditions([{ kind: 'remove', path }]);
  // The conditions are checked before anything is written: a DELETE refused with 412 must leave
  // an implied parent folder implied.
  const ifGeneration =
    found.kind === 'file' ? writeCondition(ctx.headers, currentOf(found.entry)) : undefined;
  if (found.kind === 'folder') folderCondition(ctx.headers, found.entry?.created);
  await keepParent(req, path);
  if (found.kind === 'file') {
    await req.sdk.remove(path, { ifGeneration, signal: req.signal });
  } else {
    await req.sdk.removeTree(path, { signal: req.signal });
  }
  await req.deps.locks.removeLocksWithin(path);
  sendEmpty(ctx, 204);
}
