// The master's HTTP routes: the client API under /api/, the node protocol under /internal/,
// and the dashboard pages. Bodies are parsed into typed requests here, before any logic runs.

import Router from '@koa/router';
import Koa, { type Context, type Next } from 'koa';
import type { MasterConfig } from '../config.js';
import { requireToken } from '../http/access.js';
import { assets } from '../http/assets.js';
import { bodyOf, jsonBody } from '../http/body.js';
import { errorMiddleware, type Logger, logAppErrors } from '../http/errors.js';
import { Monitoring } from '../http/monitoring.js';
import { securityHeaders } from '../http/security.js';
import { CSRF_HEADER, sameOrigin, sessionGate } from '../http/session.js';
import { verifyNodeAuth } from '../protocol/auth.js';
import { DfsError } from '../protocol/errors.js';
import { OP_HEADER, UPLOAD_HEADER } from '../protocol/headers.js';
import { isUploadId } from '../protocol/limits.js';
import { assertChunkId, filePathAfter, pathAfter } from '../protocol/paths.js';
import type { ClusterConfig, ClusterStatus, HeartbeatRequest, RegisterRequest } from '../protocol/types.js';
import { runBatch } from './batch.js';
import type { Gateways } from './gateways.js';
import type { Namespace } from './namespace.js';
import type { NodeProtocol } from './node-protocol.js';
import type { Operations } from './operations.js';
import { renderDashboard, renderFilePage } from './page.js';
import {
  flag,
  parseAllocate,
  parseCommit,
  parseIfGeneration,
  parseKeepContents,
  parseList,
  parseMove,
  parseUploadId,
} from './requests.js';
import type { MasterSeries } from './series.js';

/** What the master app is built from. */
export interface MasterAppDeps {
  config: Readonly<MasterConfig>;
  namespace: Namespace;
  nodeProtocol: NodeProtocol;
  gateways: Gateways;
  operations: Operations;
  log: Logger;
  /** The master's metrics (a fresh set when not given). */
  monitoring?: Monitoring;
  /** The dashboard's charts (none when not given). */
  series?: MasterSeries;
}

