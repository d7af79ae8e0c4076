// Fault tests with real processes: acknowledged data that must not be lost. An upload that runs
// across a master kill -9 and restart keeps its chunks (its lease is persisted), and chunk files
// that vanish from a node's disk are noticed, dropped, repaired, reported truthfully by fsck,
// and never de-duplicated against.

import fs from 'node:fs/promises';
import { expect } from 'chai';
import type { FsckReport } from '../../src/protocol/types.js';
import { collect, pieces, randomData, sha256 } from '../helpers/cluster.js';
import {
  ProcCluster as Cluster,
  chunkIdsOf,
  copyCounts,
  goodCopies,
  liveReplicas,
  type ProcCluster,
  report,
  runCli,
  seconds,
} from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';

const CHUNK = 64 * 1024;

describe('faults: an upload across a master restart', function () {
  this.timeout(90_000);
  let cluster: ProcCluster;

  before(async () => {
    cluster = await Cluster.start({ nodes: 3, gcGrace: 1.5 });
  });
  after(async () => {
    await cluster?.close();
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed') process.stderr.write(`${cluster.logs()}\n`);
  });

  it('keeps the chunks of an upload in progress when the master restarts, and reads it back', async () => {
    const slow = randomData(5 * CHUNK + 17);
    const early = chunkIdsOf(slow.subarray(0, 3 * CHUNK));
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    async function* source(): AsyncGenerator<Buffer> {
      yield slow.subarray(0, 3 * CHUNK);
      await gate;
      yield slow.subarray(3 * CHUNK);
    }
    const uploading = cluster.sdk.upload(source(), '/restart/slow.bin');
    uploading.catch(() => {});
    const count = (ids: string[]) => copyCounts(cluster.nodes, ids);
    await waitFor(async () => (await count(early)).every((n) => n === 2), 'the first chunks to be stored');
    await cluster.master.restart();
    const restarted = Date.now();
    await waitFor(async () => (await cluster.nodeInfo()).every((n) => n.state === 'alive'), 'the nodes');
    // A collection pass past the grace period of everything the restarted master found.
    const other = randomData(2 * CHUNK);
    await cluster.sdk.upload(pieces(other), '/restart/other.bin');
    await cluster.sdk.remove('/restart/other.bin');
    await waitFor(async () => (await count(chunkIdsOf(other))).every((n) => n === 0), 'a collection pass');
    report('a collection pass ran after the restart in', seconds(restarted));
    expect(await count(early), 'the paused upload keeps its chunks').to.deep.equal([2, 2, 2]);
    release();
    const manifest = await uploading;
    expect(manifest.sha256).to.equal(sha256(slow));
    expect((await collect(cluster.sdk.download('/restart/slow.bin'))).equals(slow)).to.equal(true);
  });
});

