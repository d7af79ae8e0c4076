// The web client: a thin Koa app over the SDK. The browser talks to it; it talks to the cluster
// exactly as the CLI does. Desktops mount the same cluster through its WebDAV server at /dav/.

import Router from '@koa/router';
import Koa from 'koa';
import type { ClientConfig } from '../config.js';
import { davMiddleware } from '../dav/middleware.js';
import { assets } from '../http/assets.js';
import { bodyOf, jsonBody } from '../http/body.js';
import { rangeApplies, readCondition, versionEtag } from '../http/conditional.js';
import { errorMiddleware, type Logger, logAppErrors } from '../http/errors.js';
import { Monitoring } from '../http/monitoring.js';
import { securityHeaders } from '../http/security.js';
import { sessionGate } from '../http/session.js';
import { streamFile } from '../http/stream-file.js';
import { DfsError } from '../protocol/errors.js';
import { baseName, filePathAfter, pathAfter } from '../protocol/paths.js';
import { parseRange } from '../protocol/range.js';
import type { DfsClient } from '../sdk/client.js';
import { contentDisposition } from './disposition.js';
import { renderBrowserPage } from './page.js';

// A name sent in a body or a query: a string, never an object or a list coerced into one.
function text(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new DfsError('bad_request', `${what} must be a string`);
  return value;
}

/** What the web client app is built from. */
export interface ClientAppDeps {
  config: Readonly<ClientConfig>;
  sdk: DfsClient;
  log: Logger;
}

/** Builds the web client's Koa app; it never listens. */
export function createClientApp({ config, sdk, log }: ClientAppDeps): Koa {
  const app = new Koa();
  app.on('error', logAppErrors(log));
  app.use(new Monitoring(config, log).middleware());
  app.use(errorMiddleware(log));
  app.use(securityHeaders());
  // WebDAV at /dav/ has its own access rules (Basic with the token, never the session cookie)
  // and its own answers (WebDAV statuses and XML), so it sits in front of the pages' gate.
  app.use(davMiddleware({ sdk, token: config.token, log }));
  app.use(assets());
  const router = new Router({ sensitive: true });
  const gate = sessionGate(config.token);
  router.post('/session', jsonBody(), gate.login);
  router.delete('/session', gate.logout);
  app.use(gate.check);

  router.get('/', (ctx) => {
    ctx.type = 'html';
    const locked = Boolean(config.token);
    ctx.body = renderBrowserPage({
      needsLogin: locked && !ctx.state.authenticated,
      signedIn: locked && ctx.state.authenticated,
    });
  });
  router.get('/api/list', async (ctx) => {
    // One page of a folder, with each file's health; the page asks for the next with `after`.
    const after = typeof ctx.query.after === 'string' ? ctx.query.after : undefined;
    ctx.body = await sdk.list(text(ctx.query.prefix ?? '/', 'prefix'), {
      delimiter: true,
      health: true,
      limit: 1000,
      after,
    });
  });
  router.get('/api/config', async (ctx) => {
    ctx.body = await sdk.config();
  });
  router.get('/api/status', async (ctx) => {
    ctx.body = await sdk.status();
  });
  router.get(/^\/api\/stat\/(.+)$/, async (ctx) => {
    ctx.body = await sdk.stat(filePathAfter(ctx.path, '/api/stat/'));
  });
  router.put(/^\/api\/files\/(.+)$/, async (ctx) => {
    const path = filePathAfter(ctx.path, '/api/files/');
    // RFC 9110 §14.5: a partial PUT (not supported) must be refused, not stored as the whole file.
    if (ctx.get('content-range'))
      throw new DfsError('bad_request', 'PUT with Content-Range is not supported');
    const declared = ctx.get('content-length') ? Number(ctx.get('content-length')) : undefined;
    // A client that leaves before the answer cancels the upload, also once its last byte was sent
    // (the browser's Cancel while the cluster stores it): nothing is committed for it.
    const abort = new AbortController();
    ctx.res.once('close', () => {
      if (!ctx.res.writableFinished) abort.abort(new DfsError('bad_request', 'upload was cancelled'));
    });
    const manifest = await sdk.upload(ctx.req as AsyncIterable<Buffer>, path, {
      signal: abort.signal,
      expectedSize: declared,
    });
    ctx.status = 201;
    ctx.body = manifest;
  });
  router.get(/^\/api\/download\/(.+)$/, async (ctx) => {
    const info = await sdk.stat(filePathAfter(ctx.path, '/api/download/'));
    // The version's generation is its validator (a content hash is not: multipart uploads have none).
    const current = { etag: versionEtag(info.generation), modified: info.created };
    ctx.set('ETag', current.etag);
    ctx.set('Last-Modified', new Date(info.created).toUTCString());
    ctx.set('Cache-Control', 'private, no-cache');
    const condition = readCondition(ctx.headers, current);
    if (condition === 412)
      throw new DfsError('precondition_failed', `${info.path} is not the version the request names`);
    if (condition === 304) {
      ctx.status = 304;
      return;
    }
    const range = rangeApplies(ctx.headers, current) ? parseRange(ctx.get('range'), info.size) : undefined;
    ctx.set('Accept-Ranges', 'bytes');
    ctx.set('Content-Disposition', contentDisposition(baseName(info.path), ctx.query.inline === '1'));
    ctx.type = 'application/octet-stream';
    if (range) {
      ctx.status = 206;
      ctx.set('Content-Range', `bytes ${range.start}-${range.end}/${info.size}`);
    }
    ctx.length = range ? range.end - range.start + 1 : info.size;
    if (ctx.method === 'HEAD') {
      // The status of the GET and no body: Koa then sends the headers as set (a null body
      // would make it 204 and drop Content-Length and Content-Type).
      ctx.status = range ? 206 : 200;
      return;
    }
    if (ctx.length === 0) {
      ctx.body = '';
      return;
    }
    await streamFile(ctx, sdk, info, range, log);
  });
  router.delete(/^\/api\/files\/(.+)$/, async (ctx) => {
    await sdk.remove(filePathAfter(ctx.path, '/api/files/'));
    ctx.body = { deleted: true };
  });
  router.delete(/^\/api\/trees\/(.+)$/, async (ctx) => {
    ctx.body = { deleted: await sdk.removeTree(pathAfter(ctx.path, '/api/trees/')) };
  });
  router.post('/api/move', jsonBody(), async (ctx) => {
    const body = bodyOf<{ from?: unknown; to?: unknown }>(ctx);
    ctx.body = await sdk.move(text(body.from, 'from'), text(body.to, 'to'));
  });
  router.post('/api/mkdir', jsonBody(), async (ctx) => {
    ctx.status = 201;
    ctx.body = { path: await sdk.mkdir(text(bodyOf<{ path?: unknown }>(ctx).path, 'path')) };
  });
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
