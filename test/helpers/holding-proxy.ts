// An HTTP proxy in front of a daemon that can hold chosen requests until enough of them wait at
// once — how a test sees, without timing anything, how many requests a client keeps in flight —
// and can rewrite JSON answers (a lying master).

import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** Options of a holding proxy. */
export interface HoldingProxyOptions {
  /** Requests to hold (by method and URL). */
  hold?: (method: string, url: string) => boolean;
  /** Release the held requests once this many wait at once. */
  release?: number;
  /** Release them anyway after this long (ms), so a test fails on its assertions, not a hang. */
  deadline?: number;
  /** Rewrites the JSON body of an answer. */
  rewrite?: (method: string, url: string, body: unknown) => unknown;
}

/** A running proxy. */
export interface HoldingProxy {
  url: string;
  /** The most held requests seen waiting at once. */
  readonly most: number;
  /** Requests that matched `hold`, held or (once released) not. */
  readonly matched: number;
  /** True once the held requests went on because the deadline passed. */
  readonly timedOut: boolean;
  /** Lets every held request (and every later one) through. */
  release(): void;
  close(): Promise<void>;
}

/** Starts a proxy to `target` on a free port. */
export async function holdingProxy(target: string, options: HoldingProxyOptions): Promise<HoldingProxy> {
  const waiting: (() => void)[] = [];
  let open = false;
  let most = 0;
  let matched = 0;
  let timedOut = false;
  const releaseAll = () => {
    open = true;
    for (const go of waiting.splice(0)) go();
  };
  const timer = options.deadline
    ? setTimeout(() => {
        timedOut = !open;
        releaseAll();
      }, options.deadline)
    : undefined;
  const server = http.createServer((req, res) => {
    const forward = () => {
      const upstream = http.request(
        new URL(req.url ?? '/', target),
        { method: req.method, headers: req.headers },
        (answer) => {
          const rewrite = options.rewrite;
          const json = /^application\/json/.test(answer.headers['content-type'] ?? '');
          if (!rewrite || !json) {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
            return;
          }
          const parts: Buffer[] = [];
          answer.on('data', (d: Buffer) => parts.push(d));
          answer.on('end', () => {
            const body = JSON.stringify(
              rewrite(req.method ?? '', req.url ?? '', JSON.parse(Buffer.concat(parts).toString())),
            );
            const headers = { ...answer.headers, 'content-length': String(Buffer.byteLength(body)) };
            res.writeHead(answer.statusCode ?? 502, headers);
            res.end(body);
          });
        },
      );
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    };
    if (!options.hold?.(req.method ?? '', req.url ?? '')) return forward();
    matched++;
    if (open) return forward();
    waiting.push(forward);
    most = Math.max(most, waiting.length);
    if (options.release !== undefined && waiting.length >= options.release) releaseAll();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get most() {
      return most;
    },
    get matched() {
      return matched;
    },
    get timedOut() {
      return timedOut;
    },
    release: releaseAll,
    async close() {
      clearTimeout(timer);
      releaseAll();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
