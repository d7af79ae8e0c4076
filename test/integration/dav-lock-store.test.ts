// The lock store contract against the metadata store of a real cluster, through the SDK.

import { expect } from 'chai';
import { SdkLockStore } from '../../src/dav/sdk-lock-store.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { describeLockStore, realClock } from '../helpers/dav-lock-contract.js';

describe('dav lock store on a cluster', function () {
  this.timeout(30_000);
  let cluster: TestCluster;

  before(async () => {
    cluster = await startCluster({ nodes: 1, replication: 1 });
  });

  after(async () => {
    await cluster?.close();
  });

  // Each test starts from a store without locks: the master keeps them between tests.
  describeLockStore(
    'SdkLockStore',
    async () => {
      const { api } = cluster.sdk;
      for (const lock of await api.locksFor('/', true)) await api.removeLock(lock.token);
      return new SdkLockStore(api);
    },
    realClock,
  );

  it('keeps locks across a master restart', async () => {
    const store = new SdkLockStore(cluster.sdk.api);
    const now = Date.now();
    const lock = {
      token: 'urn:uuid:00000000-0000-4000-8000-000000000001',
      root: '/kept',
      depth: 0 as const,
      scope: 'exclusive' as const,
      owner: '',
      timeoutSeconds: 600,
      expires: now + 600_000,
    };
    expect(await store.acquire(lock, now)).to.deep.equal([]);
    await cluster.restartMaster();
    const again = new SdkLockStore(cluster.sdk.api);
    expect((await again.locksOn(['/kept'], Date.now())).map((l) => l.token)).to.deep.equal([lock.token]);
  });
});
