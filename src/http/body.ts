// JSON body parsing, only on routes that take JSON (never on chunk streams); a body that is not
// JSON, or not sent as JSON, is refused in words. And the checks of a streamed upload's length.

import type { Context, Next } from 'koa';
import { koaBody } from 'koa-body';
import { DfsError } from '../protocol/errors.js';

/** Parses a JSON body of at most `limit` bytes; anything else is refused. */
export function jsonBody(limit = '1mb') {
  const parse = koaBody({
    json: true,
    urlencoded: false,
    text: false,
    multipart: false,
    jsonLimit: limit,
    jsonStrict: true,
    patchKoa: true,
  });
  return async (ctx: Context, next: Next): Promise<void> => {
    // false: a body of another type (null: no body at all, which reads as `{}`).
    if (ctx.is('json') === false) {
      throw new DfsError('bad_request', 'request body must be JSON (Content-Type: application/json)');
    }
    try {
      await parse(ctx, async () => {});
    } catch (err) {
      throw err instanceof SyntaxError ? notJson(err) : err;
    }
    await next();
  };
}

// co-body throws a SyntaxError for a body that does not parse, that carries __proto__, or that
// is not an object or an array (strict mode: a bare string or number).
function notJson(err: SyntaxError): DfsError {
  if (/only supports object and array/.test(err.message))
    return new DfsError('bad_request', 'request body must be a JSON object');
  return new DfsError('bad_request', `request body is not valid JSON (${err.message})`);
}

/** The parsed JSON body, typed as the shape the route expects; handlers still validate every field. */
export function bodyOf<T>(ctx: { request: { body?: unknown } }): T {
  const body = ctx.request.body;
  return (body && typeof body === 'object' && !Array.isArray(body) ? body : {}) as T;
}

/** Refuses (413) an upload whose declared length is over the cluster's limit, before it is read. */
export function checkDeclaredSize(declared: number | undefined, maxFileSize: number): void {
  if (declared !== undefined && declared > maxFileSize) {
    throw new DfsError(
      'payload_too_large',
      `file is larger than the cluster's limit of ${maxFileSize} bytes`,
    );
  }
}

/** Passes a body through, failing before the end (so before any commit) unless it is `length` bytes. */
export async function* exactly(source: AsyncIterable<Buffer>, length: number): AsyncGenerator<Buffer> {
  let seen = 0;
  for await (const piece of source) {
    seen += piece.length;
    if (seen > length) throw new DfsError('bad_request', 'the body is longer than its declared length');
    yield piece;
  }
  if (seen !== length) {
    throw new DfsError('bad_request', `the body ended after ${seen} of its declared ${length} bytes`);
  }
}
