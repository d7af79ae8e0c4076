// Koa middleware that turns every error into `{ "error": { "code", "message" } }`.

import type { Context, Next } from 'koa';
import { DfsError, type ErrorBody, toDfsError } from '../protocol/errors.js';
import { RangeNotSatisfiable } from '../protocol/range.js';
import { errorPage } from './html.js';

/** How much a log line matters. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Structured fields of a log line (route, status, duration, node, chunk…); `level` defaults to info. */
export type LogFields = { level?: LogLevel } & Record<string, string | number | boolean | undefined>;

/** A log sink; daemons pass their own (see createLogger). */
export type Logger = (message: string, fields?: LogFields) => void;

/**
 * Logs a server failure at error level, by its path (never the URL: a query may carry
 * credentials) and the status sent: an answered 5xx, or an answer cut short after its 200/206
 * left. A bug is logged with its stack (and the request id, where there is one), an expected
 * failure (no nodes, a node down) in one line.
 */
export function logServerError(
  log: Logger,
  ctx: Pick<Context, 'method' | 'path'>,
  status: number,
  failure: { bug: unknown; requestId?: string } | { summary: string },
): void {
  const fields = { level: 'error', method: ctx.method, path: ctx.path, status } as const;
  const where = `${ctx.method} ${ctx.path}`;
  if ('summary' in failure) {
    log(`${where}: ${failure.summary}`, fields);
    return;
  }
  const id = failure.requestId ? ` (${failure.requestId})` : '';
  log(`${where} failed${id}: ${(failure.bug as Error)?.stack ?? String(failure.bug)}`, fields);
}

/** Catches errors below it: 4xx messages go to the caller, 5xx are logged and hidden. */
export function errorMiddleware(log: Logger) {
  return async (ctx: Context, next: Next): Promise<void> => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        throw new DfsError('not_found', `no route for ${ctx.method} ${ctx.path}`);
      }
      // A route that takes other methods (the router has set Allow).
      if (ctx.status === 405 && ctx.body === undefined) {
        throw new DfsError('method_not_allowed', `${ctx.method} is not allowed on ${ctx.path}`);
      }
      // A method no route takes (the router answers 501).
      if (ctx.status === 501 && ctx.body === undefined) {
        throw new DfsError('not_implemented', `${ctx.method} is not implemented by this server`);
      }
    } catch (err) {
      // The caller hung up mid-request (a cancelled upload): nobody to answer, nothing to log.
      // (Its socket is gone. A request stream destroyed by the handler itself, which stopped
      // reading a body over a limit, still has a client waiting for the error.)
      if (
        ctx.req.socket?.destroyed &&
        (!ctx.req.complete || GONE.has((err as NodeJS.ErrnoException)?.code ?? ''))
      )
        return;
      const error = fromKoa(err);
      logRefusal(log, ctx, error, err);
      // The caller may already be gone (aborted upload); there is nobody to answer.
      if (ctx.req.destroyed && ctx.res.destroyed) return;
      ctx.status = error.status;
      ctx.set('Cache-Control', 'no-store');
      // A refused body still on the wire (413, a bad token on a PUT) is not drained: the
      // connection closes after the answer instead of reading gigabytes into the void.
      if (!ctx.req.complete) ctx.set('Connection', 'close');
      ctx.remove('Content-Disposition');
      ctx.remove('Content-Range');
      // RFC 9110 §15.5.17: a 416 says how long the resource is, so the client can ask again.
      if (err instanceof RangeNotSatisfiable) ctx.set('Content-Range', `bytes */${err.size}`);
      ctx.remove('ETag');
      ctx.remove('Last-Modified');
      const body = errorBody(error);
      if (wantsPage(ctx)) {
        ctx.type = 'html';
        ctx.body = errorPage(error.status, body.error.message);
      } else ctx.body = body;
    }
  };
}

/**
 * Logs a request answered with `error` (made of `err`): a bug with its stack, another 5xx in one
 * line, a 4xx not at all.
 */
export function logRefusal(
  log: Logger,
  where: Pick<Context, 'method' | 'path'>,
  error: DfsError,
  err: unknown,
): void {
  if (error.code === 'internal') logServerError(log, where, error.status, { bug: err });
  else if (error.status >= 500)
    logServerError(log, where, error.status, { summary: `${error.status} ${error.message}` });
}

/** An error's JSON body; an internal failure's details stay in the server log. */
export function errorBody(error: DfsError): ErrorBody {
  return error.status >= 500 && error.code === 'internal'
    ? { error: { code: 'internal', message: 'internal error (details are in the server log)' } }
    : error.toJSON();
}

// A browser opening a page (not a program calling the API): it gets the error as a page.
const API_PATHS = /^\/(api|internal|chunks|metrics)(\/|$)/;
function wantsPage(ctx: Context): boolean {
  return (
    (ctx.method === 'GET' || ctx.method === 'HEAD') &&
    !API_PATHS.test(ctx.path) &&
    ctx.accepts('json', 'html') === 'html'
  );
}

// A client hanging up mid-answer is not a server failure.
const GONE = new Set(['ERR_STREAM_PREMATURE_CLOSE', 'ECONNRESET', 'EPIPE', 'ECONNABORTED']);

/**
 * Listener for Koa's `error` event (failures after an answer has started, e.g. a download
 * stream breaking): they go to the daemon's log, never to stderr or the caller.
 */
export function logAppErrors(log: Logger) {
  return (err: unknown, ctx?: Context): void => {
    const code = (err as NodeJS.ErrnoException)?.code ?? '';
    // A client gone, or one that cut its request off mid-body (the HTTP parser's HPE_… errors).
    if (GONE.has(code) || code.startsWith('HPE_')) return;
    log(
      `${ctx?.method ?? ''} ${ctx?.path ?? ''} failed while answering: ${(err as Error)?.stack ?? String(err)}`,
      { level: 'error', method: ctx?.method, path: ctx?.path },
    );
  };
}

// koa-body and koa itself throw http-errors with `status` and `expose`; keep their 4xx messages.
function fromKoa(err: unknown): DfsError {
  if (err instanceof DfsError) return err;
  const e = err as { status?: number; expose?: boolean; message?: string; type?: string };
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
    if (e.status === 413) return new DfsError('payload_too_large', 'request body is too large');
    if (e.status === 415) return new DfsError('bad_request', 'unsupported content type');
    return new DfsError('bad_request', e.expose && e.message ? e.message : 'bad request');
  }
  return toDfsError(err);
}
