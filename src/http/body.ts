// JSON body parsing, only on routes that take JSON (never on chunk streams); a body that is not
// JSON, or not sent as JSON, is refused in words.

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
    // Nothing sends these small bodies compressed; a body that failed to decompress was a 500.
    const encoding = ctx.get('content-encoding').trim().toLowerCase();
    if (encoding !== '' && encoding !== 'identity')
      throw new DfsError('bad_request', 'request body must not be compressed (Content-Encoding)');
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
