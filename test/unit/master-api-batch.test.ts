// Calls that a master's metadata store failed (503 'unavailable'), as when PostgreSQL restarts
// under it: sent again, to another master or to the only one, for up to the failover time; in a
// batch whose other calls succeeded, the calls answered are not. Fake masters here: each batch
// they are sent is recorded.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import type { DfsError } from '../../src/protocol/errors.js';
import { MasterApi } from '../../src/sdk/master-api.js';

describe('SDK: calls a master store failed within a batch', () => {
  const servers: http.Server[] = [];
  const masters: string[] = [];
  let batches: string[][] = [];
  // How many more times a stat of /flaky fails.
  let flaky = 0;

  before(async () => {
    for (let i = 0; i < 2; i++) {
      const server = http.createServer((req, res) => {
        const parts: Buffer[] = [];
        req.on('data', (d: Buffer) => parts.push(d));
        req.on('end', () => {
          // Any other route: the store failing while `flaky` lasts (a whole call, not a batch's).
          if (req.url !== '/api/batch') {
            batches.push([req.url as string]);
            const down = flaky-- > 0;
            res.writeHead(down ? 503 : 200, { 'content-type': 'application/json' });
            return res.end(
              JSON.stringify(down ? { error: { code: 'unavailable', message: 'database down' } } : {}),
            );
          }
          const { calls } = JSON.parse(Buffer.concat(parts).toString()) as { calls: { path: string }[] };
          batches.push(calls.map((c) => c.path));
          const results = calls.map((c) =>
            c.path === '/flaky' && flaky-- > 0
              ? {
                  ok: false,
                  status: 503,
                  error: { code: 'unavailable', message: 'the metadata database is unavailable' },
                }
              : { ok: true, value: { path: c.path, chunks: [] } },
          );
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ results }));
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      servers.push(server);
      masters.push(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    }
  });
  after(() => Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve)))));
  beforeEach(() => {
    batches = [];
  });

  // The first stat goes alone; the two made meanwhile travel together in the next batch.
  const three = (api: MasterApi) =>
    Promise.all(
      ['/first', '/ok', '/flaky'].map((p) =>
        api.stat(p).then(
          (i) => i.path,
          (e: DfsError) => e.code,
        ),
      ),
    );

  it('several masters: only the failed call is sent again, and every caller gets its answer', async () => {
    flaky = 2;
    expect(await three(new MasterApi(masters, ''))).to.deep.equal(['/first', '/ok', '/flaky']);
    expect(batches).to.deep.equal([['/first'], ['/ok', '/flaky'], ['/flaky'], ['/flaky']]);
  });

  it('one master: the failed call is sent again to it (its database back in a moment)', async () => {
    flaky = 2;
    expect(await three(new MasterApi(masters.slice(0, 1), ''))).to.deep.equal(['/first', '/ok', '/flaky']);
    expect(batches).to.deep.equal([['/first'], ['/ok', '/flaky'], ['/flaky'], ['/flaky']]);
  });

  it('one master: a call its store fails for longer than the failover time fails unavailable', async () => {
    flaky = 1000;
    expect(await three(new MasterApi(masters.slice(0, 1), '', 600))).to.deep.equal([
      '/first',
      '/ok',
      'unavailable',
    ]);
    // Sent again after 250 and 500 ms: the next wait would end past the 600 ms.
    expect(batches.length).to.be.within(3, 5);
    expect(batches.slice(2).flat()).to.deep.equal(batches.slice(2).map(() => '/flaky'));
  });

  it('one master: a call of its own (not batched) is sent again while the store fails', async () => {
    flaky = 2;
    await new MasterApi(masters.slice(0, 1), '').status();
    expect(batches).to.deep.equal([['/api/status'], ['/api/status'], ['/api/status']]);
  });

  it('names every master when none can be reached, and a daemon that is not a master as such', async () => {
    const down = ['http://127.0.0.1:9', 'http://127.0.0.1:7'];
    const none = (await new MasterApi(down, '', 0).status().catch((e) => e)) as DfsError;
    expect(none.code).to.equal('unavailable');
    expect(none.message).to.match(
      /^cannot reach any of the masters http:\/\/127\.0\.0\.1:9, http:\/\/127\.0\.0\.1:7 \(cannot reach master http:\/\/127\.0\.0\.1:\d \(ECONNREFUSED\)\)$/,
    );
    // A dfs daemon without the master's routes (a storage node, the web client).
    const node = http.createServer((req, res) => {
      req.resume();
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ error: { code: 'not_found', message: `no route for ${req.method} ${req.url}` } }),
      );
    });
    await new Promise<void>((resolve) => node.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(node.address() as AddressInfo).port}`;
    try {
      const wrong = (await new MasterApi([url], '').status().catch((e) => e)) as DfsError;
      expect(wrong.code).to.equal('not_found');
      expect(wrong.message).to.equal(
        `${url} is not a dfs master (no route for GET /api/status): check --master`,
      );
    } finally {
      node.close();
    }
  });
});
