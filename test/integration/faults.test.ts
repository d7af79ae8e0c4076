// Fault tests with real processes: storage nodes killed -9 after an upload, in the middle of a
// download and in the middle of an upload; re-replication onto a new node; a dead node's return
// and the trimming of excess replicas; too few nodes. Every test ends by checking the bytes.

import fs from 'node:fs/promises';
import { expect } from 'chai';
import { DfsError } from '../../src/protocol/errors.js';
import { IDLE_TIMEOUT } from '../../src/sdk/transport.js';
import { collect, pieces, randomData, sha256 } from '../helpers/cluster.js';
import {
  blackHole,
  ProcCluster as Cluster,
  type Daemon,
  goodCopies,
  liveReplicas,
  type ProcCluster,
  report,
  runCli,
  seconds,
} from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';

const CHUNK = 64 * 1024;

describe('faults: storage nodes die', function () {
  this.timeout(60_000);
  let cluster: ProcCluster | undefined;

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && cluster) process.stderr.write(`${cluster.logs()}\n`);
  });

  describe('two nodes, replication 2, one killed after the ack', () => {
    const data = randomData(16 * CHUNK + 17);
    let a: Daemon;
    let b: Daemon;
    let killedAt = 0;

    // Every test starts from its own cluster: a file on two nodes, then node b killed -9.
    beforeEach(async () => {
      cluster = await Cluster.start({ nodes: 2 });
      [a, b] = cluster.nodes as [Daemon, Daemon];
      await cluster.sdk.upload(pieces(data), '/kill/after-ack.bin');
    });
    afterEach(async () => {
      await cluster?.close();
      cluster = undefined;
    });

    async function killB(k: ProcCluster): Promise<void> {
      await b.kill();
      killedAt = Date.now();
      await k.waitForNode(b, 'dead');
    }

    it('reads byte-equal when a node is killed -9 after the ack, even mid-download', async () => {
      const sdk = (cluster as ProcCluster).sdk;
      const reading = sdk.download('/kill/after-ack.bin');
      const first = await reading.next();
      await b.kill();
      const rest = await collect(reading);
      const got = Buffer.concat([first.value as Buffer, rest]);
      expect(sha256(got)).to.equal(sha256(data));
      // A fresh read before the master even noticed.
      expect((await collect(sdk.download('/kill/after-ack.bin'))).equals(data)).to.equal(true);
    });

    it('declares the node dead and counts its chunks under-replicated', async () => {
      const k = cluster as ProcCluster;
      await killB(k);
      report('death detected after', seconds(killedAt));
      await waitFor(
        async () => (await k.sdk.status()).underReplicated === 17,
        'the chunks to count as under-replicated',
      );
      const status = await k.sdk.status();
      expect(status.nodes).to.deep.equal({ alive: 1, dead: 1 });
      expect(status.missing).to.equal(0);
      const nodes = await runCli(['nodes', '--master', k.master.url, '--json']);
      expect(nodes.code).to.equal(0);
      const states = (JSON.parse(nodes.stdout) as { id: string; state: string }[]).map((n) => [
        n.id,
        n.state,
      ]);
      expect(states).to.have.deep.members([
        [a.id, 'alive'],
        [b.id, 'dead'],
      ]);
      expect((await collect(k.sdk.download('/kill/after-ack.bin'))).equals(data)).to.equal(true);
    });

    it('counts repairs in progress while copies hang, and plans them again when their target dies', async () => {
      const k = cluster as ProcCluster;
      await killB(k);
      // A node whose advertised address accepts connections and never answers.
      const hole = await blackHole();
      try {
        const stuck = await k.addNode({ args: ['--advertise', hole.url] });
        await waitFor(async () => {
          const s = await k.sdk.status();
          return s.repairsInProgress === 4 && s.underReplicated === 17 && hole.connections >= 4;
        }, 'four copies to hang (the repair concurrency)');
        const status = await runCli(['status', '--master', k.master.url]);
        expect(status.code).to.equal(0);
        expect(status.stdout).to.match(/DEGRADED/);
        expect(status.stdout).to.match(/Under-replicated\W+17\b/);
        expect(status.stdout).to.match(/Repairs running\W+4\b/);
        await stuck.kill();
        await hole.close();
        await k.waitForNode(stuck, 'dead');
        await waitFor(async () => {
          const s = await k.sdk.status();
          return s.repairsInProgress === 0 && s.underReplicated === 17 && s.missing === 0;
        }, 'the hung copies to be forgotten');
      } finally {
        await hole.close().catch(() => {});
      }
      expect((await collect(k.sdk.download('/kill/after-ack.bin'))).equals(data)).to.equal(true);
    });

    it('re-replicates onto a new node until nothing is under-replicated', async () => {
      const k = cluster as ProcCluster;
      await killB(k);
      const joined = Date.now();
      const c = await k.addNode();
      await waitFor(async () => {
        const s = await k.sdk.status();
        return s.underReplicated === 0 && s.repairsInProgress === 0 && s.missing === 0;
      }, 'repair to finish');
      report('re-replicated 17 chunks after the new node joined in', seconds(joined));
      const info = await k.sdk.stat('/kill/after-ack.bin');
      for (const chunk of info.chunks) {
        expect((await goodCopies([c], chunk.id)).length, 'a good copy on the new node').to.equal(1);
      }
      for (const replicas of await liveReplicas(k.sdk, '/kill/after-ack.bin')) {
        expect(replicas).to.have.members([a.id, c.id]);
      }
      expect((await collect(k.sdk.download('/kill/after-ack.bin'))).equals(data)).to.equal(true);
    });

    it('trims the excess replicas back to the factor when the dead node returns', async () => {
      const k = cluster as ProcCluster;
      await killB(k);
      const c = await k.addNode();
      await waitFor(async () => (await k.sdk.status()).underReplicated === 0, 'repair onto the new node');
      const back = Date.now();
      await b.start();
      await k.waitForNode(b, 'alive');
      const info = await k.sdk.stat('/kill/after-ack.bin');
      await waitFor(async () => {
        for (const chunk of info.chunks) {
          if ((await goodCopies([a, b, c], chunk.id)).length !== 2) return false;
        }
        return (await liveReplicas(k.sdk, '/kill/after-ack.bin')).every((r) => r.length === 2);
      }, 'every chunk to be back at exactly 2 copies on disk and in the replica map');
      report('trimmed to 2 copies after the node came back in', seconds(back));
      for (const [i, replicas] of (await liveReplicas(k.sdk, '/kill/after-ack.bin')).entries()) {
        const onDisk = await goodCopies([a, b, c], (info.chunks[i] as { id: string }).id);
        expect(replicas).to.have.members(onDisk.map((n) => n.id));
      }
      const status = await k.sdk.status();
      expect(status.underReplicated).to.equal(0);
      expect(status.nodes).to.deep.equal({ alive: 3, dead: 0 });
      expect((await collect(k.sdk.download('/kill/after-ack.bin'))).equals(data)).to.equal(true);
    });
  });

  describe('a frozen node', () => {
    const data = randomData(12 * CHUNK + 1);

    before(async () => {
      cluster = await Cluster.start({ nodes: 3 });
      await cluster.sdk.upload(pieces(data), '/frozen/f.bin');
    });
    after(async () => {
      await cluster?.close();
      cluster = undefined;
    });

    it('serves a read from the next replica while the first one hangs, not after the idle timeout', async () => {
      const k = cluster as ProcCluster;
      const info = await k.sdk.stat('/frozen/f.bin');
      // The node a read of the first chunk asks first: frozen, it accepts connections and answers none.
      const frozen = k.nodes.find((n) => n.id === info.chunks[0]?.replicas[0]?.nodeId);
      if (!frozen) throw new Error('no node holds the first chunk');
      frozen.signal('SIGSTOP');
      try {
        const started = Date.now();
        expect((await collect(k.sdk.download('/frozen/f.bin'))).equals(data)).to.equal(true);
        // Without asking the next replica too, every chunk the frozen node was asked for first
        // waits out the whole idle timeout.
        expect(Date.now() - started).to.be.below(IDLE_TIMEOUT);
        report('read past a frozen node in', seconds(started));
      } finally {
        frozen.signal('SIGCONT');
      }
      await k.waitForNode(frozen, 'alive');
    });

    it('is dead while frozen past the timeout, alive when thawed, and its excess copies are trimmed', async () => {
      const k = cluster as ProcCluster;
      const info = await k.sdk.stat('/frozen/f.bin');
      const frozen = k.nodes.find((n) => info.chunks.some((c) => c.replicas.some((r) => r.nodeId === n.id)));
      if (!frozen) throw new Error('no node holds the file');
      frozen.signal('SIGSTOP');
      try {
        await k.waitForNode(frozen, 'dead');
        await waitFor(async () => {
          const s = await k.sdk.status();
          return s.underReplicated === 0 && s.repairsInProgress === 0;
        }, 'repair around the frozen node');
      } finally {
        frozen.signal('SIGCONT');
      }
      const thawed = Date.now();
      await k.waitForNode(frozen, 'alive');
      await waitFor(async () => {
        for (const chunk of info.chunks) if ((await goodCopies(k.nodes, chunk.id)).length !== 2) return false;
        return (await liveReplicas(k.sdk, '/frozen/f.bin')).every((r) => r.length === 2);
      }, 'every chunk back at exactly 2 copies');
      report('trimmed to 2 copies after the thaw in', seconds(thawed));
      expect((await collect(k.sdk.download('/frozen/f.bin'))).equals(data)).to.equal(true);
    });
  });

  describe('three nodes, replication 2', () => {
    const data = randomData(64 * CHUNK + 5);

    beforeEach(async () => {
      cluster = await Cluster.start({ nodes: 3 });
    });
    afterEach(async () => {
      await cluster?.close();
      cluster = undefined;
    });

    it('finishes an upload when a pipeline node is killed -9 a quarter of the way through', async () => {
      const k = cluster as ProcCluster;
      const victim = k.nodes[1] as Daemon;
      let killedAt = 0;
      async function* source(): AsyncGenerator<Buffer> {
        for (let i = 0; i < data.length; i += CHUNK / 2) {
          if (i === 16 * CHUNK) {
            // Only kill once the victim really took part in the pipeline.
            await waitFor(async () => (await victim.chunkIds()).length > 0, 'the victim to store chunks');
            await victim.kill();
            killedAt = Date.now();
          }
          // The commit comes after the master noticed: chunks acked by the victim are short then.
          if (i + CHUNK / 2 >= data.length) await k.waitForNode(victim, 'dead');
          yield data.subarray(i, i + CHUNK / 2);
        }
      }
      const manifest = await k.sdk.upload(source(), '/kill/mid-upload.bin');
      report('upload finished after the kill in', seconds(killedAt));
      expect(manifest.sha256).to.equal(sha256(data));
      expect(manifest.chunks).to.have.length(65);
      // Chunks the victim had acked were copied again before the commit was acknowledged...
      expect(k.master.logs.some((l) => /commit: \d+ copy\(ies\) made/.test(l))).to.equal(true);
      // ...so acknowledged means at full factor on live nodes, right away: nothing waits for repair.
      for (const replicas of await liveReplicas(k.sdk, '/kill/mid-upload.bin')) {
        expect(replicas).to.have.length(2);
        expect(replicas).to.not.include(victim.id);
      }
      const alive = k.nodes.filter((n) => n !== victim);
      for (const chunk of manifest.chunks) {
        expect((await goodCopies(alive, chunk.id)).length, `good copies of ${chunk.id}`).to.equal(2);
      }
      expect((await collect(k.sdk.download('/kill/mid-upload.bin'))).equals(data)).to.equal(true);
    });

    it('refuses an upload with a clear error when too few nodes live, committing nothing', async () => {
      const k = cluster as ProcCluster;
      const before = randomData(3 * CHUNK + 1);
      await k.sdk.upload(pieces(before), '/kept/before.bin');
      for (const node of k.nodes.slice(1)) {
        await node.kill();
        await k.waitForNode(node, 'dead');
      }
      const err = await k.sdk.upload(pieces(randomData(3 * CHUNK)), '/toofew/sdk.bin').catch((e) => e);
      expect(err).to.be.instanceOf(DfsError);
      expect((err as DfsError).code).to.equal('insufficient_nodes');
      expect((err as DfsError).message).to.match(
        /^need 2 live nodes with free space, 1 available \(1 of \d+ nodes alive; dead: http:\/\/127\.0\.0\.1:\d+/,
      );
      const file = `${k.dir}/local.bin`;
      await fs.writeFile(file, randomData(CHUNK + 1));
      const cli = await runCli(['upload', file, '/toofew/cli.bin', '--master', k.master.url]);
      expect(cli.code).to.equal(1);
      expect(cli.stderr).to.match(/^dfs: .*live node/m);
      for (const path of ['/toofew/sdk.bin', '/toofew/cli.bin']) {
        const missing = await k.sdk.stat(path).catch((e) => e);
        expect((missing as DfsError).code, path).to.equal('not_found');
      }
      // What was written before reads back from the copies left (some chunk may be missing if
      // both its copies were on the killed nodes; what is read must be whole or refused).
      const read = await collect(k.sdk.download('/kept/before.bin')).catch((e) => e);
      if (Buffer.isBuffer(read)) expect(read.equals(before)).to.equal(true);
      else expect((read as DfsError).code).to.equal('unavailable');
    });
  });
});
