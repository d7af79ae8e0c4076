// Fault test with real processes: the master killed -9 in the middle of uploads. After its
// restart every acknowledged file is listed and readable, the nodes re-register on their own and
// no listed file misses a chunk.

import { expect } from 'chai';
import type { FsckReport } from '../../src/protocol/types.js';
import { collect, pieces, randomData, sha256 } from '../helpers/cluster.js';
import { ProcCluster as Cluster, type ProcCluster, report, runCli, seconds } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';

const CHUNK = 64 * 1024;
const WRITERS = 4;

describe('faults: master killed -9 during uploads', function () {
  this.timeout(60_000);
  let cluster: ProcCluster;

  before(async () => {
    cluster = await Cluster.start({ nodes: 3 });
  });
  after(async () => {
    await cluster?.close();
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed') process.stderr.write(`${cluster.logs()}\n`);
  });

  it('lists and reads back every acknowledged file after a restart; nodes re-register on their own', async () => {
    const acked = new Map<string, Buffer>();
    let stop = false;
    const failures: unknown[] = [];
    const writer = async (w: number) => {
      for (let n = 0; !stop; n++) {
        const data = randomData(CHUNK * (1 + ((w + n) % 4)) + n);
        const path = `/m/w${w}/f${n}.bin`;
        try {
          await cluster.sdk.upload(pieces(data), path);
          acked.set(path, data);
        } catch (err) {
          failures.push(err);
          return;
        }
      }
    };
    const writers = Array.from({ length: WRITERS }, (_, w) => writer(w));
    await waitFor(() => acked.size >= 12, 'a dozen acknowledged uploads');
    await cluster.master.kill();
    stop = true;
    await Promise.all(writers);
    expect(failures.length, 'uploads in flight when the master died fail').to.be.greaterThan(0);

    const restarted = Date.now();
    await cluster.master.start();
    await waitFor(async () => {
      const nodes = await cluster.nodeInfo();
      return nodes.length === 3 && nodes.every((n) => n.state === 'alive' && n.free > 0 && n.chunks > 0);
    }, 'every node to re-register');
    report(
      `${acked.size} acknowledged files; all nodes re-registered after the restart in`,
      seconds(restarted),
    );

    const listed = new Set<string>();
    for await (const entry of cluster.sdk.listAll('/m/')) listed.add(entry.path);
    for (const path of acked.keys()) expect(listed.has(path), `${path} is listed`).to.equal(true);
    for (const [path, data] of acked) {
      expect((await collect(cluster.sdk.download(path))).equals(data), path).to.equal(true);
    }
    // A commit may have become durable without its answer reaching the writer: whole all the same.
    for (const path of listed) {
      const info = await cluster.sdk.stat(path);
      expect(sha256(await collect(cluster.sdk.download(path, { info }))), path).to.equal(info.sha256);
    }
    const fsck = await runCli(['fsck', '/m/', '--json', '--master', cluster.master.url]);
    expect(fsck.code, fsck.stderr).to.equal(0);
    const parsed = JSON.parse(fsck.stdout) as FsckReport;
    expect(parsed).to.include({ status: 'healthy', files: listed.size, missingChunks: 0 });

    // Past the grace a restarted master gives nodes it knew, they are still alive: they registered.
    await waitFor(() => Date.now() - restarted > 2000, 'one heartbeat timeout');
    expect((await cluster.nodeInfo()).map((n) => n.state)).to.deep.equal(['alive', 'alive', 'alive']);
    const after = randomData(3 * CHUNK + 1);
    await cluster.sdk.upload(pieces(after), '/m/after-restart.bin');
    expect((await collect(cluster.sdk.download('/m/after-restart.bin'))).equals(after)).to.equal(true);
  });
});
