// The WebDAV request headers of RFC 4918 §10: Depth, Overwrite, Lock-Token and Timeout.

import { badRequest, DavError } from './errors.js';

/** A Depth header value. */
export type Depth = 0 | 1 | 'infinity';

/** The methods that read Depth, with the values each accepts and its default (RFC 4918 §9). */
export const DEPTH_RULES = {
  // §9.1: 0, 1 or infinity; absent means infinity (a handler may refuse that with propfind-finite-depth).
  PROPFIND: { allowed: [0, 1, 'infinity'], fallback: 'infinity' },
  // §9.8.3: 0 or infinity on a collection; absent means infinity.
  COPY: { allowed: [0, 'infinity'], fallback: 'infinity' },
  // §9.9.2: a MOVE of a collection is always infinity; a client MUST NOT send anything else.
  MOVE: { allowed: ['infinity'], fallback: 'infinity' },
  // §9.6.1: likewise for DELETE.
  DELETE: { allowed: ['infinity'], fallback: 'infinity' },
  // §9.10.3: 0 or infinity; absent means infinity.
  LOCK: { allowed: [0, 'infinity'], fallback: 'infinity' },
} as const satisfies Record<string, { allowed: readonly Depth[]; fallback: Depth }>;

/** The methods DEPTH_RULES knows. */
export type DepthMethod = keyof typeof DEPTH_RULES;

/** Parses Depth for `method`; a value the method does not accept is a 400. */
export function parseDepth(value: string | undefined, method: DepthMethod): Depth {
  const rule = DEPTH_RULES[method];
  if (value === undefined || value.trim() === '') return rule.fallback;
  const word = value.trim().toLowerCase();
  const depth: Depth | undefined =
    word === '0' ? 0 : word === '1' ? 1 : word === 'infinity' ? 'infinity' : undefined;
  if (depth === undefined || !(rule.allowed as readonly Depth[]).includes(depth)) {
    throw badRequest(`Depth: ${value.trim()} is not allowed on ${method}`);
  }
  return depth;
}

/** Overwrite (§10.6): `T` or `F`, absent means T. Anything else is a 400. */
export function parseOverwrite(value: string | undefined): boolean {
  if (value === undefined) return true;
  const word = value.trim().toUpperCase();
  if (word === 'T') return true;
  if (word === 'F') return false;
  throw badRequest('Overwrite must be T or F');
}

/**
 * Lock-Token (§10.5): `<token>`, the lock to remove on UNLOCK. A bare token without the angle
 * brackets is accepted too (some older clients send it). Missing or empty is a 400.
 */
export function parseLockToken(value: string | undefined): string {
  const raw = value?.trim() ?? '';
  const token = raw.startsWith('<') && raw.endsWith('>') ? raw.slice(1, -1).trim() : raw;
  if (token === '' || /[\s<>]/.test(token)) throw badRequest('Lock-Token must be <lock-token-uri>');
  return token;
}

/** Bounds on lock timeouts, in seconds. */
export interface TimeoutLimits {
  /** The longest timeout granted; `Infinite` gets this. Default 3600 (one hour). */
  max: number;
  /** The timeout when the client asks for none (or only for forms we do not know). Default 600. */
  fallback: number;
}

/** One hour at most, ten minutes when the client does not say. */
export const DEFAULT_TIMEOUT_LIMITS: TimeoutLimits = { max: 3600, fallback: 600 };

/**
 * The lock timeout to grant, in seconds, from a Timeout header (§10.7): a comma-separated list
 * of `Second-N` / `Infinite` in the client's order of preference. The first form we understand
 * wins, capped at `max`; the header is only a request (§6.6), so unknown forms are skipped
 * rather than refused.
 */
export function parseTimeout(
  value: string | undefined,
  limits: TimeoutLimits = DEFAULT_TIMEOUT_LIMITS,
): number {
  for (const part of (value ?? '').split(',')) {
    const word = part.trim();
    if (/^infinite$/i.test(word)) return limits.max;
    const seconds = /^second-(\d{1,15})$/i.exec(word)?.[1];
    if (seconds !== undefined) return Math.max(1, Math.min(Number(seconds), limits.max));
  }
  return limits.fallback;
}

/**
 * The 403 `propfind-finite-depth` (RFC 4918 §9.1) for a PROPFIND with Depth infinity — which
 * is also what no Depth header means. dfs refuses it rather than walking a whole tree; every
 * client we target sends Depth 0 or 1.
 */
export function assertFiniteDepth(depth: Depth): void {
  if (depth === 'infinity') {
    throw new DavError(403, 'PROPFIND with Depth: infinity is not supported; use Depth 0 or 1', {
      name: 'propfind-finite-depth',
    });
  }
}
