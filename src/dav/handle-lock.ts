// LOCK and UNLOCK on /dav/ (RFC 4918 §9.10–9.11): exclusive and shared write locks of depth 0 or
// infinity, kept in the metadata store; a LOCK of an unmapped URL creates an empty file (§7.3);
// a LOCK without a body refreshes the locks its If header names.

import { DfsError } from '../protocol/errors.js';
import { readXmlBody } from './body.js';
import { badRequest, DavError } from './errors.js';
import { storedType } from './handle-put.js';
import { parseDepth, parseLockToken, parseTimeout } from './headers.js';
import { locksAround } from './lock-store.js';
import { conflictError, type DavLock, locksToRefresh, lockToRemove, newLock, refreshLock } from './locks.js';
import type { DavRequest } from './request.js';
import { sendEmpty, sendXml } from './respond.js';
import { parseLockInfo } from './xml-requests.js';
import { lockResponseXml } from './xml-responses.js';

/** LOCK: 200 with the lock (201 when it created the file), or a refresh. */
export async function handleLock(req: DavRequest): Promise<void> {
  const { ctx, path, now, sdk, signal } = req;
  const store = req.deps.locks;
  const timeoutSeconds = parseTimeout(ctx.get('timeout') || undefined, req.deps.timeouts);
  const info = parseLockInfo(await readXmlBody(ctx.req));
  if (!info) {
    if (!ctx.get('if'))
      throw badRequest('a LOCK without a body is a refresh: it needs an If header naming the lock');
    const { submitted, locks } = await req.preconditions([]);
    const renewed: DavLock[] = [];
    for (const lock of locksToRefresh(locks, path, submitted, now)) {
      const next = refreshLock(lock, timeoutSeconds, now);
      if (await store.putLock(next)) renewed.push(next);
    }
    if (renewed.length === 0) throw new DavError(412, 'the lock expired before it could be refreshed');
    await req.resolve(); // a folder's lock root is named with its slash
    sendXml(ctx, 200, lockResponseXml(renewed, now, req.lockHref));
    return;
  }
  const depth = parseDepth(ctx.get('depth'), 'LOCK') as 0 | 'infinity';
  const found = await req.resolve();
  if (found.kind === 'missing' && found.parent !== 'folder') {
    throw new DavError(409, `the parent folder of ${path} does not exist`);
  }
  const exists = found.kind !== 'missing';
  // A LOCK of a free name makes a file there, and a name ending in `/` names a folder (409, as a PUT).
  if (!exists && req.slashed)
    throw new DavError(409, `${path}/ names a folder: lock a new file at its name without a trailing /`);
  await req.preconditions(exists ? [] : [{ kind: 'create', path }]);
  const lock = newLock({ root: path, depth, scope: info.scope, owner: info.owner, timeoutSeconds }, now);
  const conflicts = await store.acquire(lock, now);
  if (conflicts.length > 0) throw conflictError(conflicts);
  if (!exists) {
    try {
      await sdk.upload([], path, { ifGeneration: 0, contentType: storedType(path, ''), signal });
    } catch (err) {
      // Someone else created it meanwhile: the lock holds that file now, as it would have.
      if (!(err instanceof DfsError && err.code === 'precondition_failed')) {
        await store.removeLock(lock.token);
        throw err;
      }
    }
  }
  ctx.set('Lock-Token', `<${lock.token}>`);
  sendXml(ctx, exists ? 200 : 201, lockResponseXml([lock], now, req.lockHref));
}

/** UNLOCK: 204 once the lock named by Lock-Token, whose scope holds the URL, is gone. */
export async function handleUnlock(req: DavRequest): Promise<void> {
  const { ctx, path, now } = req;
  const token = parseLockToken(ctx.get('lock-token') || undefined);
  const locks = await locksAround(req.deps.locks, [path], now);
  const lock = lockToRemove(locks, path, token, now);
  await req.deps.locks.removeLock(lock.token);
  sendEmpty(ctx, 204);
}
