// COPY and MOVE on /dav/ (RFC 4918 §9.8–9.9). A copied file is a new manifest over the same
// chunks (no bytes move); a folder copy makes the folders and copies file by file; a move of a
// file or a whole folder is one metadata transaction. Locks stay with their URLs.

import { MAX_PATH_BYTES } from '../protocol/paths.js';
import { copyFolder } from './copy-folder.js';
import { DavError } from './errors.js';
import { keepParent } from './handle-delete.js';
import { parseDepth, parseOverwrite } from './headers.js';
import { parseDestination } from './href.js';
import type { DavChange } from './locks.js';
import { isWithin, ROOT_PATH } from './paths.js';
import type { DavRequest } from './request.js';
import { checkConditions } from './resources.js';
import { sendEmpty } from './respond.js';

/**
 * Refuses (400, nothing changed) a move of folder `from` to `to` that would make a path below it
 * longer than a path may be: the store would refuse it, but only after the destination it
 * replaces was deleted.
 */
async function checkMovedLengths(req: DavRequest, from: string, to: string): Promise<void> {
  const grows = Buffer.byteLength(to) - Buffer.byteLength(from);
  if (grows <= 0) return;
  for await (const page of req.sdk.pages(`${from}/`, {
    folders: true,
    limit: req.deps.listPage,
    signal: req.signal,
  }))
    for (const entry of page.entries)
      if (Buffer.byteLength(entry.path) + grows > MAX_PATH_BYTES)
        throw new DavError(
          400,
          `the move would make a path longer than ${MAX_PATH_BYTES} bytes; nothing was moved`,
        );
}

/**
 * A replaced folder's members are gone, and so are their locks, as with a DELETE (§9.9.3):
 * else a name nobody sees stays locked until the lock times out. A lock on the destination
 * itself stays with its URL (an editor saving through a MOVE onto the file it holds locked
 * keeps it).
 */
async function removeMemberLocks(req: DavRequest, dest: string): Promise<void> {
  const { locks } = req.deps;
  for (const lock of await locks.locksUnder(dest, Date.now())) await locks.removeLock(lock.token);
}

/** COPY or MOVE: 201 when the destination is new, 204 when it was replaced, 207 for a partial folder copy. */
export async function handleCopyMove(req: DavRequest): Promise<void> {
  const { ctx, path, sdk, signal } = req;
  const move = ctx.method === 'MOVE';
  const overwrite = parseOverwrite(ctx.get('overwrite') || undefined);
  const dest = parseDestination(ctx.get('destination') || undefined, req.url);
  if (path === ROOT_PATH) throw new DavError(403, `the root cannot be ${move ? 'moved' : 'copied'}`);
  if (dest === path) throw new DavError(403, 'the source and the destination are the same');
  if (isWithin(dest, path))
    throw new DavError(403, `${path} cannot be ${move ? 'moved' : 'copied'} below itself`);
  // Replacing a folder that holds the source would delete the source first. (With Overwrite: F
  // the answer is that it exists: it holds the source.)
  if (isWithin(path, dest))
    throw overwrite
      ? new DavError(403, `${dest} holds ${path}: it cannot be its destination`)
      : new DavError(412, `${dest} exists and Overwrite is F`);
  const source = await req.resolve();
  if (source.kind === 'missing') throw req.notFound();
  // Depth speaks of a collection's members (§9.8.3, §9.9.2); on a file it means nothing.
  const depth = source.kind === 'folder' ? parseDepth(ctx.get('depth'), move ? 'MOVE' : 'COPY') : 'infinity';
  const target = await req.resolve(dest);
  // A Destination ending in `/` names a folder: below a file there is none, and a file copied or
  // moved to a free name there would not be one (409, as a PUT there). (Onto a folder that is
  // there, a file may replace it: litmus copy_overwrite.)
  if (ctx.get('destination').trim().endsWith('/')) {
    if (target.kind === 'file') throw new DavError(409, `${dest}/ names a folder, and ${dest} is a file`);
    if (target.kind === 'missing' && source.kind === 'file')
      throw new DavError(409, `${dest}/ names a folder: a file goes to its name without a trailing /`);
  }
  if (target.kind === 'missing' && target.parent !== 'folder') {
    throw new DavError(409, `the parent folder of ${dest} does not exist`);
  }
  const replaces = target.kind !== 'missing';
  if (replaces && !overwrite) throw new DavError(412, `${dest} exists and Overwrite is F`);
  const changes: DavChange[] = [
    ...(move ? [{ kind: 'remove' as const, path }] : []),
    ...(replaces ? [{ kind: 'remove' as const, path: dest }] : []),
    { kind: 'create', path: dest },
  ];
  await req.preconditions(changes);
  checkConditions(ctx.headers, source);
  // Only a file replacing a file is one step in the store; anything else goes first (§9.9.3,
  // §9.8.4). A move the store would refuse is refused before the destination goes, and from
  // the moment it starts to go the move runs to its end even if the client leaves (no signal):
  // else the destination would be lost.
  const first = target.kind === 'folder' || (target.kind === 'file' && source.kind === 'folder');
  if (move && first && source.kind === 'folder') await checkMovedLengths(req, path, dest);
  const steps = move && first ? {} : { signal };
  if (target.kind === 'folder') {
    await sdk.removeTree(dest, steps);
    await removeMemberLocks(req, dest);
  } else if (first) await sdk.remove(dest, steps);
  const status = replaces ? 204 : 201;
  if (move) {
    await keepParent(req, path, steps.signal);
    await sdk.move(path, dest, replaces, steps);
    await req.deps.locks.removeLocksWithin(path);
    sendEmpty(ctx, status);
    return;
  }
  if (source.kind === 'file') {
    await sdk.copy(path, dest, { signal });
    sendEmpty(ctx, status);
    return;
  }
  await copyFolder(req, dest, depth === 'infinity', status);
}
