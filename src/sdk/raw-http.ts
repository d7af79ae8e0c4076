// HTTP/1.1 exchanges with our own daemons on raw keep-alive sockets, without node:http's client.
// It copies every piece of a body into a buffer of its own and hands it out through a stream: on
// a 1 GiB download that is ~1.7–2.3 s of CPU (measured against ~0.3 s this way) and tens of MB of
// garbage awaiting collection; and its fixed cost per request (~150 µs of CPU, against ~80 µs
// here) is paid on every hop of a small write. Our daemons answer with a Content-Length body, so
// an exchange needs only a request head written (with its whole body, in one write) and a
// response head parsed, the body read in place (`net` with `onread`). Anything else (another
// framing, a head past 16 KiB) fails with NotRaw, for transport.ts's `send` to ask node:http.

import type http from 'node:http';
import net from 'node:net';
import type { Reply } from './transport.js';

// Longest response head read (node:http's own default limit).
const HEAD_MAX = 16 * 1024;
// Largest body preallocated from its Content-Length when it does not fit the caller's buffer.
const MAX_PREALLOCATE = 256 * 1024 * 1024;
// Sockets to one daemon: open at once, and kept idle (as the keep-alive agents of agents.ts).
const MAX_SOCKETS = 64;
const MAX_IDLE = 16;
const IDLE_CLOSE = 5_000;
const CRLF2 = Buffer.from('\r\n\r\n');
// What a header's name and value may hold (node:http's own checks): nothing can end a line.
const TOKEN = /^[\^_`a-zA-Z\-0-9!#$%&'*+.|~]+$/;
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** An answer the raw reader does not take (not framed by Content-Length): ask node:http. */
export class NotRaw extends Error {}

/** One exchange under way on a connection. */
interface Exchange {
  headLength: number;
  body?: Buffer;
  filled: number;
  done(err: Error | undefined, reply?: Reply, reusable?: boolean): void;
  status: number;
  headers: http.IncomingHttpHeaders;
  keepAlive: boolean;
  into?: Buffer;
  /** A HEAD: its answer has no body, whatever length it states. */
  head: boolean;
  /** The request has left whole (a socket answered before is not kept: the rest may follow). */
  sent: boolean;
}

/** A kept-alive socket to one daemon, reading into whatever buffer its exchange points it at. */
class Connection {
  readonly socket: net.Socket;
  readonly head = Buffer.allocUnsafe(HEAD_MAX);
  exchange?: Exchange;

  constructor(host: string, port: number) {
    this.socket = net.connect({
      host,
      port,
      noDelay: true,
      onread: {
        buffer: () => this.target(),
        callback: (n: number) => {
          this.received(n);
          return true;
        },
      },
    });
    // An idle socket's error or silence only closes it (an exchange under way hears them too).
    this.socket.on('error', () => {});
    this.socket.on('timeout', () => {
      if (!this.exchange) this.socket.destroy();
    });
  }

  /** Where the next read goes: the rest of the head, the rest of the body, or (idle) the head. */
  private target(): Uint8Array {
    const x = this.exchange;
    if (x?.body && x.filled < x.body.length) return x.body.subarray(x.filled);
    if (x && !x.body) return this.head.subarray(x.headLength);
    return this.head;
  }

  private received(n: number): void {
    const x = this.exchange;
    if (!x) {
      this.socket.destroy(); // bytes nobody asked for: the stream is out of step
      return;
    }
    if (x.body) {
      x.filled += n;
      if (x.filled === x.body.length) this.finish(x, true);
      return;
    }
    const before = x.headLength;
    x.headLength += n;
    const end = this.head.subarray(0, x.headLength).indexOf(CRLF2, Math.max(0, before - 3));
    if (end < 0) {
      if (x.headLength === HEAD_MAX) this.fail(x, new NotRaw('response head too large'));
      return;
    }
    let body: Buffer;
    try {
      body = this.parseHead(x, end);
    } catch (err) {
      this.fail(x, err as Error);
      return;
    }
    x.body = body;
    const extra = this.head.subarray(end + 4, x.headLength);
    x.filled = Math.min(extra.length, body.length);
    extra.copy(body, 0, 0, x.filled);
    // More than the body in the reader: the stream is out of step, so the socket is not kept.
    if (x.filled === body.length) this.finish(x, extra.length === body.length);
  }

  /** Reads the status and headers ending at `end`; returns the buffer for the body. */
  private parseHead(x: Exchange, end: number): Buffer {
    const lines = this.head.toString('latin1', 0, end).split('\r\n');
    const status = /^HTTP\/1\.([01]) (\d{3})(?: |$)/.exec(lines[0] ?? '');
    if (!status) throw new Error(`malformed HTTP response: ${JSON.stringify(lines[0])}`);
    x.status = Number(status[2]);
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon <= 0) throw new Error('malformed HTTP response header');
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      const had = x.headers[name];
      x.headers[name] = had === undefined ? value : `${had}, ${value}`;
    }
    const connection = String(x.headers.connection ?? '').toLowerCase();
    x.keepAlive = status[1] === '1' ? !connection.includes('close') : connection.includes('keep-alive');
    const bodiless = x.head || x.status === 204 || x.status === 304;
    const length = bodiless ? 0 : Number(x.headers['content-length'] ?? Number.NaN);
    if (x.status < 200 || x.headers['transfer-encoding'] !== undefined || !/^\d+$/.test(String(length)))
      throw new NotRaw(`response framed otherwise (status ${x.status})`);
    if (x.into && x.into.length >= length) return x.into.subarray(0, length);
    if (length <= MAX_PREALLOCATE) return Buffer.allocUnsafe(length);
    throw new Error(`an answer of ${length} bytes is more than this client reads`);
  }

  private finish(x: Exchange, clean: boolean): void {
    this.exchange = undefined;
    const reusable = clean && x.keepAlive && x.sent;
    x.done(undefined, { status: x.status, headers: x.headers, body: x.body as Buffer }, reusable);
  }

  fail(x: Exchange, err: Error): void {
    if (this.exchange !== x) return;
    this.exchange = undefined;
    this.socket.destroy();
    x.done(err);
  }
}

/** The sockets to one daemon. */
interface Pool {
  idle: Connection[];
  open: number;
  waiting: (() => void)[];
}

const pools = new Map<string, Pool>();

function poolFor(key: string): Pool {
  let pool = pools.get(key);
  if (!pool) {
    pool = { idle: [], open: 0, waiting: [] };
    pools.set(key, pool);
  }
  return pool;
}

/** An idle connection to `url`'s daemon, or a new one, waiting while MAX_SOCKETS are in use. */
async function acquire(url: URL): Promise<{ conn: Connection; reused: boolean }> {
  const pool = poolFor(url.host);
  for (;;) {
    const conn = pool.idle.pop();
    if (conn) {
      if (conn.socket.destroyed) continue;
      conn.socket.ref();
      return { conn, reused: true };
    }
    if (pool.open < MAX_SOCKETS) break;
    await new Promise<void>((resolve) => pool.waiting.push(resolve));
  }
  pool.open++;
  const conn = new Connection(url.hostname.replace(/^\[|\]$/g, ''), Number(url.port || 80));
  conn.socket.once('close', () => {
    pool.open--;
    const at = pool.idle.indexOf(conn);
    if (at >= 0) pool.idle.splice(at, 1);
    pool.waiting.shift()?.();
  });
  return { conn, reused: false };
}

/** Gives a connection back: kept idle (unreferenced, closed after a while) or closed. */
function release(url: URL, conn: Connection, reusable: boolean): void {
  const pool = poolFor(url.host);
  // Kept past MAX_IDLE while a GET waits for it.
  if (!reusable || (pool.idle.length >= MAX_IDLE && pool.waiting.length === 0)) {
    conn.socket.destroy();
    return;
  }
  conn.socket.setTimeout(IDLE_CLOSE);
  conn.socket.unref();
  pool.idle.push(conn);
  pool.waiting.shift()?.();
}

/** A request: its method and headers, and its whole body if any. */
export interface Outgoing {
  method: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** Most silence allowed, ms. */
  timeout: number;
}

/** One exchange on one connection. */
function exchange(
  url: URL,
  conn: Connection,
  out: Outgoing,
  signal: AbortSignal | undefined,
  into: Buffer | undefined,
): Promise<{ reply?: Reply; err?: Error; answered: boolean }> {
  return new Promise((resolve) => {
    const { socket } = conn;
    const onClose = () => conn.fail(x, Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    const onError = (err: Error) => conn.fail(x, err);
    const onTimeout = () => conn.fail(x, new Error('timed out'));
    const onAbort = () => conn.fail(x, signal?.reason as Error);
    const x: Exchange = {
      headLength: 0,
      filled: 0,
      status: 0,
      headers: {},
      keepAlive: false,
      into,
      head: out.method === 'HEAD',
      sent: false,
      done: (err, reply, reusable) => {
        socket.off('close', onClose).off('error', onError).off('timeout', onTimeout);
        signal?.removeEventListener('abort', onAbort);
        if (reply) release(url, conn, reusable === true);
        // Every byte of an answer passes through the head first.
        resolve({ reply, err, answered: x.headLength > 0 });
      },
    };
    conn.exchange = x;
    socket.on('close', onClose).on('error', onError).on('timeout', onTimeout);
    socket.setTimeout(out.timeout);
    signal?.addEventListener('abort', onAbort, { once: true });
    let text = `${out.method} ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n`;
    for (const [name, value] of Object.entries(out.headers)) text += `${name}: ${value}\r\n`;
    if (out.body) text += `Content-Length: ${out.body.length}\r\n`;
    const sent = () => {
      x.sent = true;
    };
    if (!out.body) {
      socket.write(`${text}\r\n`, 'latin1', sent);
      return;
    }
    // Head and body leave in one write (writev), the body not copied.
    socket.cork();
    socket.write(`${text}\r\n`, 'latin1');
    socket.write(out.body, sent);
    socket.uncork();
  });
}

/**
 * Sends `out` to `url` (http:) on a kept-alive socket or a new one and reads the answer (its body
 * into `into` when it fits). Only for idempotent requests: one whose kept socket was closed
 * unanswered is sent again on a new one, and one answered in another framing (NotRaw) is sent
 * again through node:http by the caller.
 */
export async function sendRaw(url: URL, out: Outgoing, signal?: AbortSignal, into?: Buffer): Promise<Reply> {
  for (const [name, value] of Object.entries(out.headers))
    if (!TOKEN.test(name) || !FIELD_VALUE.test(value)) throw new TypeError(`invalid header ${name}`);
  for (;;) {
    signal?.throwIfAborted();
    const { conn, reused } = await acquire(url);
    if (signal?.aborted) {
      release(url, conn, true); // aborted while waiting for a socket
      signal.throwIfAborted();
    }
    const { reply, err, answered } = await exchange(url, conn, out, signal, into);
    if (reply) return reply;
    if (!(reused && !answered && !signal?.aborted) || err instanceof NotRaw) throw err;
  }
}
