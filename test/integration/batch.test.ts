// `POST /api/batch`: each call is checked and answered on its own, a bad body is a 400, and a
// batch is bounded.

import { expect } from 'chai';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { metricValue, scrape } from '../helpers/metrics.js';

describe('master batch route', () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await startCluster({ nodes: 2 });
  });
  after(async () => {
    await cluster?.close();
  });

  /** Requests to `route` the master has answered with 200, from its metrics. */
  const routeCount = async (route: string) => {
    const { text } = await scrape(cluster.master.url);
    return metricValue(text, 'dfs_http_requests_total', { route, code: '200' }) ?? 0;
  };
  const batchCount = () => routeCount('/api/batch');

  const post = (body: unknown) =>
    fetch(`${cluster.master.url}/api/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('answers every call on its own: a bad one fails alone', async () => {
    const id = 'a'.repeat(64);
    const res = await post({
      calls: [
        { op: 'allocate', uploadId: 'batch-upload-1', request: { chunks: [{ id, size: 10 }] } },
        { op: 'allocate', uploadId: 'x', request: { chunks: [{ id, size: 10 }] } },
        {
          op: 'commit',
          uploadId: 'batch-upload-2',
          request: { path: '/b', size: 10, chunks: [{ id, size: 10 }] },
        },
        { op: 'delete', uploadId: 'batch-upload-3' },
      ],
    });
    expect(res.status).to.equal(200);
    const { results } = (await res.json()) as {
      results: { ok: boolean; status?: number; error?: { code: string } }[];
    };
    expect(results.map((r) => r.ok)).to.deep.equal([true, false, false, false]);
    expect(results.slice(1).map((r) => [r.status, r.error?.code])).to.deep.equal([
      [400, 'bad_request'],
      [409, 'conflict'],
      [400, 'bad_request'],
    ]);
    expect((await cluster.sdk.stat('/b').catch((e) => e)).code).to.equal('not_found');
  });

  it('answers a commit sent again with the version it made, after another commit replaced it', async () => {
    const commit = async (uploadId: string, text: string) => {
      const { results } = (await (
        await post({
          calls: [{ op: 'commit', uploadId, request: { path: '/again.txt', size: 0, chunks: [] } }],
        })
      ).json()) as { results: { ok: boolean; value: { generation: number; uploadId: string } }[] };
      expect(results[0]?.ok, text).to.equal(true);
      return results[0]?.value;
    };
    // An upload that writes no chunk is begun with an empty allocate; one never begun is refused.
    const unbegun = (await (
      await post({
        calls: [
          { op: 'commit', uploadId: 'unbegun-upload', request: { path: '/again.txt', size: 0, chunks: [] } },
        ],
      })
    ).json()) as { results: { ok: boolean; status?: number }[] };
    expect(unbegun.results.map((r) => [r.ok, r.status])).to.deep.equal([[false, 409]]);
    const begun = await post({
      calls: [{ op: 'allocate', uploadId: 'first-commit-upload', request: { chunks: [] } }],
    });
    expect(((await begun.json()) as { results: { ok: boolean }[] }).results[0]?.ok).to.equal(true);
    const first = await commit('first-commit-upload', 'first');
    await cluster.sdk.upload([Buffer.from('newer, acknowledged')], '/again.txt');
    // The first answer was lost; its client sends the same commit again.
    expect(await commit('first-commit-upload', 'sent again')).to.deep.include({
      generation: first?.generation,
      uploadId: 'first-commit-upload',
    });
    expect((await cluster.sdk.stat('/again.txt')).size).to.equal(19);
  });

  it('answers stats as GET /api/files/{path} does, each on its own', async () => {
    await cluster.sdk.upload([Buffer.from('batched read')], '/s/one.txt');
    const res = await post({
      calls: [
        { op: 'stat', path: '/s/one.txt' },
        { op: 'stat', path: '/s/missing.txt' },
        { op: 'stat', path: '/s/../etc' },
        { op: 'stat' },
      ],
    });
    expect(res.status).to.equal(200);
    const { results } = (await res.json()) as {
      results: { ok: boolean; value?: unknown; status?: number; error?: { code: string } }[];
    };
    expect(results[0]?.value).to.deep.equal(
      await (await fetch(`${cluster.master.url}/api/files/s/one.txt`)).json(),
    );
    expect(results.slice(1).map((r) => [r.ok, r.status, r.error?.code])).to.deep.equal([
      [false, 404, 'not_found'],
      [false, 400, 'invalid_path'],
      [false, 400, 'invalid_path'],
    ]);
  });

  it('answers listings as GET /api/files does, each on its own', async () => {
    await cluster.sdk.upload([Buffer.from('listed')], '/l/a.txt');
    await cluster.sdk.upload([Buffer.from('listed too')], '/l/b/c.txt');
    const query = { prefix: '/l/', delimiter: '/', limit: '1' };
    const res = await post({
      calls: [
        { op: 'list', query },
        { op: 'list', query: { prefix: '/nothing/', limit: '1' } },
        { op: 'list', query: { prefix: '/l/a.txt/', limit: '1' } },
        { op: 'list', query: { prefix: '/l/', limit: '0' } },
        { op: 'list', query: { prefix: '/l/', limit: 1 } },
        { op: 'list', query: '/l/' },
        { op: 'list' },
      ],
    });
    expect(res.status).to.equal(200);
    const { results } = (await res.json()) as {
      results: { ok: boolean; value?: unknown; status?: number; error?: { code: string } }[];
    };
    const direct = await fetch(`${cluster.master.url}/api/files?${new URLSearchParams(query)}`);
    expect(results[0]?.value).to.deep.equal(await direct.json());
    expect(results[0]?.value).to.have.property('next');
    expect(results.slice(1).map((r) => [r.ok, r.status, r.error?.code])).to.deep.equal([
      [false, 404, 'not_found'],
      [false, 409, 'conflict'],
      [false, 400, 'bad_request'],
      [false, 400, 'bad_request'],
      [false, 400, 'bad_request'],
      [false, 400, 'bad_request'],
    ]);
  });

  it("carries the SDK's small listings in its read batches, and a longer page alone", async () => {
    await cluster.sdk.upload([Buffer.from('paged')], '/p/one.txt');
    const batches = await batchCount();
    const pages = await routeCount('/api/files');
    // An existence check (the S3 gateway's bucket check): one entry, batched.
    expect((await cluster.sdk.list('/p/', { delimiter: true, limit: 1 })).entries).to.have.length(1);
    expect(await batchCount()).to.equal(batches + 1);
    expect(await routeCount('/api/files')).to.equal(pages);
    // A page that may be long goes alone: it holds up no stat.
    expect((await cluster.sdk.list('/p/', { delimiter: true, limit: 11 })).entries).to.have.length(1);
    expect(await routeCount('/api/files')).to.equal(pages + 1);
    // The batched listing fails as the route does.
    const missing = await cluster.sdk.list('/no-such-folder/', { limit: 1 }).catch((e) => e);
    expect(missing.code).to.equal('not_found');
  });

  it("carries a write's own listing (S3 PutObject's bucket check) in the writes' batches", async () => {
    await cluster.sdk.mkdir('/w/');
    const pairs = (forWrite: boolean) =>
      Promise.all(
        Array.from({ length: 10 }, (_, i) => [
          cluster.sdk.api.allocate([], [], `batch-write-check-${forWrite}-${i}`),
          cluster.sdk.list('/w/', { delimiter: true, limit: 1, forWrite }),
        ]).flat(),
      );
    // Twenty calls at once: the first goes alone, the rest pile up behind it in one batch.
    let before = await batchCount();
    await pairs(true);
    expect((await batchCount()) - before).to.equal(2);
    // Sent as reads, the listings go in batches of their own.
    before = await batchCount();
    await pairs(false);
    expect((await batchCount()) - before).to.equal(4);
  });

  it('says why an allocation finds too few nodes when the uploader left a live one out', async () => {
    const node = cluster.nodes[0];
    if (!node) throw new Error('no node');
    const err = await cluster.sdk.api
      .allocate([{ id: 'c'.repeat(64), size: 10 }], [node.id], 'batch-excluded-upload')
      .catch((e) => e);
    expect(err.code).to.equal('insufficient_nodes');
    expect(err.message).to.match(
      /need 2 live nodes with free space, 1 available \(2 of 2 nodes alive; 1 alive but left out by the uploader after a write to it failed\)/,
    );
  });

  it("carries the SDK's concurrent stats in shared batches", async () => {
    const names = Array.from({ length: 40 }, (_, i) => `/s/many/f${i}`);
    for (const name of names) await cluster.sdk.upload([Buffer.from(name)], name);
    const before = await batchCount();
    const infos = await Promise.all(names.map((name) => cluster.sdk.stat(name)));
    expect(infos.map((i) => i.path)).to.deep.equal(names);
    // 40 stats at once travel in fewer requests than 40 (the first goes alone, the rest pile up).
    expect((await batchCount()) - before).to.be.within(2, 39);
  });

  it('refuses a body that is not a list of 1 to 256 calls', async () => {
    for (const body of [
      {},
      { calls: [] },
      { calls: 'x' },
      { calls: Array.from({ length: 257 }, () => ({})) },
    ]) {
      const res = await post(body);
      expect(res.status).to.equal(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).to.equal('bad_request');
    }
  });
});
