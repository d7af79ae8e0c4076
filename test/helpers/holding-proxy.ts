// An HTTP proxy in front of a daemon that can hold chosen requests until enough of them wait at
// once — how a test sees, without timing anything, how many requests a client keeps in flight —
// and can rewrite JSON answers (a lying master), refuse chosen requests (a failing one) or drop
// their answers (a master that died after doing what was asked).

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestCluster } from './cluster.js';

/** Where held requests wait: one proxy's own, or shared by several (one per node). */
export class Gate {
  private readonly waiting: (() => void)[] = [];
  private open = false;
  most = 0;
  matched = 0;
  timedOut = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    /** Release the held requests once this many wait at once. */
    private readonly release?: number,
    /**
     * Release them anyway this long (ms) after the first was held, so a test fails on its
     * assertions, not a hang.
     */
    private readonly deadline?: number,
  ) {}

  /** Holds `go` until the gate opens (at once if it is open). */
  hold(go: () => void): void {
    this.matched++;
    if (this.open) {
      go();
      return;
    }
    this.timer ??=
      this.deadline === undefined
        ? undefined
        : setTimeout(() => {
            this.timedOut = !this.open;
            this.releaseAll();
          }, this.deadline);
    this.waiting.push(go);
    this.most = Math.max(this.most, this.waiting.length);
    if (this.release !== undefined && this.waiting.length >= this.release) this.releaseAll();
  }

  /** Lets every held request (and every later one) through. */
  releaseAll(): void {
    this.open = true;
    clearTimeout(this.timer);
    for (const go of this.waiting.splice(0)) go();
  }
}

/** Options of a holding proxy. */
export interface HoldingProxyOptions {
  /** A gate shared with other proxies (instead of `release` and `deadline`). */
  gate?: Gate;
  /** Requests to hold (by method and URL). */
  hold?: (method: string, url: string) => boolean;
  /** Release the held requests once this many wait at once. */
  release?: number;
  /** Release them anyway this long (ms) after the first was held, so a test fails on its assertions, not a hang. */
  deadline?: number;
  /** Rewrites the JSON body of an answer. */
  rewrite?: (method: string, url: string, body: unknown) => unknown;
  /** Answers a request itself with this status (and a dfs error body) instead of forwarding it. */
  refuse?: (method: string, url: string) => number | undefined;
  /** Forwards a request, then closes the client's connection instead of answering. */
  drop?: (method: string, url: string) => boolean;
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
  /** Requests whose client went away before their answer (a held one, say). */
  readonly abandoned: number;
  /** Lets every held request (and every later one) through. */
  release(): void;
  close(): Promise<void>;
}

/** Starts a proxy to `target` (or whatever `target()` says when a request comes) on a free port. */
export async function holdingProxy(
  target: string | (() => string),
  options: HoldingProxyOptions,
): Promise<HoldingProxy> {
  const gate = options.gate ?? new Gate(options.release, options.deadline);
  let abandoned = 0;
  const server = http.createServer((req, res) => {
    res.once('close', () => {
      if (!res.writableFinished) abandoned++;
    });
    const forward = () => {
      const upstream = http.request(
        new URL(req.url ?? '/', typeof target === 'string' ? target : target()),
        { method: req.method, headers: req.headers },
        (answer) => {
          if (options.drop?.(req.method ?? '', req.url ?? '')) {
            answer.resume();
            answer.once('end', () => req.socket.destroy());
            return;
          }
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
    const refused = options.refuse?.(req.method ?? '', req.url ?? '');
    if (refused !== undefined) {
      req.resume();
      res.writeHead(refused, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'internal', message: 'refused by the test proxy' } }));
      return;
    }
    if (!options.hold?.(req.method ?? '', req.url ?? '')) return forward();
    gate.hold(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get most() {
      return gate.most;
    },
    get matched() {
      return gate.matched;
    },
    get timedOut() {
      return gate.timedOut;
    },
    get abandoned() {
      return abandoned;
    },
    release: () => gate.releaseAll(),
    async close() {
      gate.releaseAll();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Adds `count` storage nodes to `cluster`, each advertised at (so reached through) a proxy that
 * holds the requests `hold` picks at `gate`; resolves once they are registered, with the proxies.
 */
export async function proxiedNodes(
  cluster: Pick<TestCluster, 'addNode' | 'waitForNodes'>,
  count: number,
  gate: Gate,
  hold: (method: string, url: string) => boolean,
): Promise<HoldingProxy[]> {
  const proxies: HoldingProxy[] = [];
  for (let i = 0; i < count; i++) {
    // The node's own URL is known only once it runs, after the proxy it advertises.
    let real = 'http://127.0.0.1:9';
    const proxy = await holdingProxy(() => real, { gate, hold });
    proxies.push(proxy);
    real = (await cluster.addNode(undefined, { advertise: proxy.url })).localUrl;
  }
  await cluster.waitForNodes(count);
  return proxies;
}
