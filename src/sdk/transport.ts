// The client's HTTP transport: chunk GETs and whole PUTs over raw-http.ts's sockets (`send`),
// and on node:http with keep-alive agents whatever those do not take, chunk probes and the JSON
// calls to the master (lighter than a general-purpose client on this hot path).

import http from 'node:http';
import https from 'node:https';
import { DfsError, isErrorCode } from '../protocol/errors.js';
import { agentFor } from './agents.js';
import { NotRaw, type Outgoing, sendRaw } from './raw-http.js';

// A node that stays silent this long is treated as failed.
export const IDLE_TIMEOUT = 30_000;
// Largest response body preallocated from its Content-Length.
const MAX_PREALLOCATE = 256 * 1024 * 1024;

/** A whole HTTP answer. */
export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** One HTTP request with keep-alive; the body is read whole (into `into` when it fits). */
export function request(
  url: URL,
  options: http.RequestOptions,
  body: Buffer | undefined,
  signal?: AbortSignal,
  into?: Buffer,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = (url.protocol === 'https:' ? https : http).request(
      url,
      { agent: agentFor(url), signal, timeout: IDLE_TIMEOUT, ...options },
      (res) => {
        // With a known length the body is copied once into one buffer of the right size. (A HEAD,
        // a 204 or a 304 has no body whatever length it states: a probe of an 8 MiB chunk must
        // not allocate 8 MiB.)
        const bodiless = options.method === 'HEAD' || res.statusCode === 204 || res.statusCode === 304;
        const length = bodiless ? 0 : Number(res.headers['content-length']);
        const whole = !Number.isSafeInteger(length)
          ? undefined
          : into && into.length >= length
            ? into.subarray(0, length)
            : length <= MAX_PREALLOCATE
              ? Buffer.allocUnsafe(length)
              : undefined;
        const parts: Buffer[] = [];
        let filled = 0;
        res.on('data', (p: Buffer) => {
          if (whole && filled + p.length <= whole.length) whole.set(p, filled);
          else parts.push(p);
          filled += p.length;
        });
        res.on('error', reject);
        res.on('end', () => {
          const complete = whole && filled === whole.length && parts.length === 0;
          const data = complete
            ? whole
            : whole
              ? Buffer.concat([whole.subarray(0, Math.min(filled, whole.length)), ...parts])
              : Buffer.concat(parts);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    // A kept-alive socket the server closed meanwhile fails at once: say so, so callers may resend.
    req.on('error', (err) => reject(Object.assign(err, { reusedSocket: req.reusedSocket })));
    req.end(body);
  });
}

// Daemons that answered a raw request in another framing (a proxy in front of one, say): they are
// sent everything through node:http from then on, so at most one request to each is sent twice.
const framedOtherwise = new Set<string>();

/**
 * Sends an idempotent request (a chunk's GET or PUT) with its whole body, if any, and reads the
 * whole answer (into `into` when it fits): to an http: daemon over raw-http.ts, and again through
 * node:http when answered in another framing (as every later one to that daemon); to an https:
 * one through node:http.
 */
export async function send(url: URL, out: Outgoing, signal?: AbortSignal, into?: Buffer): Promise<Reply> {
  const viaNodeHttp = () => {
    const headers = out.body ? { ...out.headers, 'content-length': String(out.body.length) } : out.headers;
    return request(url, { method: out.method, headers, timeout: out.timeout }, out.body, signal, into);
  };
  if (url.protocol !== 'http:' || framedOtherwise.has(url.host)) return viaNodeHttp();
  try {
    return await sendRaw(url, out, signal, into);
  } catch (err) {
    if (!(err instanceof NotRaw)) throw err;
    framedOtherwise.add(url.host);
    return viaNodeHttp();
  }
}

/**
 * The DfsError an error answer stands for. `what` names the daemon; with `prefix` it starts the
 * message (a node's words), otherwise it appears only when the answer carries no message.
 */
export function replyError(reply: Reply, what: string, prefix = true): DfsError {
  let parsed: { error?: { code?: unknown; message?: unknown } } = {};
  try {
    parsed = JSON.parse(reply.body.toString('utf8'));
  } catch {
    // not JSON
  }
  const code = parsed.error?.code;
  const text = typeof parsed.error?.message === 'string' ? parsed.error.message : undefined;
  const message = text === undefined ? `${what}: HTTP ${reply.status}` : prefix ? `${what}: ${text}` : text;
  // The cause records that a daemon refused (not this command's usage): the CLI exits 1, not 2.
  return new DfsError(isErrorCode(code) ? code : codeFor(reply.status), message, {
    cause: { status: reply.status, from: what },
  });
}

/** The error code an HTTP status stands for when the answer names none. */
export function codeFor(status: number) {
  if (status === 401) return 'unauthorized' as const;
  if (status === 403) return 'forbidden' as const;
  if (status === 404) return 'not_found' as const;
  if (status === 413) return 'payload_too_large' as const;
  if (status < 500) return 'bad_request' as const;
  return 'bad_gateway' as const;
}

/** Options of a JSON call. */
export interface JsonCallOptions {
  json?: unknown;
  searchParams?: Record<string, string>;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Most silence allowed before the call fails, ms (default 30 s). */
  timeout?: number;
}

/** A call that failed before the server could have acted on it, or whose target is unreachable. */
export class TransportError extends DfsError {
  /** True when the request surely never reached the server (safe to send again anywhere). */
  readonly unsent: boolean;

  constructor(message: string, unsent: boolean, cause: unknown) {
    super('unavailable', message, { cause });
    this.name = 'TransportError';
    this.unsent = unsent;
  }
}

// Errors that mean nothing was sent: no connection, or a kept-alive socket the server had
// already closed (the request went nowhere).
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'EAI_AGAIN', 'ENETUNREACH']);

