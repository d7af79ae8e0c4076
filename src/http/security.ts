// Headers every response carries: a strict Content-Security-Policy (no inline script), nosniff.

import type { Context, Next } from 'koa';

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** The headers themselves, for an answer made outside Koa. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};

/** Sets the security headers on one response (for answers made before the middleware runs). */
export function setSecurityHeaders(ctx: Context): void {
  ctx.set(SECURITY_HEADERS);
}

/**
 * Adds `sandbox` to the response's policy: a stored file served with its own type on the pages'
 * origin (an HTML or SVG file) runs no script with the pages' cookies.
 */
export function sandboxed(ctx: Context): void {
  ctx.set('Content-Security-Policy', `${CSP}; sandbox`);
}

/** Sets the security headers on every response. */
export function securityHeaders() {
  return async (ctx: Context, next: Next): Promise<void> => {
    setSecurityHeaders(ctx);
    await next();
  };
}
