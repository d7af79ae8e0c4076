// The inventory reconcile under races, driven deterministically through the master's node
// protocol (in-process, with stand-in nodes): an inventory read before a commit never drops the
// replica the commit listed; one the master asked for drops what the node really lost; a copy
// condemned after the request does not come back.

import { createHash, randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { signReceipt } from '../../src/protocol/auth.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';

const USAGE = { capacity: 1e12, free: 1e12, used: 0 };

describe('faults: inventory reconcile races', function () {
  this.timeout(30_000);
  let cluster: TestCluster;
  const chunk = { id: createHash('sha256').update(randomBytes(16)).digest('hex'), size: 1000 };

  const register = (id: string, chunks: string[], inventory?: number) =>
    cluster.master.nodeProtocol.register(id, { id, url: 'http://127.0.0.1:9', ...USAGE, chunks, inventory });
  const heartbeat = (id: string) => cluster.master.nodeProtocol.heartbeat(id, { id, ...USAGE, chunks: 0 });
  const holders = async () => (await cluster.sdk.stat('/race/y')).chunks[0]?.replicas.map((r) => r.nodeId);
  /** Heartbeats until the master asks for an inventory; returns the request's stamp. */
  const asked = (id: string) =>
    waitFor(async () => (await heartbeat(id)).inventory, `the master to ask ${id} for its inventory`);

  before(async () => {
    // A grace of 2 s makes the master ask each node for its inventory every second.
    cluster = await startCluster({ nodes: 2, gcGrace: 2 });
    await register('stand-in-a', []);
    await register('stand-in-b', []);
  });
  after(async () => {
    await cluster?.close();
  });

  it('keeps a replica committed after the inventory was read, asked for or not', async () => {
    const stamp = await asked('stand-in-a');
    // The chunk is written to both stand-ins and committed after stand-in-a read its disk.
    const receipts = ['stand-in-a', 'stand-in-b'].map((nodeId) => ({
      nodeId,
      chunkId: chunk.id,
      signature: signReceipt(cluster.options.secret, nodeId, chunk.id),
    }));
    await cluster.master.namespace.allocate({ chunks: [chunk], exclude: [] }, 'race-upload');
    await cluster.master.namespace.commit(
      {
        path: '/race/y',
        size: chunk.size,
        sha256: chunk.id,
        chunks: [chunk],
        receipts,
        contentType: 'application/octet-stream',
        metadata: {},
        attributes: {},
      },
      'race-upload',
    );
    await register('stand-in-a', [], stamp);
    expect(await holders()).to.have.members(['stand-in-a', 'stand-in-b']);
    // A registration nobody asked for (a node starting) never takes a replica away either.
    await register('stand-in-a', []);
    expect(await holders()).to.have.members(['stand-in-a', 'stand-in-b']);
  });

  it('drops a replica the node lost when it answers a request made after the replica was listed', async () => {
    const stamp = await asked('stand-in-a');
    await register('stand-in-a', [], stamp);
    expect(await holders()).to.deep.equal(['stand-in-b']);
    const events = (await cluster.sdk.status()).events.map((e) => e.message);
    expect(events.some((m) => /no longer holds 1 chunk/.test(m))).to.equal(true);
  });

  it('does not bring back a copy condemned after the inventory was read, but does once re-read', async () => {
    const stamp = await asked('stand-in-b');
    cluster.master.nodeProtocol.reportLost('stand-in-b', [chunk.id], false);
    expect(await holders()).to.deep.equal([]);
    // The inventory was read before the node quarantined its copy: the copy is listed in it.
    await register('stand-in-b', [chunk.id], stamp);
    expect(await holders()).to.deep.equal([]);
    // A later inventory that still lists the chunk (say a fresh copy arrived) is believed.
    const later = await asked('stand-in-b');
    await register('stand-in-b', [chunk.id], later);
    expect(await holders()).to.deep.equal(['stand-in-b']);
  });
});
