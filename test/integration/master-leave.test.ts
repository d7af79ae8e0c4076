// A master that stops cleanly leaves the cluster: the store forgets it and its leadership lease
// lapses, so the master restarted on the same data leads at once (not a lease timeout later,
// behind a lease its previous run still held), and the status lists it once. A master the
// store last heard from a lease timeout ago is shown as not answering.

import { expect } from 'chai';
import { startCluster, type TestCluster } from '../helpers/cluster.js';

describe('a master stopping and starting again', () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await startCluster({ nodes: 1 });
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
});
