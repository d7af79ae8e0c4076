// WebDAV locks on a real cluster: 423 for anyone without the token, If headers with tokens and
// ETags, folder locks, locked empty files, refresh and expiry — and locks kept in the metadata
// store, so a second web client sees them and a restarted one still has them.

import { expect } from 'chai';
import { type RunningClient, startClient } from '../../src/client/client.js';
import { clientConfig } from '../../src/config.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { dav, davProp, davUrl, lockBody, lockTokenOf, parseMultistatus } from '../helpers/dav-http.js';
import { waitFor } from '../helpers/wait.js';

describe('dav: locks', function () {
  this.timeout(60_000);
  let cluster: TestCluster;
  let web: string;
  let other: RunningClient | undefined;

  before(async () => {
    cluster = await startCluster({ nodes: 1, replication: 1, webClient: true });
    web = cluster.client?.url as string;
    await cluster.sdk.mkdir('/l');
  });

  after(async () => {
    await other?.close();
    await cluster?.close();
  });

  const lock = (
    path: string,
    headers: Record<string, string> = {},
    scope: 'exclusive' | 'shared' = 'exclusive',
  ) =>
    dav(
      web,
      'LOCK',
      davUrl(path),
      { 'Content-Type': 'application/xml', Timeout: 'Second-600', ...headers },
      lockBody(scope),
    );
  const put = (path: string, headers: Record<string, string> = {}, base = web) =>
    dav(base, 'PUT', davUrl(path), headers, `written at ${Date.now()}`);

  it('an exclusive lock refuses writers without its token with 423 and admits the one with it', async () => {
    await cluster.sdk.upload(['v1'], '/l/doc.txt');
    const locked = await lock('/l/doc.txt');
    expect(locked.status).to.equal(200);
    const token = lockTokenOf(locked);
    expect(token).to.match(/^urn:uuid:[0-9a-f-]{36}$/);
    const discovered = parseMultistatus(
      (await dav(web, 'PROPFIND', davUrl('/l/doc.txt'), { Depth: '0' })).text,
    )[0];
    expect(davProp(discovered, 'lockdiscovery')).to.include(token);
    expect(davProp(discovered, 'lockdiscovery')).to.include('dfs tests');
    const refused = await put('/l/doc.txt');
    expect(refused.status).to.equal(423);
    expect(refused.text).to.include('lock-token-submitted');
    expect((await dav(web, 'DELETE', davUrl('/l/doc.txt'))).status).to.equal(423);
    expect(
      (
        await dav(
          web,
          'PROPPATCH',
          davUrl('/l/doc.txt'),
          {},
          '<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><x xmlns="urn:x">1</x></D:prop></D:set></D:propertyupdate>',
        )
      ).status,
    ).to.equal(423);
    expect((await lock('/l/doc.txt')).status).to.equal(423);
    expect((await put('/l/doc.txt', { If: `(<${token}>)` })).status).to.equal(204);
    const tagged = `<http://${new URL(web).host}${davUrl('/l/doc.txt')}> (<${token}>)`;
    expect((await put('/l/doc.txt', { If: tagged })).status).to.equal(204);
    expect(
      (await put('/l/doc.txt', { If: '(<urn:uuid:00000000-0000-4000-8000-000000000000>)' })).status,
    ).to.equal(412);
    expect(
      (
        await dav(web, 'UNLOCK', davUrl('/l/doc.txt'), {
          'Lock-Token': '<urn:uuid:00000000-0000-4000-8000-000000000000>',
        })
      ).status,
    ).to.equal(409);
    expect((await dav(web, 'UNLOCK', davUrl('/l/doc.txt'), { 'Lock-Token': `<${token}>` })).status).to.equal(
      204,
    );
    expect((await put('/l/doc.txt')).status).to.equal(204);
  });

  it('evaluates If headers with ETags and lock tokens together', async () => {
    await cluster.sdk.upload(['e'], '/l/etag.txt');
    const { generation } = await cluster.sdk.stat('/l/etag.txt');
    expect((await put('/l/etag.txt', { If: '(["g1"])' })).status).to.equal(412);
    expect((await put('/l/etag.txt', { If: `(["g${generation}"])` })).status).to.equal(204);
    const token = lockTokenOf(await lock('/l/etag.txt'));
    const { generation: now } = await cluster.sdk.stat('/l/etag.txt');
    expect((await put('/l/etag.txt', { If: `(<${token}> ["g${now}"])` })).status).to.equal(204);
    expect((await put('/l/etag.txt', { If: `(<${token}> ["g${now}"])` })).status).to.equal(412);
    // The header holds (the ETag is current), but the lock's token is not in it: 423, not 412.
    const { generation: current } = await cluster.sdk.stat('/l/etag.txt');
    expect((await put('/l/etag.txt', { If: `(Not <urn:uuid:x> ["g${current}"])` })).status).to.equal(423);
  });

  it('shared locks stand side by side; an exclusive one cannot join them', async () => {
    await cluster.sdk.upload(['s'], '/l/shared.txt');
    const a = lockTokenOf(await lock('/l/shared.txt', {}, 'shared'));
    const b = lockTokenOf(await lock('/l/shared.txt', {}, 'shared'));
    expect(a).not.to.equal(b);
    expect((await lock('/l/shared.txt')).status).to.equal(423);
    expect((await put('/l/shared.txt', { If: `(<${b}>)` })).status).to.equal(204);
  });

  it('a depth-infinity folder lock covers new members, deletes and moves out of it', async () => {
    await cluster.sdk.upload(['in'], '/l/dir/inside.txt');
    const locked = await lock('/l/dir/', { Depth: 'infinity' });
    expect(locked.status).to.equal(200);
    const token = lockTokenOf(locked);
    const host = new URL(web).host;
    expect((await put('/l/dir/new.txt')).status).to.equal(423);
    expect((await dav(web, 'MKCOL', davUrl('/l/dir/sub'))).status).to.equal(423);
    expect((await dav(web, 'DELETE', davUrl('/l/dir/'))).status).to.equal(423);
    const out = { Destination: `http://${host}${davUrl('/l/outside.txt')}` };
    expect((await dav(web, 'MOVE', davUrl('/l/dir/inside.txt'), out)).status).to.equal(423);
    expect((await put('/l/dir/new.txt', { If: `(<${token}>)` })).status).to.equal(201);
    // Refreshing through a member's URL renews the folder's lock.
    const refreshed = await dav(web, 'LOCK', davUrl('/l/dir/new.txt'), {
      If: `(<${token}>)`,
      Timeout: 'Second-900',
    });
    expect(refreshed.status).to.equal(200);
    expect(refreshed.text).to.include('Second-900');
    expect((await dav(web, 'LOCK', davUrl('/l/dir/new.txt'), {})).status).to.equal(400);
    expect(
      (await dav(web, 'MOVE', davUrl('/l/dir/inside.txt'), { ...out, If: `(<${token}>)` })).status,
    ).to.equal(201);
    expect((await dav(web, 'DELETE', davUrl('/l/dir/'), { If: `(<${token}>)` })).status).to.equal(204);
    // The lock went with the folder.
    expect((await cluster.sdk.api.locksFor('/l/dir/', true)).map((l) => l.token)).not.to.include(token);
    expect((await put('/l/outside.txt')).status).to.equal(204);
  });

  it('a lock goes with its resource deleted or moved away by the CLI, the web client or S3; a folder lock stays', async () => {
    await cluster.sdk.upload(['a'], '/l/gone.txt');
    await cluster.sdk.upload(['b'], '/l/moved.txt');
    await cluster.sdk.upload(['c'], '/l/tree/member.txt');
    const taken = [
      await lock('/l/gone.txt'),
      await lock('/l/moved.txt'),
      await lock('/l/tree/', { Depth: 'infinity' }),
    ];
    for (const t of taken) expect(t.status).to.equal(200);
    expect((await put('/l/gone.txt')).status).to.equal(423);
    // Through the SDK, as `dfs rm`, `dfs mv`, the web client and the S3 gateway go.
    await cluster.sdk.remove('/l/gone.txt');
    await cluster.sdk.move('/l/moved.txt', '/l/elsewhere.txt');
    await cluster.sdk.removeTree('/l/tree');
    // The names are free again: no lock of a resource that is no longer there refuses them.
    expect((await put('/l/gone.txt')).status).to.equal(201);
    expect((await put('/l/moved.txt')).status).to.equal(201);
    expect((await dav(web, 'MKCOL', davUrl('/l/tree'))).status).to.equal(201);
    const left = (await cluster.sdk.api.locksFor('/l/', true)).map((l) => l.token);
    for (const t of taken) expect(left).not.to.include(lockTokenOf(t));
    // A folder's lock stays when a member goes, and still guards the folder.
    await cluster.sdk.mkdir('/l/kept');
    await cluster.sdk.upload(['d'], '/l/kept/member.txt');
    const folder = await lock('/l/kept/', { Depth: 'infinity' });
    await cluster.sdk.remove('/l/kept/member.txt');
    expect((await put('/l/kept/new.txt')).status).to.equal(423);
    expect((await cluster.sdk.api.locksFor('/l/kept/', false)).map((l) => l.token)).to.deep.equal([
      lockTokenOf(folder),
    ]);
  });

  it("names a folder's lock root with its slash, a file's without, wherever a lock is shown", async () => {
    await cluster.sdk.mkdir('/l/rooted');
    await cluster.sdk.upload(['f'], '/l/rooted/file.txt');
    const root = (href: string) => `<D:lockroot><D:href>${href}</D:href></D:lockroot>`;
    const folder = await lock('/l/rooted/', { Depth: 'infinity' });
    expect(folder.text).to.include(root('/dav/l/rooted/'));
    const token = lockTokenOf(folder);
    // Refreshed through the folder's URL without its slash, or through a member's.
    for (const url of ['/l/rooted', '/l/rooted/file.txt']) {
      const refreshed = await dav(web, 'LOCK', davUrl(url), { If: `(<${token}>)`, Timeout: 'Second-600' });
      expect(refreshed.text, url).to.include(root('/dav/l/rooted/'));
    }
    const listed = await dav(web, 'PROPFIND', davUrl('/l/rooted/'), { Depth: '1' });
    expect(listed.text.split(root('/dav/l/rooted/')).length - 1, 'the folder and its member').to.equal(2);
    const refused = await put('/l/rooted/new.txt');
    expect(refused.status).to.equal(423);
    expect(refused.text).to.include('<D:lock-token-submitted><D:href>/dav/l/rooted/</D:href>');
    await cluster.sdk.upload(['g'], '/l/single.txt');
    expect((await lock('/l/single.txt')).text).to.include(root('/dav/l/single.txt'));
  });

  it('a folder replaced by a MOVE or a COPY takes the locks of its members along', async () => {
    const host = new URL(web).host;
    for (const method of ['MOVE', 'COPY']) {
      await cluster.sdk.upload(['s'], `/l/${method}/src/new.txt`);
      await cluster.sdk.upload(['d'], `/l/${method}/dst/locked.txt`);
      const token = lockTokenOf(await lock(`/l/${method}/dst/locked.txt`));
      const replaced = await dav(web, method, davUrl(`/l/${method}/src`), {
        Destination: `http://${host}${davUrl(`/l/${method}/dst`)}`,
        Overwrite: 'T',
        If: `</dav/l/${method}/dst/locked.txt> (<${token}>)`,
      });
      expect(replaced.status, method).to.equal(204);
      // The locked file is gone, and nobody is refused its name any more.
      expect((await put(`/l/${method}/dst/locked.txt`)).status, method).to.equal(201);
    }
  });

  it('a LOCK of an unmapped URL makes a locked empty file (201); without a parent folder, 409', async () => {
    const made = await lock('/l/fresh.txt');
    expect(made.status).to.equal(201);
    const token = lockTokenOf(made);
    expect((await cluster.sdk.stat('/l/fresh.txt')).size).to.equal(0);
    expect((await put('/l/fresh.txt')).status).to.equal(423);
    expect((await put('/l/fresh.txt', { If: `(<${token}>)` })).status).to.equal(204);
    expect((await lock('/l/nowhere/x.txt')).status).to.equal(409);
  });

  it('a lock lapses after its timeout by itself', async () => {
    await cluster.sdk.upload(['t'], '/l/brief.txt');
    // Long enough that a busy machine still gets its PUT in while the lock holds.
    const locked = await lock('/l/brief.txt', { Timeout: 'Second-5' });
    expect(locked.text).to.include('Second-5');
    expect((await put('/l/brief.txt')).status).to.equal(423);
    await waitFor(async () => (await put('/l/brief.txt')).status === 204, 'the lock to lapse', 20_000, 100);
  });

  it('locks live in the metadata store: a second web client honours them, a restarted one keeps them', async () => {
    await cluster.sdk.upload(['x'], '/l/shared-store.txt');
    const token = lockTokenOf(await lock('/l/shared-store.txt'));
    other = await startClient(clientConfig({ port: 0, master: cluster.master.url }, {}), () => {});
    expect((await put('/l/shared-store.txt', {}, other.url)).status).to.equal(423);
    expect((await put('/l/shared-store.txt', { If: `(<${token}>)` }, other.url)).status).to.equal(204);
    await cluster.client?.close();
    cluster.client = await startClient(clientConfig({ port: 0, master: cluster.master.url }, {}), () => {});
    web = cluster.client.url;
    expect((await put('/l/shared-store.txt')).status).to.equal(423);
    expect(
      (await dav(web, 'UNLOCK', davUrl('/l/shared-store.txt'), { 'Lock-Token': `<${token}>` })).status,
    ).to.equal(204);
    expect((await put('/l/shared-store.txt', {}, other.url)).status).to.equal(204);
  });
});
