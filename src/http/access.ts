// The access-token gate for client-facing routes ($DFS_TOKEN): no token is 401 (with a
// `WWW-Authenticate: Bearer` challenge), a wrong one 403.

import { timingSafeEqual } from 'node:crypto';
import type { Context, Next } from 'koa';
import { DfsError } from '../protocol/errors.js';

/** What a 401 answer challenges the client with (RFC 9110 §11.6.1, RFC 6750 §3). */
export const BEARER_CHALLENGE = 'Bearer realm="dfs"';

/** True when `given` equals the configured token (constant time). */
export function tokenMatches(expected: string, given: string | undefined): boolean {
  if (!expected) return true;
  if (!given) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The bearer token of a request, if any. */
export function bearer(ctx: Context): string | undefined {
  return bearerOf(ctx.get('authorization'));
}

/** The bearer token of an Authorization header, if any. */
export function bearerOf(authorization: string | undefined): string | undefined {
  // The scheme name is case-insensitive (RFC 9110 §11.1).
  return /^Bearer +(.+)$/i.exec(authorization ?? '')?.[1];
}

/** The 401 for a request that brought no token; sets the challenge header on `ctx`. */
export function tokenMissing(ctx: Context, message: string): DfsError {
  ctx.set('WWW-Authenticate', BEARER_CHALLENGE);
  return new DfsError('unauthorized', message);
}

/** The 403 for a request whose token is not the cluster's. */
export function tokenRefused(): DfsError {
  return new DfsError('forbidden', 'the access token was refused');
}

/** Middleware refusing requests without the access token (when one is configured). */
export function requireToken(token: string) {
  return async (ctx: Context, next: Next): Promise<void> => {
    const given = bearer(ctx);
    if (!tokenMatches(token, given)) {
      // The message is what the CLI shows: it is how a user of dfs supplies the token.
      if (given === undefined)
        throw tokenMissing(ctx, 'the cluster needs an access token: set DFS_TOKEN or --token');
      throw tokenRefused();
    }
    await next();
  };
}
