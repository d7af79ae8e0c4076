// The /dav/ middleware over a stub SDK (no cluster): how its failures reach the daemon's log, and
// the route its requests are counted under.

import { expect } from 'chai';
import Koa from 'koa';
import { MemoryLockStore } from '../../src/dav/lock-store.js';
import { davMiddleware } from '../../src/dav/middleware.js';
import type { LogFields } from '../../src/http/errors.js';
import { type Listening, serve } from '../../src/http/serve.js';
import { DfsError } from '../../src/protocol/errors.js';
import type { DfsClient } from '../../src/sdk/client.js';
import { send } from '../helpers/adversary.js';
import { startDavServer } from '../helpers/dav-server.js';

describe('dav middleware', () => {
  const logged: { message: string; fields?: LogFields }[] = [];
  const calls: string[] = [];
  let server: Listening;

  before(async () => {
    // A GET stats the file first: a stat that fails as a bug, or as a cluster outage; `/gone`
    // is nothing at all (its parent, the root, lists nothing).
    const sdk = {
      stat: async (path: string) => {
        calls.push(`stat ${path}`);
        if (path === '/down') throw new DfsError('unavailable', 'no master answers');
        if (path === '/gone') throw new DfsError('not_found', `no file ${path}`);
        throw new Error('boom');
      },
      list: async (prefix: string) => {
        calls.push(`list ${prefix}`);
        return { prefix, entries: [] };
      },
    } as unknown as DfsClient;
    server = await startDavServer({
      sdk,
      token: '',
      log: (message, fields) => logged.push({ message, fields }),
      locks: new MemoryLockStore(),
    });
  });

  after(async () => {
    await server.close();
  });

  it('logs a 5xx at error level with the method, path and status', async () => {
    expect((await send(server.url, 'GET', '/dav/bug')).status).to.equal(500);
    expect((await send(server.url, 'GET', '/dav/down')).status).to.equal(503);
    expect(logged.map((line) => line.fields)).to.deep.equal([
      { level: 'error', method: 'GET', path: '/dav/bug', status: 500 },
      { level: 'error', method: 'GET', path: '/dav/down', status: 503 },
    ]);
    expect(logged[0]?.message).to.include('boom');
  });

  it('answers a GET of nothing with 404 after one stat and one listing', async () => {
    calls.length = 0;
    expect((await send(server.url, 'GET', '/dav/gone')).status).to.equal(404);
    expect(calls).to.deep.equal(['stat /gone', 'list /']);
  });

  it('labels its requests /dav/ for the metrics (no router matches them), and leaves others alone', async () => {
    const labels: unknown[] = [];
    const app = new Koa();
    app.use(async (ctx, next) => {
      await next();
      labels.push(ctx.state.routeLabel);
    });
    app.use(davMiddleware({ sdk: {} as DfsClient, token: '', log: () => {}, locks: new MemoryLockStore() }));
    app.use((ctx) => {
      ctx.body = 'page';
    });
    const labelled = await serve(app, '127.0.0.1', 0);
    try {
      expect((await send(labelled.url, 'PROPFIND', '/dav/', { headers: { Depth: '0' } })).status).to.equal(
        207,
      );
      expect((await send(labelled.url, 'OPTIONS', '/dav/sub/')).status).to.equal(200);
      expect((await send(labelled.url, 'GET', '/page')).status).to.equal(200);
    } finally {
      await labelled.close();
    }
    expect(labels).to.deep.equal(['/dav/', '/dav/', undefined]);
  });
});
