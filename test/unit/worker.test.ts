// The node's worker: deletes only from the newest leader epoch it has seen (kept across
// restarts), never from a standby, and never of a copy written after the request that brought
// the delete was sent.

import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import { expect } from 'chai';
import { NodeState } from '../../src/node/state.js';
import { type Origin, Worker } from '../../src/node/worker.js';
import { ChunkStore } from '../../src/storage/chunk-store.js';
import { tempDir } from '../helpers/cluster.js';

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

  it('keeps a copy written after the request that brought its delete, and says so', async () => {
    const id = await put();
    const sentAt = store.sequence;
    // The same chunk written again (a re-upload) after the heartbeat went out.
    await store.putSmall(id, (await store.read(id)).data as Buffer);
    await worker.accept([{ op: 'delete', chunkId: id }], origin(1, sentAt));
    expect(store.has(id)).to.equal(true);
    expect(kept).to.deep.equal([id]);
  });
});
