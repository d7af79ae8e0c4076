// WebDAV's defences: with an access token only HTTP Basic with the token opens /dav/ (not a
// bearer token, not the pages' session cookie), no cross-origin page can drive it, malformed
// bodies and paths outside the namespace rules are 400s, and nothing lands outside the cluster.

import { expect } from 'chai';
import { CSRF_HEADER } from '../../src/http/session.js';
import { type Arena, assertIntact, raw, send, startArena } from '../helpers/adversary.js';
import { dav, davUrl } from '../helpers/dav-http.js';

const TOKEN = 'dav-test-token';
const basic = (user: string, password: string) => ({
  Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
});
const AUTH = basic('anyone', TOKEN);

describe('dav: security', function () {
  this.timeout(60_000);
  let arena: Arena;
  let web: string;

  before(async () => {
    arena = await startArena({ nodes: 1, replication: 1, webClient: true, token: TOKEN });
    web = arena.cluster.client?.url as string;
  });

  after(async () => {
    await arena?.close();
  });

  describe('with an access token', () => {
    it('asks for Basic and refuses anything but the token as its password with 401', async () => {
      const cookie = await send(web, 'POST', '/session', {
        headers: { 'content-type': 'application/json', [CSRF_HEADER]: '1' },
        body: JSON.stringify({ token: TOKEN }),
      });
      expect(cookie.status).to.equal(204);
      const session = String(cookie.headers['set-cookie']?.[0]).split(';')[0] as string;
      for (const [what, headers] of [
        ['nothing', {}],
        ['a wrong password', basic('anyone', 'wrong')],
        ['the token as the user name', basic(TOKEN, '')],
        ['a bearer token', { Authorization: `Bearer ${TOKEN}` }],
        ['the session cookie', { Cookie: session }],
      ] as const) {
        const reply = await dav(web, 'PROPFIND', '/dav/', { Depth: '0', ...headers });
        expect(reply.status, what).to.equal(401);
        expect(reply.headers['www-authenticate'], what).to.match(/^Basic realm="dfs"/);
      }
      // The cookie still opens the pages, as before.
      expect(
        (await send(web, 'GET', '/api/list?prefix=/', { headers: { Cookie: session } })).status,
      ).to.equal(200);
    });

    it('lets Basic with the token in, whatever the user name', async () => {
      for (const user of ['anyone', '', 'dfs']) {
        expect(
          (await dav(web, 'PROPFIND', '/dav/', { Depth: '0', ...basic(user, TOKEN) })).status,
          user,
        ).to.equal(207);
      }
      expect((await dav(web, 'MKCOL', davUrl('/sec'), AUTH)).status).to.equal(201);
      expect((await dav(web, 'PUT', davUrl('/sec/a.txt'), AUTH, 'a')).status).to.equal(201);
      expect((await dav(web, 'GET', davUrl('/sec/a.txt'), AUTH)).text).to.equal('a');
    });

    it('refuses a request a browser sends from another origin, even with the password', async () => {
      for (const [what, headers] of [
        ['a foreign Origin', { Origin: 'http://evil.example' }],
        ['an opaque Origin', { Origin: 'null' }],
        ['Sec-Fetch-Site: cross-site', { 'Sec-Fetch-Site': 'cross-site' }],
      ] as const) {
        const reply = await dav(web, 'PUT', davUrl('/sec/evil.txt'), { ...AUTH, ...headers }, 'evil');
        expect(reply.status, what).to.equal(403);
      }
      const own = await dav(web, 'PUT', davUrl('/sec/own.txt'), { ...AUTH, Origin: web }, 'own');
      expect(own.status).to.equal(201);
      expect(await arena.cluster.sdk.stat('/sec/evil.txt').catch(() => 'absent')).to.equal('absent');
    });

    it('answers OPTIONS on the server root without credentials (Windows asks it first)', async () => {
      const reply = await send(web, 'OPTIONS', '/');
      expect(reply.status).to.equal(200);
      expect(reply.headers.dav).to.equal('1, 2');
      expect((await send(web, 'OPTIONS', '/dav/')).status).to.equal(401);
    });
  });

  describe('bodies and paths', () => {
    before(async () => {
      await arena.cluster.sdk.upload(['base'], '/sec/base.txt');
    });

    it('answers malformed XML with 400, and refuses entities', async () => {
      const cases: [string, string, string, number][] = [
        ['PROPFIND', '/sec/', '<D:propfind xmlns:D="DAV:"><D:prop>', 400],
        ['PROPFIND', '/sec/', '<propfind xmlns="DAV:"><prop><p:x xmlns:p=""/></prop></propfind>', 400],
        ['PROPFIND', '/sec/', '<not-xml', 400],
        ['PROPPATCH', '/sec/base.txt', '<D:propertyupdate xmlns:D="DAV:"><D:set>', 400],
        ['LOCK', '/sec/base.txt', '<D:lockinfo xmlns:D="DAV:"><D:lockscope>', 400],
        [
          'PROPFIND',
          '/sec/',
          '<!DOCTYPE x [<!ENTITY a "aaaa">]><D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>',
          400,
        ],
        ['PROPFIND', '/sec/', '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>', 403],
      ];
      for (const [method, path, body, status] of cases) {
        const reply = await dav(
          web,
          method,
          davUrl(path),
          { ...AUTH, Depth: '0', 'Content-Type': 'application/xml' },
          body,
        );
        expect(reply.status, `${method} ${body}`).to.equal(status);
      }
    });

    it('takes a request target in absolute form (as some proxies send it) by its path', async () => {
      const host = new URL(web).host;
      const auth = `Authorization: ${AUTH.Authorization}\r\n`;
      const put = await raw(web, [
        `PUT http://${host}/dav/abs.txt HTTP/1.1\r\nHost: ${host}\r\n${auth}Content-Length: 3\r\nConnection: close\r\n\r\nabs`,
      ]);
      expect(put.status, put.text).to.equal(201);
      const find = await raw(web, [
        `PROPFIND http://${host}/dav/abs.txt HTTP/1.1\r\nHost: ${host}\r\n${auth}Depth: 0\r\nConnection: close\r\n\r\n`,
      ]);
      expect(find.status, find.text).to.equal(207);
      expect((await arena.cluster.sdk.stat('/abs.txt')).size).to.equal(3);
      await arena.cluster.sdk.remove('/abs.txt');
    });

    it('refuses paths outside the namespace rules with 400 and writes nothing', async () => {
      const targets = [
        '/dav/..%2f..%2fetc%2fpasswd',
        '/dav/%2e%2e/%2e%2e/etc/passwd',
        '/dav/sec/../../api/config',
        '/dav/sec/./x',
        '/dav/sec/a%5Cb',
        '/dav/sec/a%00b',
        '/dav/sec/a%0Ab',
        '/dav/sec/%E0%A4%A',
        `/dav/sec/${'n'.repeat(300)}`,
        '/dav/sec/frag#ment',
      ];
      for (const target of targets) {
        expect((await dav(web, 'PUT', target, AUTH, 'x')).status, target).to.equal(400);
        expect((await dav(web, 'MKCOL', target, AUTH)).status, target).to.equal(400);
      }
      const host = new URL(web).host;
      for (const destination of [
        `http://${host}/dav/..%2fescape`,
        `http://${host}/dav/sec/%2e%2e/%2e%2e/x`,
      ]) {
        const reply = await dav(web, 'COPY', davUrl('/sec/base.txt'), { ...AUTH, Destination: destination });
        expect(reply.status, destination).to.equal(400);
      }
      for (const destination of [
        `http://${host}/api/files/x`,
        `http://${host}/davx/y`,
        'http://evil.example/dav/x',
      ]) {
        const reply = await dav(web, 'MOVE', davUrl('/sec/base.txt'), { ...AUTH, Destination: destination });
        expect(reply.status, destination).to.equal(502);
      }
      const files = [];
      for await (const entry of arena.cluster.sdk.listAll('/')) files.push(entry.path);
      expect(files.sort()).to.deep.equal(['/sec/a.txt', '/sec/base.txt', '/sec/own.txt']);
      await assertIntact(arena);
    });
  });
});
