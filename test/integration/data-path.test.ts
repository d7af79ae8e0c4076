// The data path end to end through real daemons: byte equality at the chunk boundaries,
// names, atomic replace, ranges, dedupe and master restart.

import { expect } from 'chai';
import { inventoryPaging } from '../../src/node/master-link.js';
import { DfsError, type ErrorBody } from '../../src/protocol/errors.js';
import {
  collect,
  pieces as once,
  randomData,
  sha256,
  startCluster,
  type TestCluster,
} from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';

const CHUNK = 64 * 1024;

describe('data path', function () {
  this.timeout(60_000);
  let cluster: TestCluster;

  before(async () => {
    cluster = await startCluster({ nodes: 3, chunkSize: '64KiB' });
  });
  after(async () => {
    await cluster?.close();
  });

  for (const size of [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 17]) {
    it(`round-trips ${size} bytes byte for byte`, async () => {
      const data = randomData(size);
      const manifest = await cluster.sdk.upload(once(data), `/sizes/file-${size}`);
      expect(manifest.size).to.equal(size);
      expect(manifest.sha256).to.equal(sha256(data));
      expect(manifest.chunks).to.have.length(Math.ceil(size / CHUNK));
      const back = await collect(cluster.sdk.download(`/sizes/file-${size}`));
      expect(back.equals(data)).to.equal(true);
    });
  }

  it('round-trips a multi-chunk file of tens of MiB with every chunk on 2 distinct nodes', async () => {
    const data = randomData(24 * 1024 * 1024 + 5);
    await cluster.sdk.upload(once(data), '/big/blob.bin');
    const info = await cluster.sdk.stat('/big/blob.bin');
    expect(info.chunks).to.have.length(Math.ceil(data.length / CHUNK));
    for (const c of info.chunks) {
      expect(new Set(c.replicas.map((r) => r.nodeId)).size).to.equal(2);
    }
    const back = await collect(cluster.sdk.download('/big/blob.bin'));
    expect(sha256(back)).to.equal(info.sha256);
  });

  it('keeps unicode and space-filled names as given', async () => {
    const names = [
      '/ünï cødé/日本語 ファイル.txt',
      '/with spaces/  lots   of  spaces .md',
      '/emoji/🚀 launch.bin',
    ];
    for (const [i, name] of names.entries()) {
      await cluster.sdk.upload(once(Buffer.from(`content ${i}`)), name);
      expect((await collect(cluster.sdk.download(name))).toString()).to.equal(`content ${i}`);
    }
    const listed = await cluster.sdk.list('/ünï cødé/', { delimiter: true });
    expect(listed.entries.map((e) => e.name)).to.deep.equal(['日本語 ファイル.txt']);
  });

  it('replaces a path atomically: readers see the old or the new file, never a mix', async () => {
    const a = randomData(5 * CHUNK);
    const b = randomData(7 * CHUNK);
    await cluster.sdk.upload(once(a), '/atomic/f');
    const hashes = new Set([sha256(a), sha256(b)]);
    const writer = cluster.sdk.upload(once(b), '/atomic/f');
    const seen: string[] = [];
    for (let i = 0; i < 5; i++) {
      const bytes = await collect(cluster.sdk.download('/atomic/f'));
      seen.push(sha256(bytes));
    }
    await writer;
    for (const h of seen) expect(hashes.has(h)).to.equal(true);
    expect((await collect(cluster.sdk.download('/atomic/f'))).equals(b)).to.equal(true);
  });

  it('serves byte ranges across chunk boundaries', async () => {
    const data = randomData(4 * CHUNK);
    const manifest = await cluster.sdk.upload(once(data), '/range/f');
    for (const [start, end] of [
      [0, 0],
      [CHUNK - 3, CHUNK + 3],
      [CHUNK, 3 * CHUNK - 1],
      [4 * CHUNK - 10, 4 * CHUNK - 1],
    ] as const) {
      const part = await collect(cluster.sdk.download('/range/f', { start, end }));
      expect(part.equals(data.subarray(start, end + 1))).to.equal(true);
    }
    // open(): the manifest and a stream of the same bytes (a gateway's way to read).
    const opened = await cluster.sdk.open('/range/f', { start: CHUNK - 3, end: CHUNK + 3 });
    expect(opened.info.sha256).to.equal(sha256(data));
    expect((await collect(opened.stream)).equals(data.subarray(CHUNK - 3, CHUNK + 4))).to.equal(true);
    // A node refuses a range outside a chunk with 416 and the chunk's length (RFC 9110 §15.5.17).
    const id = manifest.chunks[0]?.id;
    const answers = await Promise.all(
      cluster.nodes.map((node) =>
        fetch(`${node.url}/chunks/${id}`, { headers: { range: `bytes=${CHUNK}-` } }),
      ),
    );
    const outside = answers.filter((answer) => answer.status === 416);
    expect(outside).to.have.length(2);
    for (const answer of outside) {
      expect(answer.headers.get('content-range')).to.equal(`bytes */${CHUNK}`);
      expect(((await answer.json()) as ErrorBody).error.code).to.equal('range_not_satisfiable');
    }
  });

  it('does not send a chunk the cluster already holds', async () => {
    const data = randomData(3 * CHUNK);
    await cluster.sdk.upload(once(data), '/dedupe/one');
    const before = cluster.nodes.reduce((sum, n) => sum + n.state.bytesIn, 0);
    await cluster.sdk.upload(once(data), '/dedupe/two');
    const after = cluster.nodes.reduce((sum, n) => sum + n.state.bytesIn, 0);
    expect(after - before).to.equal(0);
    expect((await collect(cluster.sdk.download('/dedupe/two'))).equals(data)).to.equal(true);
  });

  it('lists folders, moves and deletes', async () => {
    await cluster.sdk.upload(once(Buffer.from('x')), '/ns/a/one.txt');
    await cluster.sdk.upload(once(Buffer.from('y')), '/ns/a/deeper/two.txt');
    await cluster.sdk.mkdir('/ns/empty');
    const top = await cluster.sdk.list('/ns/', { delimiter: true });
    expect(top.entries.map((e) => `${e.type}:${e.name}`)).to.deep.equal(['dir:a', 'dir:empty']);
    await cluster.sdk.move('/ns/a/one.txt', '/ns/renamed.txt');
    expect((await collect(cluster.sdk.download('/ns/renamed.txt'))).toString()).to.equal('x');
    await cluster.sdk.remove('/ns/renamed.txt');
    const err = await cluster.sdk.stat('/ns/renamed.txt').catch((e) => e);
    expect(err).to.be.instanceOf(DfsError);
    expect((err as DfsError).message).to.equal('not found: /ns/renamed.txt');
  });

  it('refuses an upload when fewer live nodes than the replication factor exist, committing nothing', async () => {
    const small = await startCluster({ nodes: 1, replication: 2 });
    try {
      const err = await small.sdk.upload(once(randomData(1000)), '/x').catch((e) => e);
      expect(err).to.be.instanceOf(DfsError);
      expect((err as DfsError).code).to.equal('insufficient_nodes');
      expect((await small.sdk.list('/')).entries).to.have.length(0);
    } finally {
      await small.close();
    }
  });

  it('keeps every acknowledged file listed and readable across a master restart', async () => {
    const data = randomData(2 * CHUNK + 5);
    await cluster.sdk.upload(once(data), '/restart/f');
    await cluster.restartMaster();
    expect((await cluster.sdk.list('/restart/')).entries.map((e) => e.path)).to.deep.equal(['/restart/f']);
    expect((await collect(cluster.sdk.download('/restart/f'))).equals(data)).to.equal(true);
    await cluster.waitForNodes(3);
  });

  it('hears an inventory too large for one request in pages: every copy is known after a master restart', async () => {
    const data = randomData(5 * CHUNK + 3);
    await cluster.sdk.upload(once(data), '/paged/f');
    const ids = (await cluster.sdk.stat('/paged/f')).chunks.map((c) => c.id);
    const was = inventoryPaging.ids;
    inventoryPaging.ids = 2; // every node holds more chunks than that by now
    try {
      await cluster.restartMaster();
      await cluster.waitForNodes(3);
      // Each chunk's two copies, known from the nodes' inventories alone (read in pages of two),
      // before anything asks the nodes about them.
      await waitFor(
        () => ids.every((id) => cluster.master.replicas.holders(id).length === 2),
        'every copy known again',
      );
      expect((await collect(cluster.sdk.download('/paged/f'))).equals(data)).to.equal(true);
    } finally {
      inventoryPaging.ids = was;
    }
  });
});
