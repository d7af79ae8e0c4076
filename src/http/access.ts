// The access-token gate for client-facing routes ($DFS_TOKEN).

import { timingSafeEqual } from 'node:crypto';
import type { Context, Next } from 'koa';
import { DfsError } from '../protocol/errors.js';

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
  // The scheme name is case-insensitive (RFC 9110 §11.1).
  const match = /^Bearer +(.+)$/i.exec(ctx.get('authorization'));
  return match?.[1];
}

/** Middleware refusing requests without the access token (when one is configured). */
export function requireToken(token: string) {
  return async (ctx: Context, next: Next): Promise<void> => {
    if (!tokenMatches(token, bearer(ctx))) {
      throw new DfsError('unauthorized', 'an access token is required (set DFS_TOKEN or pass --token)');
    }
    await next();
  };
}