/** Builds the master's Koa app; it never listens. */
export function createMasterApp(deps: MasterAppDeps): Koa {
  const { config, namespace, nodeProtocol, gateways, operations, log, series } = deps;
  const app = new Koa();
  app.on('error', logAppErrors(log));
  app.use((deps.monitoring ?? new Monitoring(config, log)).middleware());
  app.use(errorMiddleware(log));
  app.use(securityHeaders());
  app.use(assets());

  const status = (): Promise<ClusterStatus> => operations.status();
  const uploadId = (ctx: Context) => {
    const id = ctx.get(UPLOAD_HEADER);
    return id ? parseUploadId(id) : undefined;
  };
  const op = (ctx: Context) => {
    const id = ctx.get(OP_HEADER);
    if (id && !isUploadId(id))
      throw new DfsError('bad_request', `invalid ${OP_HEADER} header: 8 to 64 letters, digits, _ or -`);
    return id || undefined;
  };

  const api = new Router({ sensitive: true });
  // The API takes the bearer token; a browser's session cookie (SameSite=Strict, set by
  // POST /session) opens only reads, for the dashboard's file finder and chunk maps.
  const bearerGate = requireToken(config.token);
  const session = sessionGate(config.token);
  const gate = (ctx: Context, next: Next) =>
    (ctx.method === 'GET' || ctx.method === 'HEAD') && session.hasSession(ctx)
      ? next()
      : bearerGate(ctx, next);
  app.use((ctx, next) => (ctx.path.startsWith('/api/') ? gate(ctx, next) : next()));
  api.get('/api/config', (ctx) => {
    const body: ClusterConfig = {
      chunkSize: config.chunkSize,
      replication: config.replication,
      maxFileSize: config.maxFileSize,
    };
    ctx.body = body;
  });
  api.post('/api/chunks/allocate', jsonBody(), async (ctx) => {
    const id = uploadId(ctx);
    if (!id) throw new DfsError('bad_request', `the ${UPLOAD_HEADER} header is required`);
    ctx.body = {
      allocations: await namespace.allocate(parseAllocate(ctx.request.body, config.chunkSize), id),
    };
  });
  api.post('/api/batch', jsonBody('32mb'), async (ctx) => {
    ctx.body = { results: await runBatch(ctx.request.body, namespace, config, log) };
  });
  api.post('/api/chunks/:id/suspect', jsonBody(), (ctx) => {
    nodeProtocol.suspect(
      assertChunkId(ctx.params.id),
      String(bodyOf<{ nodeId?: unknown }>(ctx).nodeId ?? ''),
    );
    ctx.status = 202;
    ctx.body = { ok: true };
  });
  api.delete('/api/uploads/:id', async (ctx) => {
    await namespace.abort(parseUploadId(ctx.params.id));
    ctx.body = { aborted: true };
  });
  api.get('/api/files', async (ctx) => {
    ctx.body = await namespace.list(parseList(ctx.query));
  });
  api.post('/api/files', jsonBody('16mb'), async (ctx) => {
    const request = parseCommit(ctx.request.body, config);
    ctx.status = 201;
    ctx.body = await namespace.commit(request, uploadId(ctx));
  });
  api.get(/^\/api\/files\/(.+)$/, async (ctx) => {
    ctx.body = await namespace.stat(filePathAfter(ctx.path, '/api/files/'));
  });
  api.delete(/^\/api\/files\/(.+)$/, async (ctx) => {
    const removed = await namespace.remove(
      filePathAfter(ctx.path, '/api/files/'),
      parseIfGeneration(ctx.query),
      op(ctx),
    );
    ctx.body = { deleted: removed.path, generation: removed.generation };
  });
  api.delete(/^\/api\/trees\/(.+)$/, async (ctx) => {
    ctx.body = { deleted: await namespace.removeTree(pathAfter(ctx.path, '/api/trees/'), op(ctx)) };
  });
  api.post('/api/dirs', jsonBody(), async (ctx) => {
    ctx.status = 201;
    const body = bodyOf<{ path?: unknown; impliedParents?: unknown }>(ctx);
    const path = operations.path(body.path);
    ctx.body = { path: await namespace.mkdir(path, flag(body.impliedParents, 'impliedParents')) };
  });
  api.delete(/^\/api\/dirs\/(.+)$/, async (ctx) => {
    await namespace.rmdir(pathAfter(ctx.path, '/api/dirs/'), parseKeepContents(ctx.query), op(ctx));
    ctx.body = { deleted: true };
  });
  api.post('/api/move', jsonBody(), async (ctx) => {
    const { from, to, overwrite } = parseMove(ctx.request.body);
    ctx.body = await namespace.move(from, to, overwrite, op(ctx));
  });
  api.get('/api/nodes', (ctx) => {
    ctx.body = { nodes: operations.nodes() };
  });
  api.delete('/api/nodes/:node', async (ctx) => {
    ctx.body = await operations.removeNode(ctx.params.node ?? '');
  });
  api.get('/api/fsck', async (ctx) => {
    ctx.body = await operations.fsck(ctx.query.prefix);
  });
  api.get('/api/status', async (ctx) => {
    ctx.body = await status();
  });
  api.get('/api/series', (ctx) => {
    if (!series) throw new DfsError('not_found', 'this master keeps no chart data');
    ctx.set('Cache-Control', 'no-store');
    ctx.body = series.charts();
  });
  gateways.routes(api);

  const internal = new Router({ sensitive: true });
  app.use(async (ctx, next) => {
    if (ctx.path.startsWith('/internal/'))
      ctx.state.nodeId = verifyNodeAuth(config.secret, ctx.get('authorization'));
    await next();
  });
  internal.post('/internal/register', jsonBody('64mb'), async (ctx) => {
    ctx.body = await nodeProtocol.register(ctx.state.nodeId, bodyOf<RegisterRequest>(ctx));
  });
  internal.post('/internal/heartbeat', jsonBody(), async (ctx) => {
    ctx.body = await nodeProtocol.heartbeat(ctx.state.nodeId, bodyOf<HeartbeatRequest>(ctx));
  });
  internal.post('/internal/replicated', jsonBody(), async (ctx) => {
    await nodeProtocol.replicated(ctx.state.nodeId, bodyOf<Record<string, unknown>>(ctx));
    ctx.body = { ok: true };
  });
  internal.post('/internal/corrupt', jsonBody('16mb'), (ctx) => {
    const body = bodyOf<{ chunks?: unknown; missing?: unknown }>(ctx);
    nodeProtocol.reportLost(ctx.state.nodeId, body.chunks, body.missing === true);
    ctx.body = { ok: true };
  });

  const pages = new Router({ sensitive: true });
  const writeFromPage = async (ctx: Context, next: Next) => {
    if (!sameOrigin(ctx)) throw new DfsError('forbidden', 'cross-origin request refused');
    if (ctx.get(CSRF_HEADER) !== '1')
      throw new DfsError('forbidden', `the ${CSRF_HEADER} header is required`);
    await next();
  };
  pages.post('/session', writeFromPage, jsonBody(), session.login);
  pages.delete('/session', writeFromPage, session.logout);
  pages.get('/', async (ctx) => {
    ctx.type = 'html';
    ctx.body = renderDashboard(await status(), operations.nodes(), config, session.hasSession(ctx));
  });
  pages.get(/^\/files\/(.+)$/, gate, async (ctx) => {
    ctx.type = 'html';
    ctx.body = renderFilePage(await namespace.stat(filePathAfter(ctx.path, '/files/')));
  });

  for (const router of [api, internal, pages]) {
    app.use(router.routes());
    app.use(router.allowedMethods());
  }
  return app;
}
