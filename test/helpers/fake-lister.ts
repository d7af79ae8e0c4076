// A stand-in master that only lists: `GET /api/config` and `GET /api/files` paged as the real
// one pages (prefix, after, limit, next) over `count` generated files. Listing 20,000 real
// files needs 20,000 commits (about 25 s here); the CLI's listing output needs only the pages.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ClusterConfig, ListEntry, ListResponse } from '../../src/protocol/types.js';

/** The path of generated file `i` (sorted as the master sorts: byte order). */
export function fakePath(i: number): string {
  return `/big/d${String(i % 50).padStart(2, '0')}/file-${String(i).padStart(6, '0')} with a longer name.txt`;
}

/** A running lister. */
export interface FakeLister {
  url: string;
  /** Every path it lists, in listing order. */
  paths: string[];
  close(): Promise<void>;
}

/** Starts a lister of `count` files under `/big/`. */
export async function fakeLister(count: number): Promise<FakeLister> {
  const paths = Array.from({ length: count }, (_, i) => fakePath(i)).sort((a, b) =>
    Buffer.compare(Buffer.from(a), Buffer.from(b)),
  );
  const config: ClusterConfig = { chunkSize: 8 << 20, replication: 2, maxFileSize: 2 ** 40 };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    let body: unknown;
    if (url.pathname === '/api/config') body = config;
    else if (url.pathname === '/api/files' && url.searchParams.get('prefix') === '/big/') {
      const after = url.searchParams.get('after');
      const limit = Math.min(Number(url.searchParams.get('limit')) || 1000, 10_000);
      const start = after ? paths.findIndex((p) => p > after) : 0;
      const slice = start === -1 ? [] : paths.slice(start, start + limit);
      const entries: ListEntry[] = slice.map((path, i) => ({
        type: 'file',
        path,
        name: path.slice(path.lastIndexOf('/') + 1),
        size: 1000 * (start + i),
        created: 1_765_000_000_000 + i,
        minReplicas: 2,
        chunkCount: 1,
      }));
      const page: ListResponse = { prefix: '/big/', entries };
      if (start + limit < paths.length && start !== -1) page.next = slice.at(-1);
      body = page;
    } else {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'not_found', message: `not found: ${url.pathname}` } }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    paths,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
