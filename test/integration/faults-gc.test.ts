// Fault tests with real processes: orphan collection. Chunks of deleted and replaced files and of
// abandoned uploads leave the nodes' disks after the grace period; chunks of an upload still in
// progress are never collected.

import { expect } from 'chai';
import { DfsError } from '../../src/protocol/errors.js';
import { collect, pieces, randomData, sha256 } from '../helpers/cluster.js';
import {
  ProcCluster as Cluster,
  chunkIdsOf,
  copyCounts,
  type ProcCluster,
  report,
  seconds,
} from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';

const CHUNK = 64 * 1024;

describe('faults: orphan collection', function () {
  this.timeout(60_000);
  let cluster: ProcCluster;

  const copies = (ids: string[]) => copyCounts(cluster.nodes, ids);

  before(async () => {
    // An upload idle for 10 s is abandoned (its write tokens expired); garbage waits 1.5 s.
    cluster = await Cluster.start({ nodes: 3, gcGrace: 1.5, tokenTtl: 10 });
  });
  after(async () => {
    await cluster?.close();
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed') process.stderr.write(`${cluster.logs()}\n`);
  });

  it("removes deleted and replaced files' chunks from the nodes' disks after the grace period", async () => {
    const keep = randomData(4 * CHUNK);
    const doomed = randomData(4 * CHUNK);
    const v1 = randomData(4 * CHUNK);
    const v2 = randomData(4 * CHUNK);
    await cluster.sdk.upload(pieces(keep), '/gc/keep.bin');
    await cluster.sdk.upload(pieces(doomed), '/gc/doomed.bin');
    await cluster.sdk.upload(pieces(v1), '/gc/replaced.bin');
    await cluster.sdk.upload(pieces(v2), '/gc/replaced.bin');
    const garbage = [...chunkIdsOf(doomed), ...chunkIdsOf(v1)];
    expect(await copies(garbage)).to.deep.equal(garbage.map(() => 2));
    await cluster.sdk.remove('/gc/doomed.bin');
    const deleted = Date.now();
    await waitFor(
      async () => (await copies(garbage)).every((n) => n === 0),
      'the garbage to leave the disks',
    );
    report('garbage left the disks after the delete in', seconds(deleted));
    const live = [...chunkIdsOf(keep), ...chunkIdsOf(v2)];
    expect(await copies(live)).to.deep.equal(live.map(() => 2));
    expect((await collect(cluster.sdk.download('/gc/keep.bin'))).equals(keep)).to.equal(true);
    expect((await collect(cluster.sdk.download('/gc/replaced.bin'))).equals(v2)).to.equal(true);
    expect(((await cluster.sdk.stat('/gc/doomed.bin').catch((e) => e)) as DfsError).code).to.equal(
      'not_found',
    );
  });

  it('never collects the chunks of an upload still in progress', async () => {
    const slow = randomData(6 * CHUNK + 9);
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
    const uploading = cluster.sdk.upload(source(), '/gc/slow.bin');
    uploading.catch(() => {});
    await waitFor(async () => (await copies(early)).every((n) => n === 2), 'the first chunks to be stored');
    const paused = Date.now();
    // A collection pass runs past their grace period while the upload is paused.
    const other = randomData(2 * CHUNK);
    await cluster.sdk.upload(pieces(other), '/gc/other.bin');
    await cluster.sdk.remove('/gc/other.bin');
    await waitFor(async () => (await copies(chunkIdsOf(other))).every((n) => n === 0), 'a collection pass');
    report('upload paused, with a collection pass, for', seconds(paused));
    expect(await copies(early)).to.deep.equal([2, 2, 2]);
    release();
    const manifest = await uploading;
    expect(manifest.sha256).to.equal(sha256(slow));
    expect(await copies(chunkIdsOf(slow))).to.deep.equal([2, 2, 2, 2, 2, 2, 2]);
    expect((await collect(cluster.sdk.download('/gc/slow.bin'))).equals(slow)).to.equal(true);
  });

  it('collects the chunks of abandoned uploads after their expiry, and refuses their late commit', async () => {
    // One client gives up (abort); another stalls past the expiry and then tries to finish.
    const dropped = randomData(4 * CHUNK);
    // Over the 1 MiB the SDK keeps of a stream to send it again by itself.
    const stalled = randomData(17 * CHUNK);
    const early = [
      ...chunkIdsOf(dropped.subarray(0, 2 * CHUNK)),
      ...chunkIdsOf(stalled.subarray(0, 2 * CHUNK)),
    ];
    const controller = new AbortController();
    async function* aborting(): AsyncGenerator<Buffer> {
      yield dropped.subarray(0, 2 * CHUNK);
      await waitFor(async () => (await copies(early.slice(0, 2))).every((n) => n === 2), 'the first chunks');
      controller.abort();
      yield dropped.subarray(2 * CHUNK);
    }
    let wake = () => {};
    const alarm = new Promise<void>((resolve) => {
      wake = resolve;
    });
    async function* stalling(): AsyncGenerator<Buffer> {
      yield stalled.subarray(0, 2 * CHUNK);
      await alarm;
      yield stalled.subarray(2 * CHUNK);
    }
    const late = cluster.sdk.upload(stalling(), '/gc/stalled.bin').catch((e) => e);
    const err = await cluster.sdk
      .upload(aborting(), '/gc/abandoned.bin', { signal: controller.signal })
      .catch((e) => e);
    expect((err as Error).name).to.equal('AbortError');
    await waitFor(async () => (await copies(early)).every((n) => n === 2), 'the early chunks to be stored');
    const abandoned = Date.now();
    await waitFor(
      async () => (await copies(early)).every((n) => n === 0),
      "the abandoned uploads' chunks to leave the disks",
      30_000,
    );
    report("abandoned uploads' chunks left the disks after", seconds(abandoned));
    expect(await copies(chunkIdsOf(dropped.subarray(2 * CHUNK)))).to.deep.equal([0, 0]);
    wake();
    const refused = await late;
    expect(refused).to.be.instanceOf(DfsError);
    // The cluster ended the upload: 503, to be sent again.
    expect((refused as DfsError).code).to.equal('unavailable');
    expect((refused as DfsError).message).to.match(/expired; upload the file again/);
    for (const path of ['/gc/abandoned.bin', '/gc/stalled.bin']) {
      expect(((await cluster.sdk.stat(path).catch((e) => e)) as DfsError).code, path).to.equal('not_found');
    }
    expect((await collect(cluster.sdk.download('/gc/slow.bin'))).length).to.equal(6 * CHUNK + 9);
  });
});
