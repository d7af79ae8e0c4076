// Starts a Koa app (or a request listener) on a port and stops it cleanly: the only place a
// daemon listens.

import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type Koa from 'koa';

/** A listening daemon: its URL and an idempotent close. */
export interface Listening {
  url: string;
  port: number;
  server: http.Server;
  close(): Promise<void>;
}

/** Server timeouts that cut off slow clients without hurting others. */
export interface ServeOptions {
  /** Time allowed to send all request headers, ms; default 10 s. */
  headersTimeout?: number;
  /** Time a socket may sit idle mid-request, ms; default 60 s. */
  idleTimeout?: number;
  /** Time allowed for a whole request (headers and body), ms; default 0 = none (chunk streams may be long). */
  requestTimeout?: number;
}

/** Default time allowed to send all request headers, ms. */
export const DEFAULT_HEADERS_TIMEOUT = 10_000;

/** Listens on `host:port` (0 = any free port) with a Koa app or a listener: `{ url, close }`. */
export async function serve(
  app: Koa | http.RequestListener,
  host: string,
  port: number,
  options: ServeOptions = {},
): Promise<Listening> {
  const headersTimeout = options.headersTimeout || DEFAULT_HEADERS_TIMEOUT;
  const server = http.createServer(
    {
      // Node checks header and request deadlines only on this tick (30 s by default), which would
      // let a slow-headers client hold its socket for up to 30 s past the deadline.
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(headersTimeout / 4))),
    },
    typeof app === 'function' ? app : app.callback(),
  );
  server.headersTimeout = headersTimeout;
  server.requestTimeout = options.requestTimeout ?? 0;
  server.keepAliveTimeout = 30_000;
  server.setTimeout(options.idleTimeout ?? 60_000, (socket: Socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const url = `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${address.port}`;
  let closing: Promise<void> | undefined;
  return {
    url,
    port: address.port,
    server,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // In-flight requests get a moment to finish; then their sockets are cut.
        setTimeout(() => server.closeAllConnections(), 2000).unref();
      });
      return closing;
    },
  };
}
