// GET /api/download/{path} on the web client: bytes stream as they are read and verified, the
// headers leaving with the first of them. A first chunk that cannot be read gets an error answer
// (503, in words); a later one cuts the answer short, so the client cannot take it as whole.

import { Writable } from 'node:stream';
import { expect } from 'chai';
import { pieces, randomData, request, startCluster, type TestCluster } from '../helpers/cluster.js';
import { corruptOnDisk } from '../helpers/on-disk.js';
import { waitFor } from '../helpers/wait.js';

describe('downloads from the web client', function () {
  this.timeout(30_000);
  const CHUNK = 64 * 1024;
  let cluster: TestCluster;
  let web: string;
  const small = randomData(5000);
  const large = randomData(3 * CHUNK + 123);
  // Bytes of their own: a chunk shared with another file (the same bytes) would be spoilt for both.
  const first = randomData(3 * CHUNK);
  const later = randomData(2 * CHUNK + 1);

  before(async () => {
    cluster = await startCluster({ nodes: 2, webClient: true, chunkSize: '64KiB' });
    web = `${cluster.client?.url}/api/download`;
    await cluster.sdk.upload(pieces(small), '/dl/small.bin');
    await cluster.sdk.upload(pieces(large), '/dl/large.bin');
    await cluster.sdk.upload(pieces(first), '/dl/first.bin');
    await cluster.sdk.upload(pieces(later), '/dl/later.bin');
  });

  after(async () => {
    await cluster?.close();
  });

  it('sends a small file whole, with its length', async () => {
    const answer = await request(`${web}/dl/small.bin`);
    expect(answer.status).to.equal(200);
    expect(answer.headers['content-length']).to.equal('5000');
    expect(answer.body.equals(small)).to.equal(true);
  });

  it('serves a small file read whole: a range of it, and the good copy when one copy is bad', async () => {
    const answer = await request(`${web}/dl/small.bin`, 'GET', { range: 'bytes=100-199' });
    expect(answer.status).to.equal(206);
    expect(answer.headers['content-range']).to.equal('bytes 100-199/5000');
    expect(answer.headers['content-length']).to.equal('100');
    expect(answer.body.equals(small.subarray(100, 200))).to.equal(true);
    const one = randomData(3000);
    await cluster.sdk.upload(pieces(one), '/dl/one-bad.bin');
    const [chunk] = (await cluster.sdk.stat('/dl/one-bad.bin')).chunks;
    for (const replica of chunk?.replicas ?? []) {
      const node = cluster.nodes.find((n) => n.url === replica.url);
      await corruptOnDisk(node?.store.root as string, chunk?.id as string);
      break; // one copy only
    }
    const good = await request(`${web}/dl/one-bad.bin`);
    expect(good.status).to.equal(200);
    expect(good.body.equals(one)).to.equal(true);
  });

  it('sends a range within one chunk, and one across chunks', async () => {
    for (const [start, end] of [
      [CHUNK + 10, CHUNK + 999],
      [CHUNK - 100, 2 * CHUNK + 99],
      [3 * CHUNK, 3 * CHUNK + 122],
    ] as const) {
      const answer = await request(`${web}/dl/large.bin`, 'GET', { range: `bytes=${start}-${end}` });
      expect(answer.status).to.equal(206);
      expect(answer.headers['content-range']).to.equal(`bytes ${start}-${end}/${large.length}`);
      expect(answer.body.equals(large.subarray(start, end + 1))).to.equal(true);
    }
    const whole = await request(`${web}/dl/large.bin`);
    expect(whole.status).to.equal(200);
    expect(whole.body.equals(large)).to.equal(true);
  });

  /** Overwrites a few bytes of chunk `index` of `path` on every node. */
  async function spoil(path: string, index: number): Promise<void> {
    const chunk = (await cluster.sdk.stat(path)).chunks[index];
    for (const node of cluster.nodes) await corruptOnDisk(node.store.root, chunk?.id as string);
  }

  it('answers conditional requests on the version: 304, 412, and a Range only while If-Range names it', async () => {
    const url = `${web}/dl/versions.bin`;
    const v1 = randomData(1000);
    await cluster.sdk.upload(pieces(v1), '/dl/versions.bin');
    const first = await request(url);
    const etag = first.headers.etag as string;
    const modified = first.headers['last-modified'] as string;
    expect(etag).to.match(/^"g\d+"$/);
    expect(Date.parse(modified)).to.be.a('number').and.not.NaN;
    const status = async (headers: Record<string, string>, method = 'GET') => {
      const answer = await request(url, method, headers);
      return [answer.status, answer.body.length, answer.headers.etag];
    };
    // The version the client holds: 304 with its ETag and no body (GET and HEAD alike).
    expect(await status({ 'if-none-match': etag })).to.deep.equal([304, 0, etag]);
    expect(await status({ 'if-none-match': `"g0", ${etag}` }, 'HEAD')).to.deep.equal([304, 0, etag]);
    expect(await status({ 'if-modified-since': modified })).to.deep.equal([304, 0, etag]);
    expect(await status({ 'if-none-match': '"g0"' })).to.deep.equal([200, 1000, etag]);
    // Another version named: 412 in words, with no validators of a version it did not send.
    const refused = await request(url, 'GET', { 'if-match': '"g0"' });
    expect(refused.status).to.equal(412);
    expect([refused.headers.etag, refused.headers['last-modified']]).to.deep.equal([undefined, undefined]);
    expect(await status({ 'if-match': etag })).to.deep.equal([200, 1000, etag]);
    // If-Range: the part while the version is the one named, else the whole file.
    expect(await status({ range: 'bytes=0-9', 'if-range': etag })).to.deep.equal([206, 10, etag]);
    expect(await status({ range: 'bytes=0-9', 'if-range': '"g0"' })).to.deep.equal([200, 1000, etag]);
    // A date names no version for sure (two commits can share a second): the whole file.
    expect(await status({ range: 'bytes=0-9', 'if-range': modified })).to.deep.equal([200, 1000, etag]);
    // A new version (the same length) has another ETag: the old one no longer answers 304.
    await cluster.sdk.upload(pieces(randomData(1000)), '/dl/versions.bin');
    const [code, length, next] = await status({ 'if-none-match': etag });
    expect([code, length]).to.deep.equal([200, 1000]);
    expect(next).to.not.equal(etag);
  });

  it('ends a download whose reader left mid-file, instead of waiting for it forever', async () => {
    // A destination that stops taking writes and then closes, as an HTTP response does when its
    // reader leaves: the write it holds is never called back.
    const stuck = new Writable({
      write() {
        // never calls back
      },
    });
    const download = cluster.sdk.downloadTo('/dl/large.bin', stuck).then(
      () => 'resolved',
      (err: Error) => `rejected: ${err.message}`,
    );
    await waitFor(() => stuck.writableLength > 0, 'a write to be held');
    stuck.destroy();
    expect(await download).to.equal('rejected: the destination closed mid-download');
  });

  for (const [what, path] of [
    ['a small file', '/dl/small.bin'],
    ['the first chunk of a large file', '/dl/first.bin'],
  ] as const) {
    it(`answers 503 in words, not a cut 200, when no copy of ${what} reads back right`, async () => {
      await spoil(path, 0);
      const answer = await request(`${web}${path}`);
      expect(answer.status).to.equal(503);
      expect(answer.headers['content-type']).to.match(/^application\/json/);
      expect(answer.headers['content-disposition']).to.equal(undefined);
      expect(answer.headers.etag).to.equal(undefined);
      const { error } = JSON.parse(answer.body.toString()) as { error: { code: string; message: string } };
      expect(error.code).to.equal('unavailable');
      expect(error.message).to.match(/no good replica of chunk/);
    });
  }

  it('cuts the answer short when a later chunk has no good copy: never whole, never wrong', async () => {
    await spoil('/dl/later.bin', 1);
    const answer = await request(`${web}/dl/later.bin`);
    expect(answer.status).to.equal(200);
    expect(answer.complete, 'the answer is cut short').to.equal(false);
    expect(answer.body.length).to.be.lessThan(later.length);
    expect(answer.body.equals(later.subarray(0, answer.body.length))).to.equal(true);
    // Said in the log (an answer cut short is a server failure nobody else reports).
    expect(
      cluster.logs.some((l) => /^GET \/api\/download\/dl\/later\.bin: failed mid-stream/.test(l)),
    ).to.equal(true);
  });
});
