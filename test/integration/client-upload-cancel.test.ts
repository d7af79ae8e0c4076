// A web client upload cancelled after its last byte was sent (the browser's Cancel while the
// cluster stores it): the client's leaving cancels the storing, and nothing is committed.

import net from 'node:net';
import { expect } from 'chai';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { Gate, type HoldingProxy, proxiedNodes } from '../helpers/holding-proxy.js';
import { waitFor } from '../helpers/wait.js';

describe('web client: an upload cancelled while it is stored', function () {
  this.timeout(60_000);
  let cluster: TestCluster;
  let proxies: HoldingProxy[] = [];
  // Chunk writes wait here until the test lets them go (or 30 s pass, so a failure is no hang).
  const gate = new Gate(undefined, 30_000);

  before(async () => {
    cluster = await startCluster({ nodes: 0, webClient: true, chunkSize: '64KiB' });
    proxies = await proxiedNodes(
      cluster,
      2,
      gate,
      (method, url) => method === 'PUT' && url.startsWith('/chunks/'),
    );
  });

  after(async () => {
    for (const proxy of proxies) await proxy.close();
    await cluster?.close();
  });

  it('stores nothing when the client leaves after sending its whole body', async () => {
    const web = new URL(cluster.client?.url as string);
    const socket = net.connect(Number(web.port), web.hostname);
    socket.on('error', () => {});
    const body = Buffer.alloc(3000, 1);
    socket.write(
      `PUT /api/files/cancel/late.bin HTTP/1.1\r\nHost: ${web.host}\r\nX-Dfs-Csrf: 1\r\n` +
        `Content-Type: application/octet-stream\r\nContent-Length: ${body.length}\r\n\r\n`,
    );
    socket.write(body);
    // Every byte is sent and the cluster is storing the chunk: now the client leaves.
    await waitFor(() => gate.matched >= 1, 'the chunk write to start');
    socket.destroy();
    // The web client gives up the chunk write it had made for the upload.
    await waitFor(() => proxies.some((p) => p.abandoned >= 1), 'the chunk write to be cancelled');
    gate.releaseAll();
    const found = await cluster.sdk.stat('/cancel/late.bin').catch((err: { code: string }) => err.code);
    expect(found).to.equal('not_found');
  });
});
