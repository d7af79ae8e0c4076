// Writing /dav/ answers: failures as WebDAV statuses (a `<D:error>` body where RFC 4918 names a
// precondition, a line of text otherwise) and XML bodies with the one content type clients expect.

import type { Context } from 'koa';
import { type Logger, logServerError } from '../http/errors.js';
import { DfsError } from '../protocol/errors.js';
import { DavError } from './errors.js';
import { errorXml, type HrefOf } from './xml-responses.js';

/** The content type of every XML answer (207s, lock answers, error bodies). */
export const XML_TYPE = 'application/xml; charset=utf-8';

/** Answers `status` with an XML body. */
export function sendXml(ctx: Context, status: number, body: string): void {
  ctx.status = status;
  ctx.type = XML_TYPE;
  ctx.body = body;
}

/** Answers `status` with no body (and Content-Length: 0 where the status allows a body). */
export function sendEmpty(ctx: Context, status: number): void {
  // Koa turns a null body into 204 unless the status is set after it.
  ctx.body = null;
  ctx.status = status;
}

/** A cluster failure as the WebDAV status it means. */
export function davErrorOf(err: unknown): DavError {
  if (err instanceof DavError) return err;
  if (err instanceof DfsError && err.code !== 'internal') {
    return new DavError(err.status, err.message, undefined, { cause: err });
  }
  return new DavError(500, 'internal error (details are in the server log)', undefined, { cause: err });
}

/**
 * Answers a failed /dav/ request; a bug is logged with its stack, an expected 5xx in one line,
 * and nothing when the client went away (what failed was only its own request).
 */
export function sendDavError(
  ctx: Context,
  err: unknown,
  log: Logger,
  hrefOf?: HrefOf,
  clientGone = false,
): void {
  const error = davErrorOf(err);
  const cause = error.cause;
  if (error.status >= 500 && !clientGone) {
    const internal = !(err instanceof DavError) && !(err instanceof DfsError && err.code !== 'internal');
    logServerError(
      log,
      ctx,
      error.status,
      internal ? { bug: cause } : { summary: `${error.status} ${error.message}` },
    );
  }
  // Mid-answer, all that is left is to cut the connection so the client sees a short read.
  if (ctx.res.headersSent) {
    ctx.res.destroy();
    return;
  }
  // The caller may be gone (an aborted upload): nobody to answer.
  if (ctx.req.destroyed && ctx.res.destroyed) return;
  // A 416 keeps its `Content-Range: bytes */size`; any other error drops what a body had set.
  if (error.status !== 416) ctx.remove('Content-Range');
  ctx.remove('ETag');
  ctx.remove('Last-Modified');
  ctx.set('Cache-Control', 'no-store');
  // A refused body still on the wire is not drained: the connection closes after the answer.
  if (!ctx.req.complete) ctx.set('Connection', 'close');
  if (error.condition) {
    sendXml(ctx, error.status, errorXml(error.condition, hrefOf));
    return;
  }
  ctx.status = error.status;
  ctx.type = 'text/plain; charset=utf-8';
  ctx.body = `${error.message}\n`;
}
