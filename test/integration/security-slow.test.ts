// Slow clients: a socket that dribbles its headers byte by byte is cut off after the header
// deadline on every daemon, while other clients keep being served promptly.

import fs from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { type RunningClient, startClient } from '../../src/client/client.js';
import { clientConfig, masterConfig, nodeConfig } from '../../src/config.js';
import { DEFAULT_HEADERS_TIMEOUT, type Listening, serve } from '../../src/http/serve.js';
import { type RunningMaster, startMaster } from '../../src/master/master.js';
import { createNodeApp } from '../../src/node/app.js';
import { NodeState } from '../../src/node/state.js';
import { ChunkStore } from '../../src/storage/chunk-store.js';
import { raw, send } from '../helpers/adversary.js';
import { tempDir } from '../helpers/cluster.js';

const DEADLINE = 0.5; // seconds

/** Dribbles a header one byte per 100 ms for up to 8 s; resolves when the server hangs up. */
async function slowloris(url: string): Promise<{ status: number; closed: boolean; ms: number }> {
  const started = Date.now();
  const pieces: string[] = ['GET / HTTP/1.1\r\nHost: x\r\nX-Slow: '];
  for (let i = 0; i < 80; i++) pieces.push('a');
  const reply = await raw(url, pieces, { gap: 100, timeout: 1000 });
  return { status: reply.status, closed: reply.closed, ms: Date.now() - started };
}

describe('security: slow clients', function () {
  this.timeout(30_000);
  let dir: string;
  let master: RunningMaster;
  let client: RunningClient;
  let node: Listening;
  const logs: string[] = [];
  const log = (m: string) => {
    logs.push(m);
  };

  before(async () => {
    dir = await tempDir('dfs-slow-');
    master = await startMaster(
      masterConfig({ port: 0, data: path.join(dir, 'master'), secret: 's', headersTimeout: DEADLINE }, {}),
      log,
    );
    client = await startClient(
      clientConfig({ port: 0, master: master.url, headersTimeout: DEADLINE }, {}),
      log,
    );
    // A node app served with the same deadline (the node daemon passes its own to serve()).
    const config = nodeConfig({ port: 0, data: path.join(dir, 'node'), master: master.url, secret: 's' }, {});
    const store = await ChunkStore.open(config.data);
    const state = new NodeState('slow-node', store);
    node = await serve(createNodeApp({ config, store, state, log }), '127.0.0.1', 0, {
      headersTimeout: DEADLINE * 1000,
    });
  });
  after(async () => {
    await client?.close();
    await node?.close();
    await master?.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('the header deadline defaults to 10 s and is configurable per daemon', () => {
    expect(DEFAULT_HEADERS_TIMEOUT).to.equal(10_000);
    expect(masterConfig({}, {}).headersTimeout).to.equal(10_000);
    expect(nodeConfig({ headersTimeout: '2.5' }, {}).headersTimeout).to.equal(2500);
    expect(() => clientConfig({ headersTimeout: '0' }, {})).to.throw(/headers timeout/);
  });

  for (const which of ['master', 'web client', 'node'] as const) {
    it(`${which}: 20 slow-header sockets are cut off near the deadline while others are served`, async () => {
      const url = which === 'master' ? master.url : which === 'node' ? node.url : client.url;
      const slow = Promise.all(Array.from({ length: 20 }, () => slowloris(url)));
      let done = false;
      void slow.finally(() => {
        done = true;
      });
      const latencies: number[] = [];
      while (!done) {
        const t = Date.now();
        const reply = await send(url, 'GET', '/');
        expect(reply.status).to.equal(200);
        latencies.push(Date.now() - t);
        await new Promise((r) => setTimeout(r, 50));
      }
      for (const result of await slow) {
        expect(result.closed).to.equal(true);
        expect([0, 408]).to.include(result.status);
        // Cut off after the deadline, and well before the 8 s the client would have taken.
        expect(result.ms).to.be.within(DEADLINE * 1000 - 100, 3000);
      }
      expect(latencies.length).to.be.greaterThan(3);
      expect(Math.max(...latencies)).to.be.lessThan(1000);
    });
  }
});
