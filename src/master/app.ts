// The master's HTTP routes: the client API under /api/, the node protocol under /internal/,
// and the dashboard pages.

import Router from '@koa/router';
import Koa, { type Context, type Next } from 'koa';
import type { MasterConfig } from '../config.js';
import { requireToken } from '../http/access.js';
import { assets } from '../http/assets.js';
import { bodyOf, jsonBody } from '../http/body.js';
import { errorMiddleware, type Logger, logAppErrors } from '../http/errors.js';
import { securityHeaders } from '../http/security.js';
import { CSRF_HEADER, sameOrigin, sessionGate } from '../http/session.js';
import { verifyNodeAuth } from '../protocol/auth.js';
import { DfsError } from '../protocol/errors.js';
import { UPLOAD_HEADER } from '../protocol/headers.js';
import { assertChunkId, pathAfter } from '../protocol/paths.js';
import type {
  AllocateRequest,
  ClusterConfig,
  ClusterStatus,
  CommitRequest,
  HeartbeatRequest,
  RegisterRequest,
} from '../protocol/types.js';
import type { EventLog } from './events.js';
import type { Maintenance } from './maintenance.js';
import type { Namespace } from './namespace.js';
import { renderDashboard, renderFilePage } from './page.js';
import type { NodeRegistry } from './registry.js';

/** What the master app is built from. */
export interface MasterAppDeps {
  config: Readonly<MasterConfig>;
  namespace: Namespace;
  registry: NodeRegistry;
  maintenance: Maintenance;
  events: EventLog;
  log: Logger;
}

/** Builds the master's Koa app; it never listens. */
export function createMasterApp(deps: MasterAppDeps): Koa {
  const { config, namespace, registry, maintenance, events, log } = deps;
  const app = new Koa();
  app.on('error', logAppErrors(log));
  app.use(errorMiddleware(log));
  app.use(securityHeaders());
  app.use(assets());

  const status = (): ClusterStatus => {
    const alive = registry.alive().length;
    return {
      nodes: { alive, dead: registry.all().length - alive },
      files: namespace.totals.files,
      logicalBytes: namespace.totals.logicalBytes,
      ...maintenance.health,
      replication: config.replication,
      events: events.recent(),
    };
  };
  const uploadId = (ctx: Context) => {
    const id = ctx.get(UPLOAD_HEADER);
    if (id && !/^[\w-]{8,64}$/.test(id)) throw new DfsError('bad_request', 'invalid upload id');
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
    ctx.body = { allocations: await namespace.allocate(bodyOf<AllocateRequest>(ctx), id) };
  });
  api.post('/api/chunks/:id/suspect', jsonBody(), (ctx) => {
    const id = assertChunkId(ctx.params.id);
    maintenance.suspect(id, String(bodyOf<{ nodeId?: unknown }>(ctx).nodeId ?? ''));
    ctx.status = 202;
    ctx.body = { ok: true };
  });
  api.get('/api/files', (ctx) => {
    ctx.body = namespace.list({
      prefix: ctx.query.prefix,
      delimiter: ctx.query.delimiter === '/' || ctx.query.delimiter === '1',
      after: ctx.query.after,
      limit: ctx.query.limit,
    });
  });
  api.post('/api/files', jsonBody('16mb'), async (ctx) => {
    ctx.status = 201;
    ctx.body = await namespace.commit(bodyOf<CommitRequest>(ctx), uploadId(ctx));
    maintenance.markChanged();
  });
  api.get(/^\/api\/files\/(.+)$/, (ctx) => {
    ctx.body = namespace.stat(pathAfter(ctx.path, '/api/files/'));
  });
  api.delete(/^\/api\/files\/(.+)$/, async (ctx) => {
    const removed = await namespace.remove(pathAfter(ctx.path, '/api/files/'));
    maintenance.markChanged();
    ctx.body = { deleted: removed.path };
  });
  api.post('/api/dirs', jsonBody(), async (ctx) => {
    ctx.status = 201;
    ctx.body = { path: await namespace.mkdir(bodyOf<{ path?: unknown }>(ctx).path as string) };
  });
  api.delete(/^\/api\/dirs\/(.+)$/, async (ctx) => {
    await namespace.rmdir(pathAfter(ctx.path, '/api/dirs/'));
    ctx.body = { deleted: true };
  });
  api.post('/api/move', jsonBody(), async (ctx) => {
    const body = bodyOf<{ from?: unknown; to?: unknown; overwrite?: unknown }>(ctx);
    ctx.body = await namespace.move(body.from, body.to, body.overwrite === true);
  });
  api.get('/api/nodes', (ctx) => {
    ctx.body = { nodes: registry.info() };
  });
  api.get('/api/fsck', (ctx) => {
    ctx.body = maintenance.fsck(ctx.query.prefix);
  });
  api.get('/api/status', (ctx) => {
    ctx.body = status();
  });

  const internal = new Router({ sensitive: true });
  app.use(async (ctx, next) => {
    if (ctx.path.startsWith('/internal/'))
      ctx.state.nodeId = verifyNodeAuth(config.secret, ctx.get('authorization'));
    await next();
  });
  internal.post('/internal/register', jsonBody('64mb'), async (ctx) => {
    ctx.body = await maintenance.register(ctx.state.nodeId, bodyOf<RegisterRequest>(ctx));
  });
  internal.post('/internal/heartbeat', jsonBody(), (ctx) => {
    ctx.body = maintenance.heartbeat(ctx.state.nodeId, bodyOf<HeartbeatRequest>(ctx));
  });
  internal.post('/internal/replicated', jsonBody(), async (ctx) => {
    await maintenance.replicated(ctx.state.nodeId, bodyOf<Record<string, unknown>>(ctx));
    ctx.body = { ok: true };
  });
  internal.post('/internal/corrupt', jsonBody('16mb'), async (ctx) => {
    const body = bodyOf<{ chunks?: unknown; missing?: unknown }>(ctx);
    await maintenance.reportCorrupt(ctx.state.nodeId, body.chunks, body.missing === true);
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
  pages.get('/', (ctx) => {
    ctx.type = 'html';
    ctx.body = renderDashboard(status(), registry.info(), config, session.hasSession(ctx));
  });
  pages.get(/^\/files\/(.+)$/, gate, (ctx) => {
    ctx.type = 'html';
    ctx.body = renderFilePage(namespace.stat(pathAfter(ctx.path, '/files/')));
  });

  for (const router of [api, internal, pages]) {
    app.use(router.routes());
    app.use(router.allowedMethods());
  }
  return app;
}
