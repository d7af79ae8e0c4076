// A storage node's HTTP routes: chunk PUT (with pipeline forwarding), GET (with Range), DELETE,
// and its status page.

import Router from '@koa/router';
import Koa from 'koa';
import type { NodeConfig } from '../config.js';
import { requireToken } from '../http/access.js';
import { assets } from '../http/assets.js';
import { errorMiddleware, type Logger, logAppErrors } from '../http/errors.js';
import { Monitoring } from '../http/monitoring.js';
import { securityHeaders } from '../http/security.js';
import { verifyWriteToken } from '../protocol/auth.js';
import { DfsError } from '../protocol/errors.js';
import { FAILED_NODE_HEADER, FORWARD_HEADER, TOKEN_HEADER } from '../protocol/headers.js';
import { assertChunkId } from '../protocol/paths.js';
import { parseRange } from '../protocol/range.js';
import type { Receipt } from '../protocol/types.js';
import { type ChunkPut, openChunkPut, PipelineError } from '../sdk/chunk-io.js';
import type { ChunkStore } from '../storage/chunk-store.js';
import { admitChunkPut, chunkCaching, ownReceipt } from './fast-routes.js';
import { renderNodePage } from './page.js';
import type { NodeSeries } from './series.js';
import type { NodeState } from './state.js';

/** What the node app is built from. */
export interface NodeAppDeps {
  config: Readonly<NodeConfig>;
  store: ChunkStore;
  state: NodeState;
  log: Logger;
  /** The node's metrics (a fresh set when not given). */
  monitoring?: Monitoring;
  /** The node page's charts (none when not given). */
  series?: NodeSeries;
}

/** Builds the node's Koa app; it never listens. */
export function createNodeApp(deps: NodeAppDeps): Koa {
  const { config, store, state, log, monitoring, series } = deps;
  const app = new Koa();
  // Case-sensitive: `/CHUNKS/…` is not another spelling of a chunk route.
  const router = new Router({ sensitive: true });
  app.on('error', logAppErrors(log));
  app.use((monitoring ?? new Monitoring(config, log)).middleware());
  app.use(errorMiddleware(log));
  app.use(securityHeaders());
  app.use(assets());
  app.use(async (ctx, next) => {
    state.requests++;
    // The raw (undecoded) id is checked before auth, routing or any file-system call: a chunk
    // id is 64 lowercase hex digits, and no encoding of one is another id.
    if (ctx.path.toLowerCase().startsWith('/chunks/')) {
      const chunk = assertChunkId(ctx.path.slice('/chunks/'.length));
      if (config.accessLog) ctx.state.logFields = { chunk };
    }
    await next();
  });

  // A chunk PUT of no declared length or a large one, streamed to a file as it arrives (the
  // node's listener answers a small one before Koa: chunk-put.ts).
  router.put('/chunks/:id', async (ctx) => {
    const id = assertChunkId(ctx.params.id);
    const declared = ctx.get('content-length') ? Number(ctx.get('content-length')) : undefined;
    const { limit, downstream } = await admitChunkPut(
      deps,
      id,
      ctx.get(TOKEN_HEADER),
      declared,
      ctx.get(FORWARD_HEADER),
    );
    const writer = await store.beginWrite(id, limit);
    let forward: ChunkPut | undefined;
    let receipts: Receipt[];
    try {
      // Opened inside the try: a failure to reach the next node must still remove the temp file.
      if (downstream.length > 0) forward = openChunkPut(downstream, id, ctx.get(TOKEN_HEADER), declared);
      for await (const piece of ctx.req as AsyncIterable<Buffer>) {
        await Promise.all([writer.write(piece), forward?.write(piece)]);
      }
      if (declared !== undefined && writer.size !== declared) {
        throw new DfsError('bad_request', 'chunk body ended before its Content-Length');
      }
      const [, down] = await Promise.all([writer.commit(), forward?.finish()]);
      receipts = [ownReceipt(deps, id), ...(down ?? [])];
    } catch (err) {
      forward?.destroy();
      await writer.abort();
      if (err instanceof PipelineError) ctx.set(FAILED_NODE_HEADER, err.failedNode);
      throw err;
    }
    state.bytesIn += writer.size;
    ctx.status = 201;
    ctx.body = { receipts };
  });

  router.get('/chunks/:id', requireToken(config.token), async (ctx) => {
    const id = assertChunkId(ctx.params.id);
    const size = store.sizeOf(id) ?? (await store.sizeOnDisk(id));
    if (size === undefined) throw new DfsError('not_found', `chunk ${id} is not on this node`);
    const range = parseRange(ctx.get('range'), size);
    const head = ctx.method === 'HEAD';
    const { stream, data, release } = await store.read(id, range?.start, range?.end, head);
    // A kept buffer goes back once the answer is sent, or the client has left.
    if (release) ctx.res.once('close', release);
    ctx.set('Accept-Ranges', 'bytes');
    ctx.set('Cache-Control', chunkCaching(config));
    ctx.type = 'application/octet-stream';
    if (range) {
      ctx.status = 206;
      ctx.set('Content-Range', `bytes ${range.start}-${range.end}/${size}`);
    }
    ctx.length = range ? range.end - range.start + 1 : size;
    if (!head) state.bytesOut += ctx.length;
    ctx.body = data ?? stream;
  });

  router.delete('/chunks/:id', async (ctx) => {
    const id = assertChunkId(ctx.params.id);
    verifyWriteToken(config.secret, ctx.get(TOKEN_HEADER) || undefined, ['delete'], id);
    const existed = await store.delete(id);
    ctx.body = { deleted: existed };
  });

  router.get('/api/status', requireToken(config.token), async (ctx) => {
    ctx.body = await state.snapshot();
  });

  router.get('/', async (ctx) => {
    ctx.type = 'html';
    ctx.body = renderNodePage(await state.snapshot());
  });

  // The charts of the node page, public like the page itself (/metrics and /api/ need the token).
  router.get('/series', (ctx) => {
    if (!series) throw new DfsError('not_found', 'this node keeps no chart data');
    ctx.set('Cache-Control', 'no-store');
    ctx.body = series.charts();
  });

  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
