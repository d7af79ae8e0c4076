// Who may use /dav/: with an access token, HTTP Basic with the token as the password (any user
// name) and nothing else — not the pages' session cookie, so a page on another site cannot ride
// it; never a request a browser labels cross-origin; without a token, anyone (as the pages).

import type { Context } from 'koa';
import { tokenMatches } from '../http/access.js';
import { rebound, sameOrigin } from '../http/session.js';
import { DavError } from './errors.js';

/** What a 401 on /dav/ challenges the client with (RFC 7617). */
export const BASIC_CHALLENGE = 'Basic realm="dfs", charset="UTF-8"';

/** The password of a `Basic` Authorization header, or undefined when there is none. */
export function basicPassword(header: string | undefined): string | undefined {
  const match = /^Basic +([A-Za-z0-9+/=_-]+) *$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : decoded.slice(colon + 1);
}

/**
 * Refuses a /dav/ request that may not proceed: 403 for a request a browser sent from another
 * origin (or a DNS-rebound name on a loopback-only open cluster); with a token, 401 and a Basic
 * challenge unless the password is the token. Bearer tokens and session cookies do not count.
 */
export function checkDavAccess(ctx: Context, token: string): void {
  if (!sameOrigin(ctx)) throw new DavError(403, 'cross-origin WebDAV request refused');
  if (!token) {
    if (rebound(ctx)) throw new DavError(403, `host "${ctx.hostname}" is not this loopback-only web client`);
    return;
  }
  if (tokenMatches(token, basicPassword(ctx.get('authorization')))) return;
  ctx.set('WWW-Authenticate', BASIC_CHALLENGE);
  throw new DavError(401, 'WebDAV needs HTTP Basic authentication with the access token as the password');
}
