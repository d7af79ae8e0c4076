// The node's worker: deletes only from the newest leader epoch it has seen (kept across
// restarts), never from a standby, and never of a copy written after the request that brought
// the delete was sent.

import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { expect } from 'chai';
import { NodeState } from '../../src/node/state.js';
import { type Origin, Worker } from '../../src/node/worker.js';
import { ChunkStore } from '../../src/storage/chunk-store.js';
import { tempDir } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';

describe('node worker', () => {
  let dir: string;
  let store: ChunkStore;
  let worker: Worker;
  const kept: string[] = [];

  beforeEach(async () => {
    dir = await tempDir('dfs-worker-');
    store = await ChunkStore.open(dir);
    worker = new Worker(
      new NodeState('n', store),
      dir,
      { lost: () => {}, kept: (id) => kept.push(id) },
      () => {},
    );
    await worker.load();
    kept.length = 0;
  });
  afterEach(async () => {
    await store.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  async function put(): Promise<string> {
    const data = randomBytes(3000);
    const id = createHash('sha256').update(data).digest('hex');
    await store.putSmall(id, data);
    return id;
  }
  const origin = (epoch: number, sentAt = store.sequence): Origin => ({
    epoch,
    sentAt,
    replicated: async () => {},
    kick: () => {},
  });
  // Commands run in the background, but a delete of a packed chunk (and a refusal) happens
  // before accept() returns: nothing needs waiting for.

  it('refuses deletes from an older epoch, and from a standby', async () => {
    const [a, b] = [await put(), await put()];
    await worker.accept([{ op: 'delete', chunkId: a }], origin(3));
    expect(store.has(a)).to.equal(false);
    await worker.accept([{ op: 'delete', chunkId: b }], origin(2));
    await worker.accept([{ op: 'delete', chunkId: b }], origin(0));
    expect(store.has(b)).to.equal(true);
    // The epoch survives a restart of the node.
    const again = new Worker(new NodeState('n', store), dir, { lost: () => {}, kept: () => {} }, () => {});
    await again.load();
    await again.accept([{ op: 'delete', chunkId: b }], origin(2));
    expect(store.has(b)).to.equal(true);
  });

  it('keeps the highest epoch on disk when two masters raise it at once', async () => {
    await Promise.all([worker.observe(6), worker.observe(7)]);
    expect((await fs.readFile(path.join(dir, 'epoch'), 'utf8')).trim()).to.equal('7');
    expect(await fs.readdir(dir)).to.not.include('epoch.tmp');
  });

  it('keeps a copy written after the request that brought its delete, and says so', async () => {
    const id = await put();
    const sentAt = store.sequence;
    // The same chunk written again (a re-upload) after the heartbeat went out.
    await store.putSmall(id, (await store.read(id)).data as Buffer);
    await worker.accept([{ op: 'delete', chunkId: id }], origin(1, sentAt));
    expect(store.has(id)).to.equal(true);
    expect(kept).to.deep.equal([id]);
  });

  it('keeps a copy being written when its delete arrives: packed, and in a file of its own', async () => {
    // A condemned chunk written afresh: the delete was decided before this write began.
    const small = randomBytes(3000);
    const smallId = createHash('sha256').update(small).digest('hex');
    await store.putSmall(smallId, small);
    const sentAt = store.sequence;
    const again = store.putSmall(smallId, small);
    await worker.accept([{ op: 'delete', chunkId: smallId }], origin(1, sentAt));
    await again;
    expect((await store.read(smallId)).data?.equals(small)).to.equal(true);
    const large = randomBytes(200_000);
    const largeId = createHash('sha256').update(large).digest('hex');
    const writer = await store.beginWrite(largeId, large.length);
    await writer.write(large);
    await worker.accept([{ op: 'delete', chunkId: largeId }], origin(1, store.sequence));
    await writer.commit();
    expect(store.has(largeId)).to.equal(true);
    expect(await fs.readFile(store.chunkPath(largeId))).to.deep.equal(large);
    expect(kept).to.deep.equal([smallId, largeId]);
    // Both survive a restart of the store.
    await store.close();
    store = await ChunkStore.open(dir);
    expect([store.has(smallId), store.has(largeId)]).to.deep.equal([true, true]);
  });

  it('stop() cuts a copy in flight at once and takes no more commands', async () => {
    // A target that accepts the connection and never answers: the copy would wait for its deadline.
    let connected = 0;
    const hole = net.createServer((socket) => {
      connected++;
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => hole.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(hole.address() as net.AddressInfo).port}`;
    try {
      const id = await put();
      const outcomes: { error?: string }[] = [];
      const replicate = {
        op: 'replicate' as const,
        chunkId: id,
        targets: [{ nodeId: 't', url }],
        token: 'x',
      };
      const from = { ...origin(1), replicated: async (r: { error?: string }) => void outcomes.push(r) };
      await worker.accept([replicate], from);
      await waitFor(() => connected > 0, 'the copy to connect');
      worker.stop();
      // Far below the copy's own 60 s deadline: only stop() can end it this soon.
      await waitFor(() => outcomes.length === 1, 'the copy to end', 15_000);
      expect(outcomes[0]?.error).to.be.a('string');
      // A command taken now would read the chunk (a copy) or drop it (a delete) before accept()
      // returns.
      let reads = 0;
      const read = store.read.bind(store);
      store.read = (chunkId) => {
        reads++;
        return read(chunkId);
      };
      await worker.accept([{ ...replicate, targets: [{ nodeId: 'u', url }] }], from);
      await worker.accept([{ op: 'delete', chunkId: id }], origin(2));
      expect(reads).to.equal(0);
      expect(store.has(id)).to.equal(true);
      expect(outcomes).to.have.length(1);
    } finally {
      hole.close();
    }
  });
});
