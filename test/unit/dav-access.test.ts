// Who may use /dav/, through the middleware alone (no cluster: a PROPFIND of the root at Depth 0
// needs none): Basic with the token, never a bearer token or cookie, never another origin; and
// the lock store's mapping onto the metadata store's lock routes.

import { expect } from 'chai';
import { basicPassword } from '../../src/dav/access.js';
import { MemoryLockStore } from '../../src/dav/lock-store.js';
import { type DavLock, mintLockToken } from '../../src/dav/locks.js';
import { davRoot, type LockApi, SdkLockStore, storeRoot } from '../../src/dav/sdk-lock-store.js';
import type { Listening } from '../../src/http/serve.js';
import { DfsError } from '../../src/protocol/errors.js';
import { DfsClient } from '../../src/sdk/client.js';
import { send } from '../helpers/adversary.js';
import { startDavServer } from '../helpers/dav-server.js';

const basic = (credentials: string) => `Basic ${Buffer.from(credentials).toString('base64')}`;

describe('dav access', () => {
  it('reads the password of a Basic header, whatever the user name holds', () => {
    expect(basicPassword(basic('user:pass'))).to.equal('pass');
    expect(basicPassword(basic(':pass:with:colons'))).to.equal('pass:with:colons');
    expect(basicPassword(`basic  ${Buffer.from('u:p').toString('base64')}`)).to.equal('p');
    expect(basicPassword(basic('no-colon'))).to.equal(undefined);
    expect(basicPassword('Bearer abc')).to.equal(undefined);
    expect(basicPassword(undefined)).to.equal(undefined);
  });

  for (const token of ['', 'secret']) {
    describe(token ? 'with a token' : 'without a token', () => {
      let server: Listening;
      before(async () => {
        // Nothing here reaches the master: an unreachable one proves it.
        const sdk = new DfsClient({ master: 'http://127.0.0.1:9', token });
        server = await startDavServer({ sdk, token, log: () => {}, locks: new MemoryLockStore() });
      });
      after(async () => {
        await server.close();
      });
      const propfind = (headers: Record<string, string>) =>
        send(server.url, 'PROPFIND', '/dav/', { headers: { Depth: '0', ...headers } });

      it('lets the right callers in', async () => {
        const ok: Record<string, string> = token ? { Authorization: basic(`anyone:${token}`) } : {};
        expect((await propfind(ok)).status).to.equal(207);
        expect((await propfind({ ...ok, Origin: server.url })).status).to.equal(207);
      });

      it('refuses requests from another origin with 403', async () => {
        const ok: Record<string, string> = token ? { Authorization: basic(`anyone:${token}`) } : {};
        expect((await propfind({ ...ok, Origin: 'http://evil.example' })).status).to.equal(403);
        expect((await propfind({ ...ok, 'Sec-Fetch-Site': 'same-site' })).status).to.equal(403);
      });

      if (token) {
        it('challenges anything but Basic with the token with 401', async () => {
          for (const authorization of [
            undefined,
            basic('anyone:wrong'),
            `Bearer ${token}`,
            basic(`${token}:`),
          ]) {
            const reply = await propfind(authorization ? { Authorization: authorization } : {});
            expect(reply.status, authorization).to.equal(401);
            expect(reply.headers['www-authenticate']).to.equal('Basic realm="dfs", charset="UTF-8"');
          }
          expect((await propfind({ Cookie: 'dfs_session=anything' })).status).to.equal(401);
        });
      } else {
        it('refuses a DNS-rebound host name on loopback with 403', async () => {
          expect((await propfind({ Host: 'evil.example' })).status).to.equal(403);
          expect((await propfind({ Host: 'localhost' })).status).to.equal(207);
        });
      }

      it('passes other paths on and answers OPTIONS / for Windows', async () => {
        expect((await send(server.url, 'GET', '/davx')).status).to.equal(404);
        const options = await send(server.url, 'OPTIONS', '/');
        expect(options.headers.dav).to.equal('1, 2');
        expect(
          (
            await send(server.url, 'POST', '/dav/', {
              headers: token ? { Authorization: basic(`:${token}`) } : {},
            })
          ).status,
        ).to.equal(405);
      });
    });
  }
});

describe('dav lock store mapping', () => {
  it('keys every lock root in folder form and reads it back', () => {
    expect(storeRoot('/')).to.equal('/');
    expect(storeRoot('/a/b.txt')).to.equal('/a/b.txt/');
    expect(davRoot('/a/b.txt/')).to.equal('/a/b.txt');
    expect(davRoot('/')).to.equal('/');
  });

  it('asks the store once per outermost path and turns a refusal into the conflicting locks', async () => {
    const held: DavLock = {
      token: mintLockToken(),
      root: '/a',
      depth: 'infinity',
      scope: 'exclusive',
      owner: '',
      timeoutSeconds: 60,
      expires: Date.now() + 60_000,
    };
    const queries: string[] = [];
    const api: LockApi = {
      createLock: async () => {
        throw new DfsError('locked', 'locked');
      },
      refreshLock: async () => {
        throw new DfsError('not_found', 'no such lock');
      },
      removeLock: async () => false,
      locksFor: async (path, descendants) => {
        queries.push(`${path} ${descendants}`);
        return [{ ...held, root: storeRoot(held.root) }];
      },
    };
    const store = new SdkLockStore(api);
    const now = Date.now();
    expect((await store.locksAround(['/a/b', '/a', '/a/b/c', '/z'], now)).map((l) => l.root)).to.deep.equal([
      '/a',
    ]);
    expect(queries).to.deep.equal(['/a/ true', '/z/ true']);
    const conflicts = await store.acquire({ ...held, token: mintLockToken(), root: '/a/b', depth: 0 }, now);
    expect(conflicts.map((l) => l.token)).to.deep.equal([held.token]);
    expect(await store.putLock(held)).to.equal(false);
  });
});
