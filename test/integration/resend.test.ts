// Calls that change the namespace, sent again after their answer was lost: a master that did the
// call and died before answering (a proxy in front of it drops the answer) leaves the client to
// send it to the next master, which answers what the first did instead of doing it twice.

import { expect } from 'chai';
import type { DfsError } from '../../src/protocol/errors.js';
import { OP_HEADER } from '../../src/protocol/headers.js';
import { DfsClient } from '../../src/sdk/client.js';
import { newUploadId } from '../../src/sdk/upload-id.js';
import { bytes, startCluster, type TestCluster } from '../helpers/cluster.js';
import { type HoldingProxy, holdingProxy } from '../helpers/holding-proxy.js';

describe('calls sent again after a lost answer', () => {
  let cluster: TestCluster;
  let proxy: HoldingProxy;
  // Each route's first request has its answer dropped; every request is counted.
  const seen = new Map<string, number>();
  const dropped: string[] = [];

  before(async () => {
    cluster = await startCluster({ nodes: 2 });
    proxy = await holdingProxy(cluster.master.url, {
      drop: (method, url) => {
        if (method === 'GET' || url.startsWith('/api/batch')) return false;
        const route = `${method} ${url.split('?')[0]}`;
        seen.set(route, (seen.get(route) ?? 0) + 1);
        if (seen.get(route) !== 1) return false;
        dropped.push(route);
        return true;
      },
    });
  });
  after(async () => {
    await proxy?.close();
    await cluster?.close();
  });

  // The proxy first, then the master itself: what a client of two masters sees when the first
  // dies after doing its call. (A fresh client for each call: one that failed over stays on the second.)
  const sdk = () => new DfsClient({ master: [proxy.url, cluster.master.url] });
  const put = (path: string) => cluster.sdk.upload(bytes(path), path);

  it('a remove answers as the first time, and removes once', async () => {
    await put('/resend/a');
    await sdk().remove('/resend/a');
    expect(dropped).to.include('DELETE /api/files/resend/a');
    expect(seen.get('DELETE /api/files/resend/a')).to.equal(1);
    const gone = (await cluster.sdk.stat('/resend/a').catch((e) => e)) as DfsError;
    expect(gone.code).to.equal('not_found');
  });

  it('a move answers as the first time, and moves once', async () => {
    await put('/resend/m');
    expect(await sdk().move('/resend/m', '/resend/n')).to.deep.equal({ moved: 1 });
    expect(dropped).to.include('POST /api/move');
    expect((await cluster.sdk.stat('/resend/n')).path).to.equal('/resend/n');
  });

  it('a folder and a tree removal answer as the first time', async () => {
    await sdk().mkdir('/resend/d');
    await sdk().rmdir('/resend/d');
    expect(dropped).to.include('DELETE /api/dirs/resend/d');
    await put('/resend/t/1');
    await put('/resend/t/2');
    expect(await sdk().removeTree('/resend/t')).to.equal(2);
    expect(dropped).to.include('DELETE /api/trees/resend/t');
  });

  it('a multipart upload opened with its answer lost is answered when sent again, and open once', async () => {
    const uploadId = newUploadId();
    await sdk().api.createMultipart(uploadId, {
      path: '/resend/mp',
      contentType: 'text/plain',
      metadata: {},
      attributes: {},
    });
    expect(dropped).to.include('POST /api/multipart');
    expect(seen.get('POST /api/multipart')).to.equal(1);
    const open = await cluster.sdk.api.listMultiparts('/resend/', 10);
    expect(open.map((u) => u.uploadId)).to.deep.equal([uploadId]);
  });

  it('still refuses a call that fails: its id keeps nothing', async () => {
    const err = (await sdk()
      .remove('/resend/never')
      .catch((e) => e)) as DfsError;
    expect(err.code).to.equal('not_found');
  });

  it('refuses a malformed call id, and an id sent with another call', async () => {
    await put('/resend/x');
    const remove = (path: string, op: string) =>
      fetch(`${cluster.master.url}/api/files${path}`, { method: 'DELETE', headers: { [OP_HEADER]: op } });
    const bad = await remove('/resend/x', 'short');
    expect(bad.status).to.equal(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).to.include(OP_HEADER);
    expect((await remove('/resend/x', 'op-once-xyz')).status).to.equal(200);
    expect((await remove('/resend/x', 'op-once-xyz')).status).to.equal(200);
    await put('/resend/y');
    const reused = await remove('/resend/y', 'op-once-xyz');
    expect(reused.status).to.equal(409);
    expect((await cluster.sdk.stat('/resend/y')).path).to.equal('/resend/y');
  });
});