describe('faults: chunk files that vanish from a disk', function () {
  this.timeout(90_000);
  let cluster: ProcCluster;

  before(async () => {
    // No scrubbing and rare inventories: only reads and re-uploads can notice what vanished.
    cluster = await Cluster.start({ nodes: 3 });
  });
  after(async () => {
    await cluster?.close();
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed') process.stderr.write(`${cluster.logs()}\n`);
  });

  const holders = async (path: string) => {
    const [replicas] = await liveReplicas(cluster.sdk, path);
    return cluster.nodes.filter((n) => replicas?.includes(n.id));
  };

  it('never de-duplicates a re-upload against copies that are gone', async () => {
    const data = randomData(CHUNK - 5);
    await cluster.sdk.upload(pieces(data), '/vanish/a.bin');
    const [id] = chunkIdsOf(data) as [string];
    for (const node of await holders('/vanish/a.bin')) await fs.rm(node.chunkPath(id));
    expect(await goodCopies(cluster.nodes, id)).to.have.length(0);
    await cluster.sdk.upload(pieces(data), '/vanish/b.bin');
    expect((await goodCopies(cluster.nodes, id)).length).to.equal(2);
    expect((await collect(cluster.sdk.download('/vanish/b.bin'))).equals(data)).to.equal(true);
    // The first file shares the chunk: it is whole again too.
    expect((await collect(cluster.sdk.download('/vanish/a.bin'))).equals(data)).to.equal(true);
  });

  it('notices a vanished replica on read, drops it and repairs it; fsck tells the truth', async () => {
    const data = randomData(CHUNK);
    await cluster.sdk.upload(pieces(data), '/vanish/c.bin');
    const [id] = chunkIdsOf(data) as [string];
    // The copy a reader tries first.
    const first = (await cluster.sdk.stat('/vanish/c.bin')).chunks[0]?.replicas[0]?.nodeId;
    const victim = cluster.nodes.find((n) => n.id === first);
    if (!victim) throw new Error('no holder');
    await fs.rm(victim.chunkPath(id));
    const removed = Date.now();
    // Reads keep working from the other copy, and the missing one is reported and replaced.
    for (let i = 0; i < 4; i++)
      expect((await collect(cluster.sdk.download('/vanish/c.bin'))).equals(data)).to.equal(true);
    await waitFor(async () => {
      const listed = (await liveReplicas(cluster.sdk, '/vanish/c.bin'))[0] ?? [];
      const good = await goodCopies(cluster.nodes, id);
      return good.length === 2 && listed.length === 2 && good.every((n) => listed.includes(n.id));
    }, 'the vanished copy to be replaced');
    report('vanished copy noticed and replaced in', seconds(removed));
    const fsck = await runCli(['fsck', '/vanish/c.bin', '--json', '--master', cluster.master.url]);
    expect(fsck.code, fsck.stderr).to.equal(0);
    expect((JSON.parse(fsck.stdout) as FsckReport).status).to.equal('healthy');
  });

  it('fsck says LOST (exit 1) once every copy of a chunk has vanished', async () => {
    const data = randomData(CHUNK);
    await cluster.sdk.upload(pieces(data), '/vanish/d.bin');
    const [id] = chunkIdsOf(data) as [string];
    for (const node of await holders('/vanish/d.bin')) await fs.rm(node.chunkPath(id));
    const err = await collect(cluster.sdk.download('/vanish/d.bin')).catch((e) => e);
    expect(err).to.be.instanceOf(Error);
    await waitFor(async () => {
      const fsck = await runCli(['fsck', '/vanish/d.bin', '--json', '--master', cluster.master.url]);
      return fsck.code === 1 && (JSON.parse(fsck.stdout) as FsckReport).status === 'lost';
    }, 'fsck to report the file lost');
    await waitFor(async () => (await cluster.sdk.status()).missing > 0, 'the status to count it missing');
  });

  it('a node notices a vanished copy on its own (inventory or scrub), and it is repaired', async () => {
    const scrubbing = await cluster.addNode({ scrubInterval: 0.5 });
    // Files until one has a copy on the scrubbing node.
    let found: { path: string; id: string } | undefined;
    for (let i = 0; !found && i < 40; i++) {
      const data = randomData(CHUNK - i);
      const path = `/vanish/s${i}.bin`;
      await cluster.sdk.upload(pieces(data), path);
      if ((await holders(path)).includes(scrubbing)) found = { path, id: chunkIdsOf(data)[0] as string };
    }
    if (!found) throw new Error('no file landed on the scrubbing node');
    const { path, id } = found;
    await fs.rm(scrubbing.chunkPath(id));
    const removed = Date.now();
    await waitFor(async () => {
      const listed = (await liveReplicas(cluster.sdk, path))[0] ?? [];
      const good = await goodCopies(cluster.nodes, id);
      return good.length === 2 && listed.length === 2 && good.every((n) => listed.includes(n.id));
    }, 'the node to notice and the copy to be replaced');
    report('the vanished copy was noticed and replaced in', seconds(removed));
  });
});
