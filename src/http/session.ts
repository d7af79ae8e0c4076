// The web pages' gate: an access-token session in an HttpOnly, SameSite cookie, and a CSRF
// defence (custom header + same origin) on every state-changing request.

import { createHmac } from 'node:crypto';
import type { Context, Next } from 'koa';
import { DfsError } from '../protocol/errors.js';
import { bearer, tokenMatches, tokenMissing, tokenRefused } from './access.js';
import { bodyOf } from './body.js';

/** Cookie holding the session: this name and the daemon's port, `dfs_session_5003`. */
export const SESSION_COOKIE = 'dfs_session';

/**
 * The session cookie's name at the daemon `ctx` reached. Browsers send a host's cookies to
 * every port of it: named by port, the master's session opens neither the web client beside it
 * nor another cluster's pages on the same host, and signing in to one leaves the others signed in.
 */
export function sessionCookie(ctx: Pick<Context, 'host'>): string {
  let port = '';
  try {
    port = new URL(`http://${ctx.host}`).port;
  } catch {
    // a Host header that is no host: the bare name
  }
  return port ? `${SESSION_COOKIE}_${port}` : SESSION_COOKIE;
}

/** Header the page sends on every state-changing request; a cross-site form cannot set it. */
export const CSRF_HEADER = 'x-dfs-csrf';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);
const LOOPBACK_NAME = /^(localhost|[\w-]+\.localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/**
 * DNS rebinding guard: a page on evil.example whose name is re-pointed at 127.0.0.1 is
 * same-origin with itself, so Origin checks pass. A request that reached us on a loopback
 * address must therefore name a loopback host. (With an access token the session cookie, bound
 * to the real host, already keeps such a page out.)
 */
export function rebound(ctx: Context): boolean {
  const local = ctx.req.socket.localAddress ?? '';
  const loopback = local === '::1' || local.startsWith('127.') || local.startsWith('::ffff:127.');
  return loopback && !LOOPBACK_NAME.test(ctx.hostname);
}

// What a visitor without a session may load: the page (it shows the sign-in form), its static
// files and the session routes themselves. Everything else needs the token (deny by default).
function isPublic(path: string): boolean {
  return path === '/' || path === '/session' || /^\/assets\/[^/]+$/.test(path);
}

/** True when the request comes from this site: Origin (when sent) names this host, and the
 * browser does not label it cross-site. */
export function sameOrigin(ctx: Context): boolean {
  const site = ctx.get('sec-fetch-site');
  if (site && site !== 'same-origin' && site !== 'none') return false;
  const origin = ctx.get('origin');
  if (!origin) return true;
  try {
    // Host only: behind a TLS-terminating proxy the scheme seen here differs from the page's.
    return new URL(origin).host === ctx.host;
  } catch {
    return false; // includes the opaque origin "null"
  }
}

/** Middleware and handlers for the session; with no token, everyone is let in. */
export function sessionGate(token: string) {
  const sessionValue = token ? createHmac('sha256', token).update('dfs-web-session').digest('base64url') : '';
  const authenticated = (ctx: Context) =>
    !token ||
    tokenMatches(token, bearer(ctx)) ||
    tokenMatches(sessionValue, ctx.cookies.get(sessionCookie(ctx)));

  return {
    /** True when the request carries the session cookie (or no token is configured). */
    hasSession(ctx: Context): boolean {
      return !token || tokenMatches(sessionValue, ctx.cookies.get(sessionCookie(ctx)));
    },
    /** Refuses unauthenticated calls and cross-origin or header-less writes, whatever the path. */
    async check(ctx: Context, next: Next): Promise<void> {
      if (!token && rebound(ctx)) {
        throw new DfsError('forbidden', `host "${ctx.hostname}" is not this loopback-only web client`);
      }
      if (!SAFE.has(ctx.method)) {
        if (!sameOrigin(ctx)) throw new DfsError('forbidden', 'cross-origin request refused');
        if (ctx.get(CSRF_HEADER) !== '1') {
          throw new DfsError('forbidden', `the ${CSRF_HEADER} header is required`);
        }
      }
      ctx.state.authenticated = authenticated(ctx);
      if (!ctx.state.authenticated && !isPublic(ctx.path)) {
        // A wrong bearer token is refused; no token, or a stale session cookie (the token has
        // changed, the cookie was forged), means signing in again.
        if (bearer(ctx) !== undefined) throw tokenRefused();
        throw tokenMissing(ctx, 'sign in with the access token first');
      }
      await next();
    },
    /** `POST /session {token}`: starts a session. */
    async login(ctx: Context): Promise<void> {
      const given = bodyOf<{ token?: unknown }>(ctx).token;
      if (!token) {
        ctx.status = 204;
        return;
      }
      if (typeof given !== 'string' || !tokenMatches(token, given)) {
        // A failed sign-in stays 401: the sign-in forms of both pages read `unauthorized` as
        // "that token is not right" (a wrong token sent as a credential is 403, in check()).
        throw new DfsError('unauthorized', 'wrong access token');
      }
      ctx.cookies.set(sessionCookie(ctx), sessionValue, {
        httpOnly: true,
        sameSite: 'strict',
        secure: ctx.secure,
        path: '/',
        overwrite: true,
      });
      ctx.status = 204;
    },
    /** `DELETE /session`: ends it. */
    async logout(ctx: Context): Promise<void> {
      ctx.cookies.set(sessionCookie(ctx), '', { httpOnly: true, sameSite: 'strict', path: '/', maxAge: 0 });
      ctx.status = 204;
    },
  };
}
