// Fault tests with real processes: rotten replicas on disk. One bad copy is caught by the reader
// (good bytes served, bad copy quarantined and replaced) or by the scrubber on its own; when every
// copy is bad the read fails loudly, never with wrong bytes, and `dfs fsck` exits 1.

import { expect } from 'chai';
import { DfsError } from '../../src/protocol/errors.js';
import type { FsckReport } from '../../src/protocol/types.js';
import { collect, pieces, randomData } from '../helpers/cluster.js';
import {
  ProcCluster as Cluster,
  corrupt,
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

describe('faults: rotten replicas', function () {
  this.timeout(60_000);
  let cluster: ProcCluster;
  // The only node that scrubs on its own (every half second); the others only verify on demand.
  let scrubbing: Daemon;

  const byId = (id: string) => cluster.nodes.find((n) => n.id === id) as Daemon;

  /** Waits until chunk `id` has exactly 2 good copies on disk, the same 2 the master lists. */
  async function waitRepaired(path: string, id: string): Promise<void> {
    const info = await cluster.sdk.stat(path);
    const index = info.chunks.findIndex((c) => c.id === id);
    await waitFor(
      async () => {
        const good = await goodCopies(cluster.nodes, id);
        const listed = (await liveReplicas(cluster.sdk, path))[index] ?? [];
        const status = await cluster.sdk.status();
        return (
          good.length === 2 &&
          listed.length === 2 &&
          good.every((n) => listed.includes(n.id)) &&
          status.corrupt === 0 &&
          status.underReplicated === 0 &&
          status.repairsInProgress === 0
        );
      },
      `chunk ${id.slice(0, 12)} to be back at 2 good copies`,
    );
  }

  before(async () => {
    cluster = await Cluster.start({ nodes: 3 });
    scrubbing = await cluster.addNode({ scrubInterval: 0.5 });
  });
  after(async () => {
    await cluster?.close();
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed') process.stderr.write(`${cluster.logs()}\n`);
  });

  it('serves good bytes past a rotten replica, quarantines it and restores 2 good copies', async () => {
    const data = randomData(8 * CHUNK);
    await cluster.sdk.upload(pieces(data), '/rot/one.bin');
    const info = await cluster.sdk.stat('/rot/one.bin');
    // A chunk the reader will fetch from a non-scrubbing node first: the read must catch it.
    const chunk = info.chunks.find((c) => c.replicas[0]?.nodeId !== scrubbing.id);
    if (!chunk) throw new Error('every chunk is read from the scrubbing node first');
    const bad = byId(chunk.replicas[0]?.nodeId as string);
    await corrupt(bad, chunk.id);
    const read = Date.now();
    expect((await collect(cluster.sdk.download('/rot/one.bin'))).equals(data)).to.equal(true);
    await waitFor(
      async () => (await bad.filesIn('quarantine')).some((f) => f.startsWith(chunk.id)),
      'the bad copy to be quarantined',
    );
    report('bad copy quarantined after the read in', seconds(read));
    await waitRepaired('/rot/one.bin', chunk.id);
    report('back at 2 good copies after the read in', seconds(read));
    const events = (await cluster.sdk.status()).events.map((e) => e.kind);
    expect(events).to.include.members(['chunk-corrupt', 'chunk-repaired']);
    expect((await collect(cluster.sdk.download('/rot/one.bin'))).equals(data)).to.equal(true);
  });

  it('lets the scrubber find rot on its own, with no read, and repair it', async () => {
    let chunkId: string | undefined;
    let data: Buffer = Buffer.alloc(0);
    for (let i = 0; !chunkId; i++) {
      data = randomData(8 * CHUNK);
      await cluster.sdk.upload(pieces(data), '/rot/scrub.bin');
      const info = await cluster.sdk.stat('/rot/scrub.bin');
      chunkId = info.chunks.find((c) => c.replicas.some((r) => r.nodeId === scrubbing.id))?.id;
      if (i > 5) throw new Error('no chunk landed on the scrubbing node');
    }
    await corrupt(scrubbing, chunkId);
    const rotted = Date.now();
    await waitFor(
      async () => (await scrubbing.filesIn('quarantine')).some((f) => f.startsWith(chunkId)),
      'the scrubber to quarantine the bad copy',
    );
    report('scrubber caught the rot in', seconds(rotted));
    await waitRepaired('/rot/scrub.bin', chunkId);
    report('back at 2 good copies after the rot in', seconds(rotted));
    // The node reports its scrub counts with its heartbeats: the next one shows this pass.
    await waitFor(
      async () => ((await cluster.nodeInfo()).find((n) => n.id === scrubbing.id)?.scrub?.checked ?? 0) > 0,
      'the scrubbing node to report the chunks it checked',
    );
    expect((await collect(cluster.sdk.download('/rot/scrub.bin'))).equals(data)).to.equal(true);
  });

  it('fails loudly, never with wrong bytes, when every replica of a chunk rotted; fsck and status exit 1', async () => {
    const data = randomData(4 * CHUNK);
    await cluster.sdk.upload(pieces(data), '/rot/all.bin');
    const info = await cluster.sdk.stat('/rot/all.bin');
    const chunk = info.chunks[1] as (typeof info.chunks)[number];
    for (const r of chunk.replicas) await corrupt(byId(r.nodeId), chunk.id);

    for (let attempt = 0; attempt < 2; attempt++) {
      const received: Buffer[] = [];
      const err = await (async () => {
        for await (const piece of cluster.sdk.download('/rot/all.bin')) received.push(Buffer.from(piece));
      })().catch((e) => e);
      expect(err, 'the download must fail').to.be.instanceOf(DfsError);
      expect((err as DfsError).code).to.equal('unavailable');
      expect((err as DfsError).message).to.match(/no good replica of chunk/);
      const got = Buffer.concat(received);
      expect(got.length).to.be.lessThan(data.length);
      expect(got.equals(data.subarray(0, got.length)), 'bytes before the failure are right').to.equal(true);
    }

    await waitFor(async () => (await cluster.sdk.status()).missing === 1, 'the chunk to count as missing');
    expect(await goodCopies(cluster.nodes, chunk.id)).to.have.length(0);
    // The cluster's health says so too: lost, not merely degraded, and exit 1.
    const status = await runCli(['status', '--master', cluster.master.url]);
    expect(status.code).to.equal(1);
    expect(status.stdout).to.match(/Health\W+LOST/);
    expect(status.stderr).to.match(/^dfs: 1 chunk\(s\) have no live replica/m);
    const page = await (await fetch(`${cluster.master.url}/`)).text();
    expect(page).to.match(/<span class="badge bad" id="health">lost<\/span>/);
    const table = await runCli(['fsck', '--master', cluster.master.url]);
    expect(table.code).to.equal(1);
    expect(table.stdout).to.match(/LOST/);
    expect(table.stdout).to.match(/\/rot\/all\.bin/);
    expect(table.stdout).to.match(/MISSING 1 of 4 chunks/);
    expect(table.stdout).to.match(/0 live, corrupt copies quarantined/);
    expect(table.stderr).to.match(/^dfs: 1 file\(s\) under \/ have chunks with no live replica/m);
    const json = await runCli(['fsck', '/rot/', '--json', '--master', cluster.master.url]);
    expect(json.code).to.equal(1);
    const parsed = JSON.parse(json.stdout) as FsckReport;
    expect(parsed).to.include({
      status: 'lost',
      files: 3,
      missingFiles: 1,
      missingChunks: 1,
      healthyFiles: 2,
    });
    expect(parsed.problems.map((p) => [p.path, p.missing])).to.deep.equal([['/rot/all.bin', 1]]);
    expect(parsed.problems[0]?.chunks[0]).to.include({ index: 1, id: chunk.id, live: 0, corrupt: true });
    const healthy = await runCli(['fsck', '/rot/one.bin', '--master', cluster.master.url]);
    expect(healthy.code, healthy.stderr).to.equal(0);
    expect(healthy.stdout).to.match(/HEALTHY/);
  });
});
