// A node reads a large chunk whole into a kept buffer to send it: the bytes are right, and the
// buffer comes back once the answer is sent or its client has left (else the node would fall
// back to streaming for good, a leak that no answer would show).

import { once } from 'node:events';
import net from 'node:net';
import { expect } from 'chai';
import { collect, pieces, randomData, startCluster, type TestCluster } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';

const MiB = 1024 * 1024;

describe('node read buffers', function () {
  this.timeout(60_000);
  let cluster: TestCluster;
  const data = randomData(40 * MiB + 3);

  before(async () => {
    // 16 MiB chunks: more than loopback's socket buffers take, so an unread answer stays under way.
    cluster = await startCluster({ nodes: 2, chunkSize: '16MiB' });
    await cluster.sdk.upload(pieces(data, MiB), '/large.bin');
  });
  after(async () => {
    await cluster?.close();
  });
  const inUse = () => cluster.nodes.reduce((sum, n) => sum + n.store.readBuffersInUse, 0);

  it('serves large chunks and ranges of them read whole, every buffer given back after', async () => {
    expect((await collect(cluster.sdk.download('/large.bin'))).equals(data)).to.equal(true);
    const range = await collect(cluster.sdk.download('/large.bin', { start: 15 * MiB, end: 33 * MiB }));
    expect(range.equals(data.subarray(15 * MiB, 33 * MiB + 1))).to.equal(true);
    await waitFor(() => inUse() === 0, 'every read buffer given back');
  });

  it('gets the buffer back when the client leaves mid-answer', async () => {
    const [chunk] = (await cluster.sdk.stat('/large.bin')).chunks;
    const replica = chunk?.replicas[0];
    const node = cluster.nodes.find((n) => n.id === replica?.nodeId);
    if (!chunk || !replica || !node) throw new Error('the first chunk has no replica');
    const url = new URL(replica.url);
    const socket = net.connect(Number(url.port), url.hostname);
    socket.write(`GET /chunks/${chunk.id} HTTP/1.1\r\nHost: ${url.host}\r\n\r\n`);
    await once(socket, 'data');
    socket.pause();
    // The answer is under way and the client reads no more: its buffer is lent out.
    expect(node.store.readBuffersInUse).to.equal(16 * MiB);
    socket.destroy();
    await waitFor(() => node.store.readBuffersInUse === 0, 'the buffer given back');
  });
});
