// `POST /api/batch`: each call is checked and answered on its own, a bad body is a 400, and a
// batch is bounded.

import { expect } from 'chai';
import { startCluster, type TestCluster } from '../helpers/cluster.js';

describe('master batch route', () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await startCluster({ nodes: 2 });
  });
  after(async () => {
    await cluster?.close();
  });

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
