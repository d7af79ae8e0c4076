// Fault tests with real processes around node identity: a dead node removed by hand (refused
// while it holds the only copy of anything), a node whose disk was swapped (new id, same URL)
// retiring the old entry on its own, two daemons refused on one data folder, and a frozen
// master that makes the CLI fail in seconds, naming it.

import path from 'node:path';
import { expect } from 'chai';
import { pieces, randomData } from '../helpers/cluster.js';
import { ProcCluster as Cluster, Daemon, type ProcCluster, runCli, SECRET } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';

const CHUNK = 64 * 1024;

describe('faults: node identity and frozen masters', function () {
  this.timeout(90_000);
  let cluster: ProcCluster | undefined;

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && cluster) process.stderr.write(`${cluster.logs()}\n`);
    await cluster?.close();
    cluster = undefined;
  });

  it('dfs nodes remove refuses a node that holds the only copy of a chunk, or is alive', async () => {
    cluster = await Cluster.start({ nodes: 2, replication: 1 });
    const m = ['--master', cluster.master.url];
    await cluster.sdk.upload(pieces(randomData(4 * CHUNK)), '/r/f');
    let sole: Daemon | undefined;
    for (const node of cluster.nodes) if ((await node.chunkIds()).length > 0) sole = node;
    if (!sole) throw new Error('nothing stored');
    // Named by id or by URL.
    for (const name of [sole.id, sole.url]) {
      const alive = await runCli(['nodes', 'remove', name, ...m]);
      expect(alive.code, name).to.equal(1);
      expect(alive.stderr, name).to.match(/is alive: stop it before removing it/);
    }
    await sole.kill();
    await cluster.waitForNode(sole, 'dead');
    const refused = await runCli(['nodes', 'remove', sole.url, ...m]);
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.match(/holds the only copy of \d+ chunk/);
    expect((await runCli(['nodes', 'remove', 'no-such-node', ...m])).stderr).to.match(/no such node/);
  });

  it('dfs nodes remove forgets a dead node once its chunks were repaired elsewhere', async () => {
    cluster = await Cluster.start({ nodes: 3 });
    const m = ['--master', cluster.master.url];
    await cluster.sdk.upload(pieces(randomData(6 * CHUNK)), '/r/g');
    const gone = cluster.nodes[0] as Daemon;
    await gone.kill();
    await cluster.waitForNode(gone, 'dead');
    await waitFor(async () => (await cluster?.sdk.status())?.underReplicated === 0, 'repairs');
    expect((await runCli(['status', ...m])).stdout).to.match(/DEGRADED/);
    const removed = await runCli(['nodes', 'remove', gone.id, ...m]);
    expect(removed.code, removed.stderr).to.equal(0);
    expect(removed.stderr).to.match(/removed node/);
    expect((await cluster.nodeInfo()).map((n) => n.id)).to.not.include(gone.id);
    expect((await runCli(['status', ...m])).stdout).to.match(/healthy/);
  });

  it('a node that returns with a new id at a known URL retires the old entry', async () => {
    cluster = await Cluster.start({ nodes: 3 });
    const old = cluster.nodes[2] as Daemon;
    await cluster.sdk.upload(pieces(randomData(6 * CHUNK)), '/swap/a.bin');
    const port = new URL(old.url).port;
    await old.kill();
    await cluster.waitForNode(old, 'dead');
    // The disk was swapped: a fresh folder (a new node id), the same address.
    const fresh = new Daemon('node3b', 'node', path.join(cluster.dir, 'node3b'), [
      '--master',
      cluster.master.url,
      '--secret',
      SECRET,
      '--heartbeat-interval',
      '0.2',
      '--port',
      port,
    ]);
    cluster.nodes.push(fresh);
    await fresh.start();
    expect(fresh.id).to.not.equal(old.id);
    await waitFor(async () => {
      const nodes = await cluster?.nodeInfo();
      return nodes?.length === 3 && nodes.every((n) => n.state === 'alive');
    }, 'the old entry to be retired once nothing depends on it');
    const status = await runCli(['status', '--master', cluster.master.url]);
    expect(status.stdout).to.match(/healthy/);
  });

  it('refuses a second node, and a second master, on a data folder in use', async () => {
    cluster = await Cluster.start({ nodes: 2 });
    const node = cluster.nodes[0] as Daemon;
    const twin = await runCli(['node', '--data', node.data, '--port', '0', '--master', cluster.master.url]);
    expect(twin.code).to.equal(1);
    expect(twin.stderr).to.match(/node data folder .* is in use by process \d+/);
    const master = await runCli(['master', '--data', cluster.master.data, '--port', '0']);
    expect(master.code).to.equal(1);
    expect(master.stderr).to.match(/master data folder .* is in use by process \d+/);
    // The first node kept its folder and serves on.
    await cluster.sdk.upload(pieces(randomData(100)), '/twin/ok');
  });

  it('fails reads in seconds, naming the master, when the master is frozen', async () => {
    cluster = await Cluster.start({ nodes: 2 });
    cluster.master.signal('SIGSTOP');
    try {
      const started = Date.now();
      const ls = await runCli(['ls', '/', '--master', cluster.master.url]);
      expect(ls.code).to.equal(1);
      expect(ls.stderr).to.match(new RegExp(`master ${cluster.master.url} did not answer in time`));
      expect(Date.now() - started).to.be.lessThan(30_000);
    } finally {
      cluster.master.signal('SIGCONT');
    }
  });
});
