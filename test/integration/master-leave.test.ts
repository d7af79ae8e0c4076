// A master that stops cleanly leaves the cluster: the store forgets it and its leadership lease
// lapses, so the master restarted on the same data leads at once (not a lease timeout later,
// behind a lease its previous run still held), and the status lists it once. A master the
// store last heard from a lease timeout ago is shown as not answering, for as long as it stays
// down (a day), unless it was an earlier run of a master now back at its URL.

import path from 'node:path';
import { expect } from 'chai';
import { bytes, startCluster, type TestCluster } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';

describe('a master stopping and starting again', () => {
  let cluster: TestCluster;
  before(async () => {
    // A heartbeat timeout long enough that a chunk not yet reported stays so while it is looked at.
    cluster = await startCluster({ nodes: 1, replication: 1, heartbeatTimeout: 60 });
  });
  after(async () => {
    await cluster?.close();
  });

  it('leads at once after a clean restart, and is listed once', async () => {
    expect((await cluster.sdk.status()).role).to.equal('leader');
    const before = cluster.master.leader.id;
    await cluster.restartMaster();
    expect(cluster.master.leader.id).to.not.equal(before);
    const status = await cluster.sdk.status();
    expect(status.role).to.equal('leader');
    expect(status.masters.map((m) => [m.id, m.leader, m.silent])).to.deep.equal([
      [cluster.master.leader.id, true, false],
    ]);
  });

  it('shows a master not heard from for a lease timeout as not answering', async () => {
    const { store, leader } = cluster.master;
    const self = leader.masters.find((m) => m.id === leader.id);
    if (!self) throw new Error('this master is not in its own list');
    const ghost = { id: 'a-crashed-run', url: 'http://127.0.0.1:9', lastSeen: self.lastSeen - 11_000 };
    leader.masters = await store.heartbeatMaster(ghost, 30_000);
    const masters = (await cluster.sdk.status()).masters;
    expect(masters.find((m) => m.id === ghost.id)?.silent).to.equal(true);
    expect(masters.find((m) => m.id === leader.id)?.silent).to.equal(false);
  });

  it('keeps a master that stays down listed as not answering, and forgets an earlier run at its own URL', async () => {
    const { store, leader } = cluster.master;
    const self = leader.masters.find((m) => m.id === leader.id);
    if (!self) throw new Error('this master is not in its own list');
    const down = { id: 'down-for-a-minute', url: 'http://127.0.0.1:9', lastSeen: self.lastSeen - 60_000 };
    const earlier = { id: 'killed-earlier-run', url: leader.url, lastSeen: self.lastSeen - 20_000 };
    for (const m of [down, earlier]) await store.heartbeatMaster(m, 3600_000);
    await leader.claim();
    const masters = (await cluster.sdk.status()).masters;
    expect(masters.find((m) => m.id === down.id)?.silent).to.equal(true);
    expect(masters.map((m) => m.id)).to.not.include(earlier.id);
    expect((await store.heartbeatMaster(down, 3600_000)).map((m) => m.id)).to.not.include(earlier.id);
    // Only masters heard from lately count as others (to lead, or to adopt their node removals).
    expect(leader.others).to.equal(1);
  });

  it('counts no chunk missing that the nodes have not reported yet after a start, and fsck says so', async () => {
    await cluster.sdk.upload(bytes('reported later'), '/later/f.txt');
    const node = cluster.nodes.pop();
    if (!node) throw new Error('no node');
    await node.close();
    await cluster.restartMaster();
    // A pass over the chunk table has counted the file's chunk, which no node has reported.
    await waitFor(async () => (await cluster.sdk.status()).chunks === 1, 'a pass over the chunk table');
    expect((await cluster.sdk.status()).missing).to.equal(0);
    const waiting = await cluster.sdk.fsck('/later');
    expect(waiting).to.include({ status: 'healthy', missingChunks: 0, unreportedChunks: 1 });
    // Reported: listed, neither missing nor unreported.
    await cluster.addNode(path.join(cluster.dir, 'node1'));
    await waitFor(async () => (await cluster.sdk.fsck('/later')).minReplicas === 1, 'the node to report');
    expect(await cluster.sdk.fsck('/later')).to.include({ status: 'healthy', unreportedChunks: 0 });
  });
});
