// Koa glue of the S3 gateway: request ids and S3 XML errors; SigV4 authentication and the verified body.

import { randomBytes } from 'node:crypto';
import type { Context, Middleware, Next } from 'koa';
import { type Logger, logServerError } from '../http/errors.js';
import { type RequestBodyOptions, requestBody, type VerifiedBody } from './body.js';
import { S3Error, toS3Error } from './errors.js';
import { type Authenticated, type SigV4Options, verifySigV4 } from './sigv4.js';
import { errorXml } from './xml-results.js';

/** What the S3 middlewares put in `ctx.state`. */
export interface S3State {
  /** `x-amz-request-id`, also the `<RequestId>` of an error. */
  requestId: string;
  /** `x-amz-id-2`, also the `<HostId>` of an error. */
  hostId: string;
  /** Set by s3Authenticate. */
  auth?: Authenticated;
  /** Set by s3Authenticate: the request body, decoded and verified as it is read. */
  body?: VerifiedBody;
}

// Random bytes for request ids, drawn 4 KiB at a time: one call of the system's generator per
// 128 requests, not two per request (each costs tens of microseconds).
let randomPool = Buffer.alloc(0);
let randomAt = 0;
function randomPiece(bytes: number): Buffer {
  if (randomAt + bytes > randomPool.length) {
    randomPool = randomBytes(4096);
    randomAt = 0;
  }
  randomAt += bytes;
  return randomPool.subarray(randomAt - bytes, randomAt);
}

// koa and its helpers throw http-errors with a `status`; their 4xx messages are meant for callers.
function fromThrown(err: unknown): S3Error {
  const e = err as { status?: unknown; expose?: unknown; message?: unknown };
  if (!(err instanceof S3Error) && typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
    return new S3Error('InvalidRequest', e.expose && typeof e.message === 'string' ? e.message : undefined, {
      cause: err,
    });
  }
  return toS3Error(err);
}

/**
 * Gives every request an `x-amz-request-id` and `x-amz-id-2`, and turns any error below it into
 * S3's XML error body with the error's status (no body on HEAD and 304, as S3). InternalError
 * hides its details, which go to `log` with the stack; other 5xx but NotImplemented (a refusal,
 * not a failure) are logged in one line.
 */
export function s3Errors(log: Logger): Middleware {
  return async (ctx: Context, next: Next): Promise<void> => {
    const state = ctx.state as S3State;
    state.requestId = randomPiece(8).toString('hex').toUpperCase();
    state.hostId = randomPiece(24).toString('base64');
    ctx.set('x-amz-request-id', state.requestId);
    ctx.set('x-amz-id-2', state.hostId);
    try {
      await next();
    } catch (err) {
      const error = fromThrown(err);
      if (error.code === 'InternalError') {
        const bug = err instanceof S3Error ? (err.cause ?? err) : err;
        logServerError(log, ctx, error.status, { bug, requestId: state.requestId });
      } else if (error.status >= 500 && error.code !== 'NotImplemented') {
        logServerError(log, ctx, error.status, {
          summary: `${error.status} ${error.code} ${error.message}`,
        });
      }
      if (ctx.headerSent) return;
      // Whatever the handler had set (ETag, Content-Length, Content-Range…) described a success.
      for (const name of Object.keys(ctx.response.headers)) ctx.remove(name);
      ctx.set('x-amz-request-id', state.requestId);
      ctx.set('x-amz-id-2', state.hostId);
      for (const [name, value] of Object.entries(error.headers)) ctx.set(name, value);
      // A body still on the wire is not drained: the connection closes after the answer.
      if (!ctx.req.complete) ctx.set('Connection', 'close');
      ctx.status = error.status;
      if (error.status === 304) {
        ctx.body = null;
        return;
      }
      const shown = error.code === 'InternalError' ? new S3Error('InternalError') : error;
      ctx.type = 'application/xml';
      // Koa never writes a body for HEAD; it still reports the length a GET would have had.
      ctx.body = errorXml(shown, ctx.path, state.requestId, state.hostId);
    }
  };
}

/** Options of s3Authenticate. */
export interface S3AuthOptions extends SigV4Options {
  /** Options of every request's VerifiedBody (size limit, MD5). */
  body?: RequestBodyOptions;
}

/**
 * Verifies the request's SigV4 signature (throwing S3's error otherwise) and puts the result in
 * `ctx.state.auth` and the decoded, verified body in `ctx.state.body`. Reads no byte of the body.
 */
export function s3Authenticate(options: S3AuthOptions): Middleware {
  return async (ctx: Context, next: Next): Promise<void> => {
    const state = ctx.state as S3State;
    const headers = ctx.req.headersDistinct;
    const auth = verifySigV4({ method: ctx.method, url: ctx.req.url ?? '/', headers }, options);
    state.auth = auth;
    // CompleteMultipartUpload's checksum header is the object's, not its XML body's.
    const complete =
      (ctx.state.route as { operation?: string } | undefined)?.operation === 'CompleteMultipartUpload';
    state.body = requestBody(ctx.req, headers, auth, { ...options.body, bodyChecksumHeader: !complete });
    await next();
  };
}

/**
 * Answers with no body, as S3 does for PUT, DELETE and HEAD (Koa would otherwise send its status
 * text, or turn a null body into a 204). `length` is the Content-Length to announce — for a HEAD,
 * the size a GET would send; default 0.
 */
export function sendEmpty(ctx: Context, status = 200, length = 0): void {
  ctx.body = null;
  ctx.status = status;
  // After the body: setting a null body removes Content-Length.
  ctx.length = length;
}
