// Fault tests with real processes for small chunks in pack files: a node killed -9 in the middle
// of a burst of small uploads (every acknowledged file reads back; a torn pack tail is cut off),
// a rotten packed copy found by a reader and replaced, and a pack file removed behind a node's
// back noticed and repaired.

import fs from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { collect, pieces, randomData, sha256 } from '../helpers/cluster.js';
import {
  ProcCluster as Cluster,
  corrupt,
  type Daemon,
  goodCopies,
  liveReplicas,
  type ProcCluster,
  report,
  seconds,
} from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';

describe('faults: small chunks in pack files', function () {
  this.timeout(90_000);
  let cluster: ProcCluster | undefined;

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && cluster) process.stderr.write(`${cluster.logs()}\n`);
    await cluster?.close();
    cluster = undefined;
  });

  it('reads back every acknowledged small file after a node is killed -9 mid-burst', async () => {
    cluster = await Cluster.start({ nodes: 3, packLimit: '64KiB' });
    const k = cluster;
    const acked = new Map<string, Buffer>();
    let stop = false;
    const writer = async (w: number) => {
      for (let n = 0; !stop; n++) {
        const data = randomData(4096 + n);
        const path = `/burst/w${w}/f${n}`;
        await k.sdk.upload(pieces(data), path).then(
          () => acked.set(path, data),
          () => {},
        );
      }
    };
    const writers = Array.from({ length: 8 }, (_, w) => writer(w));
    await waitFor(() => acked.size >= 60, 'sixty acknowledged files');
    const victim = k.nodes[1] as Daemon;
    await victim.kill();
    await waitFor(() => acked.size >= 120, 'more uploads after the kill');
    stop = true;
    await Promise.all(writers);
    await victim.start();
    await k.waitForNode(victim, 'alive');
    for (const [path, data] of acked) {
      expect((await collect(k.sdk.download(path))).equals(data), path).to.equal(true);
    }
    // The restarted node's packs hold only whole chunks: every copy it lists is good.
    for (const id of await victim.chunkIds()) expect((await goodCopies([victim], id)).length, id).to.equal(1);
    report('acknowledged small files, all read back', String(acked.size));
  });

  it('replaces a rotten packed copy a reader finds', async () => {
    cluster = await Cluster.start({ nodes: 3, packLimit: '64KiB' });
    const data = randomData(6000);
    await cluster.sdk.upload(pieces(data), '/rot/small');
    const id = sha256(data);
    const [first] = (await liveReplicas(cluster.sdk, '/rot/small'))[0] ?? [];
    const node = cluster.nodes.find((n) => n.id === first) as Daemon;
    await corrupt(node, id);
    const found = Date.now();
    expect((await collect(cluster.sdk.download('/rot/small'))).equals(data)).to.equal(true);
    const k = cluster;
    await waitFor(async () => {
      const good = await goodCopies(k.nodes, id);
      const listed = (await liveReplicas(k.sdk, '/rot/small'))[0] ?? [];
      return good.length === 2 && listed.length === 2 && good.every((n) => listed.includes(n.id));
    }, 'the rotten copy to be quarantined and replaced');
    report('rotten packed copy replaced in', seconds(found));
    expect((await node.filesIn('quarantine')).some((f) => f.startsWith(id))).to.equal(true);
  });

  it('notices a pack file removed behind its back, and repairs its chunks', async () => {
    // A short grace: nodes re-read their disks every second for the asked inventory.
    cluster = await Cluster.start({ nodes: 3, packLimit: '64KiB', gcGrace: 2 });
    const files = new Map<string, Buffer>();
    for (let i = 0; i < 6; i++) {
      const data = randomData(3000 + i);
      await cluster.sdk.upload(pieces(data), `/lost/f${i}`);
      files.set(`/lost/f${i}`, data);
    }
    const victim = cluster.nodes.find((n) => n.running) as Daemon;
    const packs = path.join(victim.data, 'packs');
    for (const name of await fs.readdir(packs)) await fs.rm(path.join(packs, name));
    const removed = Date.now();
    const k = cluster;
    await waitFor(async () => {
      for (const data of files.values()) {
        const good = await goodCopies(k.nodes, sha256(data));
        if (good.length !== 2) return false;
      }
      for (const p of files.keys()) if (((await liveReplicas(k.sdk, p))[0] ?? []).length !== 2) return false;
      return true;
    }, 'every chunk to be back at 2 good copies on disk');
    report('a removed pack noticed and its chunks repaired in', seconds(removed));
    for (const [p, data] of files) expect((await collect(k.sdk.download(p))).equals(data), p).to.equal(true);
  });
});