/** True when socket error `err` says the daemon could not be reached at all. */
export function isUnreachable(err: unknown): boolean {
  return UNREACHABLE.has((err as NodeJS.ErrnoException | undefined)?.code ?? '');
}

/**
 * Calls a JSON route and returns the parsed answer; an error answer becomes its DfsError, and a
 * failure to connect or a silent server becomes a TransportError naming the daemon (`what`).
 */
export async function jsonCall<T>(
  method: string,
  url: string,
  what: string,
  options: JsonCallOptions = {},
): Promise<T> {
  const target = new URL(url);
  for (const [k, v] of Object.entries(options.searchParams ?? {})) target.searchParams.set(k, v);
  const body = options.json === undefined ? undefined : Buffer.from(JSON.stringify(options.json));
  const headers: http.OutgoingHttpHeaders = { accept: 'application/json', ...options.headers };
  if (body) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = body.length;
  }
  let reply: Reply;
  try {
    reply = await request(
      target,
      { method: method.toUpperCase(), headers, timeout: options.timeout ?? 30_000 },
      body,
      options.signal,
    );
  } catch (err) {
    if (options.signal?.aborted) throw err;
    const e = err as NodeJS.ErrnoException & { reusedSocket?: boolean };
    const code = e.code ?? '';
    if (isUnreachable(err)) throw new TransportError(`cannot reach ${what} (${code})`, true, err);
    const unsent = e.reusedSocket === true && code === 'ECONNRESET';
    const reason = e.message === 'timed out' ? 'did not answer in time' : `failed: ${e.message}`;
    throw new TransportError(`${what} ${reason}`, unsent, err);
  }
  if (reply.status < 200 || reply.status >= 300) throw replyError(reply, what, false);
  try {
    return JSON.parse(reply.body.toString('utf8')) as T;
  } catch (err) {
    throw new DfsError('bad_gateway', `${what} answered with malformed JSON`, { cause: err });
  }
}
