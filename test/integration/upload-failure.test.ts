// An upload whose chunk cannot be stored fails at once, not when its source gives its next chunk:
// a client that sends slowly, or has stopped, does not hold the failure back (nor the answer).

import { expect } from 'chai';
import type { DfsError } from '../../src/protocol/errors.js';
import { randomData, startCluster, type TestCluster } from '../helpers/cluster.js';

describe('an upload whose chunk cannot be stored', function () {
  this.timeout(20_000);
  let cluster: TestCluster;

  before(async () => {
    cluster = await startCluster({ nodes: 1, replication: 1, chunkSize: '64KiB' });
  });
  after(async () => {
    await cluster?.close();
  });

  it('fails at once while its source is still waiting for more bytes', async () => {
    // The only node goes away; the master still counts it alive, so the chunk is tried there first.
    await cluster.nodes[0]?.close();
    let resume = () => {};
    const more = new Promise<void>((resolve) => {
      resume = resolve;
    });
    let asked = 0;
    async function* stalling(): AsyncGenerator<Buffer> {
      yield randomData(64 * 1024);
      asked++;
      await more; // a client that stopped sending
      yield randomData(10);
    }
    try {
      const failed = (await cluster.sdk.upload(stalling(), '/stalled/f.bin').catch((e) => e)) as DfsError;
      expect(failed.code).to.equal('insufficient_nodes');
      expect(asked, 'the source was asked for more, and never answered').to.equal(1);
      expect((await cluster.sdk.stat('/stalled/f.bin').catch((e) => e)).code).to.equal('not_found');
    } finally {
      resume();
    }
  });
});
