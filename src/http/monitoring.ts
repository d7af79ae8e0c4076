// A daemon's monitoring: its Prometheus registry, the HTTP metrics, and the one middleware that
// times every request, writes the access log line, and serves `GET /metrics`.

import type { ServerResponse } from 'node:http';
import type { Context, Middleware, Next } from 'koa';
import type { Registry } from 'prom-client';
import { bearer, tokenMatches, tokenMissing, tokenRefused } from './access.js';
import type { LogFields, Logger } from './errors.js';
import { HttpMetrics, routeLabel } from './http-metrics.js';
import { daemonRegistry } from './registry.js';
import { setSecurityHeaders } from './security.js';

/** What monitoring reads of a daemon's configuration (every DaemonConfig has it). */
export interface MonitoringOptions {
  /** The access token `/metrics` asks for; '' = none. */
  token: string;
  /** Serve `/metrics` without the token. */
  metricsPublic: boolean;
  /** Write one log line per answered request. */
  accessLog: boolean;
}

/** Options of Monitoring.middleware. */
export interface MetricsRouteOptions {
  /**
   * Whether a `GET /metrics` is the daemon's metrics; default always. A daemon whose own namespace
   * may hold `/metrics` (the S3 gateway: a bucket of that name) passes the others on.
   */
  servesMetrics?: (ctx: Context) => boolean;
}

// nginx's status for a request whose client went away before the answer started.
const CLIENT_GONE = '499';

/**
 * One daemon's metrics. Mount with `app.use(monitoring.middleware())` as the first middleware,
 * so it sees every answer as sent (after error handling) and the time it took.
 */
export class Monitoring {
  /** The daemon's registry: process metrics, HTTP metrics, and whatever the daemon adds. */
  readonly registry: Registry = daemonRegistry();
  readonly http = new HttpMetrics(this.registry);

  constructor(
    private readonly options: MonitoringOptions,
    private readonly log: Logger,
  ) {}

  /**
   * Times and counts every request by its route pattern: `ctx.state.routeLabel` when a handler set
   * one (a gateway naming its operation), else the router's matched route, else `unmatched`.
   * A handler may add fields to the access line in `ctx.state.logFields` (a node: the chunk).
   */
  middleware(options: MetricsRouteOptions = {}): Middleware {
    const servesMetrics = options.servesMetrics ?? (() => true);
    return async (ctx: Context, next: Next): Promise<void> => {
      const started = performance.now();
      // 'close' comes once the answer is sent, or the client left: streamed bodies are timed whole.
      ctx.res.once('close', () => this.answered(ctx, started));
      if (ctx.path === '/metrics' && (ctx.method === 'GET' || ctx.method === 'HEAD') && servesMetrics(ctx)) {
        ctx.state.routeLabel = '/metrics';
        return this.serve(ctx);
      }
      await next();
    };
  }

  private answered(ctx: Context, started: number): void {
    const route =
      typeof ctx.state.routeLabel === 'string' ? ctx.state.routeLabel : routeLabel(ctx._matchedRoute);
    this.observe(ctx.method, ctx.path, route, ctx.res, started, ctx.state.logFields as LogFields | undefined);
  }

  /**
   * Counts (and logs, with the access log) one request answered on `res` outside Koa, once its
   * answer is sent or its client has left; `started` is its `performance.now()` on arrival.
   */
  observe(
    method: string,
    path: string,
    route: string,
    res: ServerResponse,
    started: number,
    fields?: LogFields,
  ): void {
    const seconds = (performance.now() - started) / 1000;
    const code = res.headersSent ? String(res.statusCode) : CLIENT_GONE;
    this.http.record(route, method, code, seconds);
    if (this.options.accessLog) {
      this.log(`${method} ${path} ${code} ${(seconds * 1000).toFixed(1)} ms`, {
        level: 'info',
        method,
        route,
        path,
        status: Number(code),
        duration: Number(seconds.toFixed(6)),
        ...fields,
      });
    }
  }

  // The Prometheus text format; behind the access token unless --metrics-public. Answered here
  // (this middleware runs before the daemon's error handling), as JSON errors like the API's.
  private async serve(ctx: Context): Promise<void> {
    setSecurityHeaders(ctx);
    ctx.set('Cache-Control', 'no-store');
    const { token, metricsPublic } = this.options;
    const given = bearer(ctx);
    if (token && !metricsPublic && !tokenMatches(token, given)) {
      const error =
        given === undefined
          ? tokenMissing(
              ctx,
              'metrics need the access token (Bearer), or start the daemon with --metrics-public',
            )
          : tokenRefused();
      ctx.status = error.status;
      ctx.body = error.toJSON();
      return;
    }
    try {
      ctx.body = await this.registry.metrics();
      ctx.type = this.registry.contentType;
    } catch (err) {
      this.log(`GET /metrics failed: ${(err as Error)?.stack ?? String(err)}`, { level: 'error' });
      ctx.status = 500;
      ctx.body = { error: { code: 'internal', message: 'internal error (details are in the server log)' } };
    }
  }
}
