// litmus's `locks` suite walked through the pure modules as a handler would compose them — the
// If header, lock tokens, conflicts, refresh and UNLOCK — over the in-memory lock store and a
// fake file table, with neon's tagged If headers. Statuses are litmus's expectations.

import { expect } from 'chai';
import { DavError } from '../../src/dav/errors.js';
import { parseDepth, parseLockToken, parseTimeout } from '../../src/dav/headers.js';
import { pathToHref } from '../../src/dav/href.js';
import { locksAround, MemoryLockStore } from '../../src/dav/lock-store.js';
import {
  conflictError,
  type DavChange,
  locksToRefresh,
  lockToRemove,
  newLock,
  refreshLock,
} from '../../src/dav/locks.js';
import { checkPreconditions } from '../../src/dav/preconditions.js';
import { liveProp } from '../../src/dav/props.js';
import { parseLockInfo } from '../../src/dav/xml-requests.js';

const HOST = 'localhost:5003';
const LOCKINFO = (scope: string) =>
  `<?xml version="1.0" encoding="utf-8"?><lockinfo xmlns='DAV:'><lockscope><${scope}/></lockscope>` +
  '<locktype><write/></locktype><owner>litmus test suite</owner></lockinfo>';

/** A minimal WebDAV server made of the pure modules: enough to answer litmus's lock tests. */
class FakeDav {
  readonly store = new MemoryLockStore();
  readonly files = new Map<string, number>();
  now = 1_800_000_000_000;

  async request(
    method: string,
    path: string,
    h: Record<string, string> = {},
  ): Promise<{ status: number; token?: string }> {
    try {
      return await this.#handle(method, path, h);
    } catch (err) {
      if (err instanceof DavError) return { status: err.status };
      throw err;
    }
  }

  async #check(path: string, changes: DavChange[], ifHeader: string | undefined) {
    return checkPreconditions({
      ifHeader,
      path,
      changes,
      store: this.store,
      etagOf: async (p) => (this.files.has(p) ? `"${this.files.get(p)}"` : undefined),
      url: { host: HOST },
      now: this.now,
    });
  }

  async #handle(
    method: string,
    path: string,
    h: Record<string, string>,
  ): Promise<{ status: number; token?: string }> {
    const exists = this.files.has(path);
    const write = (p: string) => this.files.set(p, (this.files.get(p) ?? 0) + 1);
    switch (method) {
      case 'PUT':
      case 'PROPPATCH':
        await this.#check(path, [{ kind: exists ? 'modify' : 'create', path }], h.if);
        if (method === 'PUT') write(path);
        return { status: exists ? (method === 'PUT' ? 204 : 207) : 201 };
      case 'DELETE':
        if (!exists) return { status: 404 };
        await this.#check(path, [{ kind: 'remove', path }], h.if);
        this.files.delete(path);
        await this.store.removeLocksWithin(path);
        return { status: 204 };
      case 'COPY':
      case 'MOVE': {
        const dest = h.destination ?? '';
        const overwrite = this.files.has(dest);
        const changes: DavChange[] = [
          ...(method === 'MOVE' ? [{ kind: 'remove' as const, path }] : []),
          ...(overwrite ? [{ kind: 'remove' as const, path: dest }] : []),
          { kind: 'create', path: dest },
        ];
        await this.#check(path, changes, h.if);
        write(dest);
        if (method === 'MOVE') {
          this.files.delete(path);
          await this.store.removeLocksWithin(path);
        }
        return { status: overwrite ? 204 : 201 };
      }
      case 'LOCK': {
        const info = parseLockInfo(h.body ?? '');
        const timeout = parseTimeout(h.timeout);
        if (!info) {
          if (!h.if) return { status: 400 };
          const { submitted, locks } = await this.#check(path, [], h.if);
          for (const lock of locksToRefresh(locks, path, submitted, this.now)) {
            await this.store.putLock(refreshLock(lock, timeout, this.now));
          }
          return { status: 200 };
        }
        await this.#check(path, exists ? [] : [{ kind: 'create', path }], h.if);
        const depth = parseDepth(h.depth, 'LOCK') as 0 | 'infinity';
        const lock = newLock(
          { root: path, depth, scope: info.scope, owner: info.owner, timeoutSeconds: timeout },
          this.now,
        );
        const conflicts = await this.store.acquire(lock, this.now);
        if (conflicts.length > 0) throw conflictError(conflicts);
        if (!exists) write(path);
        return { status: exists ? 200 : 201, token: lock.token };
      }
      case 'UNLOCK': {
        const locks = await locksAround(this.store, [path], this.now);
        const lock = lockToRemove(locks, path, parseLockToken(h['lock-token']), this.now);
        await this.store.removeLock(lock.token);
        return { status: 204 };
      }
      default:
        return { status: 405 };
    }
  }
}

