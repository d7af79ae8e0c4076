// JSON body parsing, only on routes that take JSON (never on chunk streams).

import { koaBody } from 'koa-body';

/** Parses a JSON body of at most `limit` bytes; anything else is refused. */
export function jsonBody(limit = '1mb') {
  return koaBody({
    json: true,
    urlencoded: false,
    text: false,
    multipart: false,
    jsonLimit: limit,
    jsonStrict: true,
    patchKoa: true,
  });
}

/** The parsed JSON body, typed as the shape the route expects; handlers still validate every field. */
export function bodyOf<T>(ctx: { request: { body?: unknown } }): T {
  const body = ctx.request.body;
  return (body && typeof body === 'object' && !Array.isArray(body) ? body : {}) as T;
}
