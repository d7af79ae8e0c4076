// Fault tests with real processes: full disks. A node whose free space is below its reserve gets
// no chunks; a node whose disk refuses writes (every write fails: `ulimit -f 0`) while it still
// reports free space makes the write fail over to other nodes, leaving nothing partial behind.

import { expect } from 'chai';
import { DfsError } from '../../src/protocol/errors.js';
import { collect, pieces, randomData } from '../helpers/cluster.js';
import {
  ProcCluster as Cluster,
  type Daemon,
  goodCopies,
  liveReplicas,
  type ProcCluster,
} from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';

const CHUNK = 64 * 1024;

/**
 * Waits until `node` holds no temporary file. A node cleans up a failed PUT when it notices the
 * failure, which for the second node of a pipeline can be just after the client heard of it.
 */
async function noTemporaries(node: Daemon): Promise<void> {
  await waitFor(async () => (await node.filesIn('tmp')).length === 0, `${node.name} tmp/ to be empty`, 5_000);
}

describe('faults: full disks', function () {
  this.timeout(60_000);
  let cluster: ProcCluster;
  let a: Daemon;
  let b: Daemon;
  let full: Daemon;
  let refusing: Daemon;

  before(async () => {
    cluster = await Cluster.start({ nodes: 2 });
    [a, b] = cluster.nodes as [Daemon, Daemon];
    // More reserve than any disk has: the node offers no space at all.
    full = await cluster.addNode({ args: ['--reserve', '1000000TiB'] });
    // First start as usual (it writes its node id), then again with every file write refused.
    refusing = await cluster.addNode();
    await refusing.kill();
    refusing.prelude = 'ulimit -f 0';
    await refusing.start();
    await cluster.waitForNode(refusing, 'alive');
  });
  after(async () => {
    await cluster?.close();
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed') process.stderr.write(`${cluster.logs()}\n`);
  });

  it('places no chunk on a node whose disk is full', async () => {
    const info = (await cluster.nodeInfo()).find((n) => n.id === full.id);
    expect(info?.free).to.equal(0);
    expect(info?.capacity).to.be.greaterThan(0);
    const data = randomData(24 * CHUNK + 3);
    await cluster.sdk.upload(pieces(data), '/disk/avoid.bin');
    expect(await full.chunkIds()).to.deep.equal([]);
    for (const replicas of await liveReplicas(cluster.sdk, '/disk/avoid.bin')) {
      expect(replicas).to.have.members([a.id, b.id]);
    }
    expect((await collect(cluster.sdk.download('/disk/avoid.bin'))).equals(data)).to.equal(true);
  });

  it('fails a write over when it hits a disk that refuses it, leaving nothing partial', async () => {
    const data = randomData(32 * CHUNK + 5);
    const manifest = await cluster.sdk.upload(pieces(data), '/disk/failover.bin');
    expect(
      refusing.logs.some((l) => /EFBIG/.test(l)),
      'writes reached the refusing node',
    ).to.equal(true);
    expect(await refusing.chunkIds()).to.deep.equal([]);
    for (const node of cluster.nodes) await noTemporaries(node);
    for (const replicas of await liveReplicas(cluster.sdk, '/disk/failover.bin')) {
      expect(replicas).to.have.members([a.id, b.id]);
    }
    for (const chunk of manifest.chunks) expect(await goodCopies([a, b], chunk.id)).to.have.length(2);
    expect((await collect(cluster.sdk.download('/disk/failover.bin'))).equals(data)).to.equal(true);
    // The node says it cannot write, and is offered no more chunks.
    await waitFor(
      async () => Boolean((await cluster.nodeInfo()).find((n) => n.id === refusing.id)?.writeError),
      'the refusing node to report it cannot write',
    );
    const attempts = refusing.logs.filter((l) => /EFBIG/.test(l)).length;
    await cluster.sdk.upload(pieces(randomData(16 * CHUNK)), '/disk/after.bin');
    expect(refusing.logs.filter((l) => /EFBIG/.test(l)).length, 'no write reached it since').to.equal(
      attempts,
    );
    expect(
      refusing.logs.some((l) => /at .*\.js:\d+/.test(l)),
      'no stack trace in its log',
    ).to.equal(false);
  });

  it('refuses an upload with a clear error when the other nodes are full, committing nothing', async () => {
    await b.kill();
    await cluster.waitForNode(b, 'dead');
    const err = await cluster.sdk.upload(pieces(randomData(4 * CHUNK)), '/disk/nowhere.bin').catch((e) => e);
    expect(err).to.be.instanceOf(DfsError);
    expect((err as DfsError).code).to.equal('insufficient_nodes');
    expect((err as DfsError).message).to.match(/cannot write \(EFBIG/);
    expect(((await cluster.sdk.stat('/disk/nowhere.bin').catch((e) => e)) as DfsError).code).to.equal(
      'not_found',
    );
    for (const node of [a, full, refusing]) await noTemporaries(node);
    expect(await full.chunkIds()).to.deep.equal([]);
    expect(await refusing.chunkIds()).to.deep.equal([]);
    // What was acknowledged before is still whole on the node left.
    expect((await collect(cluster.sdk.download('/disk/avoid.bin'))).length).to.equal(24 * CHUNK + 3);
  });

  it('never acknowledges a chunk the disk only partly took (a disk filling mid-write)', async () => {
    const small = await Cluster.start({ nodes: 1, replication: 1 });
    try {
      const node = small.nodes[0] as Daemon;
      await node.kill();
      node.prelude = 'ulimit -f 16'; // 8 KiB per file: every 64 KiB chunk write comes up short
      await node.start();
      await small.waitForNode(node, 'alive');
      const data = randomData(2 * CHUNK);
      const result = await small.sdk.upload(pieces(data), '/disk/short.bin').catch((e) => e);
      expect(result).to.be.instanceOf(DfsError);
      for (const id of await node.chunkIds()) expect(await goodCopies([node], id), id).to.have.length(1);
    } finally {
      await small.close();
    }
  });
});
