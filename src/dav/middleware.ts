// The WebDAV server of the web client: Koa middleware answering every method under /dav/ (and
// OPTIONS on the server root, which Windows asks first), one handler per method over the SDK.

import type { Context, Next } from 'koa';
import type { Logger } from '../http/errors.js';
import type { DfsClient } from '../sdk/client.js';
import { checkDavAccess } from './access.js';
import { DavError } from './errors.js';
import { handleCopyMove } from './handle-copy-move.js';
import { handleDelete } from './handle-delete.js';
import { handleGet } from './handle-get.js';
import { handleLock, handleUnlock } from './handle-lock.js';
import { handleMkcol } from './handle-mkcol.js';
import { handlePropfind } from './handle-propfind.js';
import { handleProppatch } from './handle-proppatch.js';
import { handlePut } from './handle-put.js';
import { DEFAULT_TIMEOUT_LIMITS, type TimeoutLimits } from './headers.js';
import { DAV_MOUNT, requestPath } from './href.js';
import type { LockStore } from './lock-store.js';
import { DAV_HEADERS } from './quirks.js';
import { clusterQuota } from './quota.js';
import { type DavDeps, DavRequest, rootHref } from './request.js';
import { sendDavError, sendEmpty } from './respond.js';
import { SdkLockStore } from './sdk-lock-store.js';

/** What the WebDAV server is built from. */
export interface DavOptions {
  sdk: DfsClient;
  /** The cluster's access token ('' = open): the Basic password WebDAV asks for. */
  token: string;
  log: Logger;
  /** Where locks live; default: the cluster's metadata store. */
  locks?: LockStore;
  /** Bounds on lock timeouts; default one hour at most, ten minutes unasked. */
  timeouts?: TimeoutLimits;
  /** Entries asked of the master per listing page (PROPFIND, folder copies, indexes); default 1000. */
  listPage?: number;
}

/** The route label of every /dav/ request in the metrics and the access log. */
const DAV_ROUTE = '/dav/';

const HANDLERS: Readonly<Record<string, (req: DavRequest) => Promise<void>>> = {
  GET: handleGet,
  HEAD: handleGet,
  PUT: handlePut,
  DELETE: handleDelete,
  MKCOL: handleMkcol,
  COPY: handleCopyMove,
  MOVE: handleCopyMove,
  PROPFIND: handlePropfind,
  PROPPATCH: handleProppatch,
  LOCK: handleLock,
  UNLOCK: handleUnlock,
};

function answerOptions(ctx: Context): void {
  ctx.set(DAV_HEADERS);
  sendEmpty(ctx, 200);
}

/** True for the paths WebDAV answers: the mount itself and everything below it. */
export function isDavPath(path: string): boolean {
  return path === DAV_MOUNT || path.startsWith(`${DAV_MOUNT}/`);
}

/** The /dav/ middleware; other paths pass through (OPTIONS / is answered for Windows). */
export function davMiddleware(options: DavOptions) {
  const { token, log } = options;
  const deps: DavDeps = {
    sdk: options.sdk,
    locks: options.locks ?? new SdkLockStore(options.sdk.api),
    log,
    timeouts: options.timeouts ?? DEFAULT_TIMEOUT_LIMITS,
    listPage: options.listPage ?? 1000,
    quota: clusterQuota(options.sdk),
  };
  return async (ctx: Context, next: Next): Promise<void> => {
    // Windows' WebClient asks the server root first and gives up on a server that fails it.
    if (ctx.path === '/' && ctx.method === 'OPTIONS') {
      answerOptions(ctx);
      return;
    }
    if (!isDavPath(ctx.path)) return next();
    // No router matches /dav/: without a label every request would count as `unmatched`.
    ctx.state.routeLabel = DAV_ROUTE;
    let request: DavRequest | undefined;
    try {
      checkDavAccess(ctx, token);
      // An absolute-form target (`PROPFIND http://host/dav/ HTTP/1.1`, from some proxies) is
      // read by its path, which Koa has parsed out of it.
      const path = requestPath(ctx.url.startsWith('/') ? ctx.url : ctx.path);
      if (path === undefined) throw new DavError(400, 'the request target is not below /dav/');
      if (ctx.method === 'OPTIONS') {
        answerOptions(ctx);
        return;
      }
      const handler = HANDLERS[ctx.method];
      if (!handler) {
        ctx.set('Allow', DAV_HEADERS.Allow);
        throw new DavError(405, `${ctx.method} is not a WebDAV method dfs supports`);
      }
      request = new DavRequest(ctx, deps, path);
      await handler(request);
    } catch (err) {
      sendDavError(ctx, err, log, request?.lockHref ?? rootHref, request?.signal.aborted);
    }
  };
}