/** neon's If header: a tagged list naming the lock root by absolute URL. */
const tagged = (root: string, token: string, collection = false) =>
  `<http://${HOST}${pathToHref(root, collection)}> (<${token}>)`;

describe('dav scenarios: litmus locks', () => {
  const res = '/litmus/lockme';
  const res2 = '/litmus/notlocked';
  let dav: FakeDav;

  beforeEach(() => {
    dav = new FakeDav();
    dav.files.set(res, 1);
    dav.files.set(res2, 1);
  });

  async function lockRes(scope: 'exclusive' | 'shared', path = res, depth = '0'): Promise<string> {
    const answer = await dav.request('LOCK', path, { body: LOCKINFO(scope), depth, timeout: 'Second-3600' });
    expect(answer.status).to.be.oneOf([200, 201]);
    return answer.token ?? '';
  }

  async function notownerModify(): Promise<void> {
    expect((await dav.request('DELETE', res)).status, 'DELETE').to.equal(423);
    expect((await dav.request('MOVE', res, { destination: '/litmus/whocares' })).status, 'MOVE').to.equal(
      423,
    );
    expect((await dav.request('COPY', res2, { destination: res })).status, 'COPY onto').to.equal(423);
    expect((await dav.request('PROPPATCH', res)).status, 'PROPPATCH').to.equal(423);
    expect((await dav.request('PUT', res)).status, 'PUT').to.equal(423);
  }

  it('exclusive lock: discovery, refresh, not-owner and owner changes, copy, conditional PUTs, unlock', async () => {
    const token = await lockRes('exclusive');
    const discovery = liveProp(
      { ns: 'DAV:', local: 'lockdiscovery' },
      { path: res, collection: false },
      {
        locks: await locksAround(dav.store, [res], dav.now),
        now: dav.now,
      },
    );
    expect(discovery)
      .to.contain(`<D:href>${token}</D:href>`)
      .and.contain('<D:owner>litmus test suite</D:owner>');
    expect((await dav.request('LOCK', res, { if: `(<${token}>)`, timeout: 'Second-3600' })).status).to.equal(
      200,
    );

    await notownerModify();
    expect((await dav.request('UNLOCK', res, { 'lock-token': '<opaquelocktoken:foobar>' })).status).to.equal(
      409,
    );
    expect((await dav.request('LOCK', res, { body: LOCKINFO('exclusive'), depth: '0' })).status).to.equal(
      423,
    );

    expect((await dav.request('PUT', res, { if: tagged(res, token) })).status).to.equal(204);
    expect((await dav.request('PROPPATCH', res, { if: tagged(res, token) })).status).to.equal(207);
    await notownerModify();

    expect((await dav.request('COPY', res, { destination: `${res}-copydest` })).status).to.equal(201);
    expect(await dav.store.locksOn([`${res}-copydest`], dav.now)).to.deep.equal([]);
    expect((await dav.request('DELETE', `${res}-copydest`)).status).to.equal(204);

    const etag = `"${dav.files.get(res)}"`;
    const put = async (ifHeader: string) => (await dav.request('PUT', res, { if: ifHeader })).status;
    expect(await put(`(<${token}> [${etag}])`), 'cond_put').to.be.within(200, 299);
    const etag2 = `"${dav.files.get(res)}"`;
    expect(await put(`(<DAV:no-lock> [${etag2}])`), 'fail_cond_put').to.equal(412);
    expect(await put(`(<${token}>) (Not <DAV:no-lock>)`), 'cond_put_with_not').to.be.within(200, 299);
    expect(await put(`(<${token}x>) (Not <DAV:no-lock>)`), 'cond_put_corrupt_token').to.equal(423);
    const etag3 = `"${dav.files.get(res)}"`;
    expect(
      await put(`(<${token}> [${etag3}]) (Not <DAV:no-lock> [${etag3}])`),
      'complex_cond_put',
    ).to.be.within(200, 299);
    const stale = `"${(dav.files.get(res) ?? 0) + 7}"`;
    expect(
      await put(`(<${token}> [${stale}]) (Not <DAV:no-lock> [${stale}])`),
      'fail_complex_cond_put',
    ).to.equal(412);

    expect((await dav.request('UNLOCK', res, { 'lock-token': `<${token}>` })).status).to.equal(204);
    expect(await put('(<DAV:no-lock>)'), 'fail_cond_put_unlocked').to.equal(412);
    expect((await dav.request('PUT', res)).status).to.equal(204);
  });

  it('shared locks: a second shared lock is granted and released; the first still holds', async () => {
    const token = await lockRes('shared');
    await notownerModify();
    expect((await dav.request('LOCK', res, { body: LOCKINFO('exclusive'), depth: '0' })).status).to.equal(
      423,
    );
    expect((await dav.request('PUT', res, { if: tagged(res, token) })).status).to.equal(204);
    const second = await lockRes('shared');
    expect(second).to.not.equal(token);
    expect((await dav.request('UNLOCK', res, { 'lock-token': `<${second}>` })).status).to.equal(204);
    await notownerModify();
    expect((await dav.request('UNLOCK', res, { 'lock-token': `<${token}>` })).status).to.equal(204);
  });

  it('collection lock: members need its token; it refreshes through a member URL', async () => {
    const coll = '/litmus/lockcoll';
    const token = await lockRes('exclusive', coll, 'infinity');
    const member = `${coll}/lockme.txt`;
    expect((await dav.request('PUT', member)).status).to.equal(423);
    expect((await dav.request('PUT', member, { if: tagged(coll, token, true) })).status).to.equal(201);
    expect((await dav.request('PUT', member, { if: tagged(coll, token, true) })).status).to.equal(204);
    expect((await dav.request('DELETE', member)).status).to.equal(423);
    expect((await dav.request('LOCK', coll, { if: `(<${token}>)`, timeout: 'Second-3600' })).status).to.equal(
      200,
    );
    dav.now += 3_000_000;
    expect(
      (await dav.request('LOCK', member, { if: `(<${token}>)`, timeout: 'Second-3600' })).status,
    ).to.equal(200);
    dav.now += 3_000_000;
    expect((await dav.request('PUT', member)).status, 'refreshed lock still holds').to.equal(423);
    expect((await dav.request('UNLOCK', member, { 'lock-token': `<${token}>` })).status).to.equal(204);
    expect((await dav.request('PUT', member)).status).to.equal(204);
  });

  it('an unmapped URL: LOCK creates it (201), UNLOCK leaves it', async () => {
    const token = await lockRes('exclusive', '/litmus/unmapped_url');
    expect(dav.files.has('/litmus/unmapped_url')).to.equal(true);
    expect(
      (await dav.request('UNLOCK', '/litmus/unmapped_url', { 'lock-token': `<${token}>` })).status,
    ).to.equal(204);
    expect((await dav.request('DELETE', '/litmus/unmapped_url')).status).to.equal(204);
  });

  it('a lock lapses after its timeout', async () => {
    await lockRes('exclusive');
    dav.now += 3_600_000 - 1;
    expect((await dav.request('PUT', res)).status).to.equal(423);
    dav.now += 1;
    expect((await dav.request('PUT', res)).status).to.equal(204);
  });

  it('a malformed If header is a 400, and a tag for another host is a resource without state', async () => {
    expect((await dav.request('PUT', res, { if: '(<a' })).status).to.equal(400);
    const token = await lockRes('exclusive');
    const foreign = `<http://elsewhere:5003${pathToHref(res, false)}> (<${token}>)`;
    expect((await dav.request('PUT', res, { if: foreign })).status).to.equal(412);
  });
});
