// The one got instance every client-side JSON call goes through, and turning HTTP errors back
// into DfsError so callers see `dfs: <message>`.

import got, { type Got, HTTPError, RequestError } from 'got';
import { DfsError, isErrorCode } from '../protocol/errors.js';
import { agents } from './agents.js';
import { codeFor } from './transport.js';

/** A got instance with keep-alive, no automatic retries (we retry where it is safe) and timeouts. */
export function createHttp(headers: Record<string, string> = {}, timeoutMs = 30_000): Got {
  return got.extend({
    agent: agents,
    retry: { limit: 0 },
    timeout: { connect: 5_000, request: timeoutMs },
    headers,
    throwHttpErrors: true,
  });
}

/** Converts a got failure into a DfsError that names what was tried. */
export function toClientError(err: unknown, what: string): DfsError {
  if (err instanceof DfsError) return err;
  if (err instanceof HTTPError) {
    const body = err.response.body;
    let parsed: { error?: { code?: unknown; message?: unknown } } | undefined;
    try {
      parsed =
        typeof body === 'string'
          ? JSON.parse(body)
          : Buffer.isBuffer(body)
            ? JSON.parse(body.toString())
            : (body as typeof parsed);
    } catch {
      parsed = undefined;
    }
    const code = parsed?.error?.code;
    const message =
      typeof parsed?.error?.message === 'string'
        ? parsed.error.message
        : `${what}: HTTP ${err.response.statusCode}`;
    return new DfsError(isErrorCode(code) ? code : codeFor(err.response.statusCode), message, {
      cause: err,
    });
  }
  if (err instanceof RequestError) {
    const code = err.code;
    if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH' || code === 'EAI_AGAIN') {
      return new DfsError('unavailable', `cannot reach ${what} (${code})`, { cause: err });
    }
    if (code === 'ETIMEDOUT') return new DfsError('timeout', `${what} timed out`, { cause: err });
    return new DfsError('unavailable', `${what} failed: ${err.message}`, { cause: err });
  }
  return new DfsError('internal', err instanceof Error ? err.message : String(err), { cause: err });
}
