// Adversarial credentials: write tokens on chunk PUT/DELETE, node authentication on the
// master's internal routes, node URLs at registration, and the access token on the master API,
// the web client and chunk reads (and the CLI sending it).

import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { expect } from 'chai';
import { main } from '../../src/cli/main.js';
import { SESSION_COOKIE } from '../../src/http/session.js';
import { CLOCK_SKEW_MS, signNodeAuth, signWriteToken } from '../../src/protocol/auth.js';
import { type Arena, assertIntact, type Reply, send, sendJson, startArena } from '../helpers/adversary.js';
import { bytes, randomData, sha256 as sha } from '../helpers/cluster.js';

const ACCESS = 'access-token-for-tests';
const AUTH = { authorization: `Bearer ${ACCESS}` };

/** Runs the CLI in this process, capturing what it prints. */
async function cli(args: string[], env: Record<string, string | undefined> = {}) {
  const saved: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(env)) {
    saved[k] = process.env[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write;
  const err = process.stderr.write;
  process.stdout.write = ((s: string | Uint8Array) => {
    stdout += String(s);
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((s: string | Uint8Array) => {
    stderr += String(s);
    return true;
  }) as typeof process.stderr.write;
  try {
    const { code } = await main(['node', 'dfs', ...args]);
    return { code, stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

describe('security: credentials', function () {
  this.timeout(60_000);
  let arena: Arena;
  let master: string;
  let web: string;
  let nodeA: string;
  let nodeB: string;

  before(async () => {
    arena = await startArena({ webClient: true, nodes: 2, token: ACCESS });
    master = arena.cluster.master.url;
    web = arena.cluster.client?.url as string;
    nodeA = arena.cluster.nodes[0]?.url as string;
    nodeB = arena.cluster.nodes[1]?.url as string;
    await arena.cluster.sdk.upload(bytes('readable file'), '/kept/file.txt');
  });
  afterEach(async () => {
    await assertIntact(arena);
  });
  after(async () => {
    await arena?.close();
  });

  const stored = (id: string) =>
    arena.cluster.nodes.some((n) => n.store.has(id) || existsSync(n.store.chunkPath(id)));

  describe('write tokens', () => {
    const putWith = (node: string, id: string, data: Buffer, headers: Record<string, string>) =>
      send(node, 'PUT', `/chunks/${id}`, {
        headers: { 'content-type': 'application/octet-stream', ...headers },
        body: data,
      });

    it('a chunk PUT without a valid write token gets 401/403 and stores nothing, here or downstream', async () => {
      const data = randomData(4096);
      const id = sha(data);
      const other = sha(randomData(10));
      const good = arena.token('put', id);
      const [op, chunk, expires, sig] = good.split('.') as [string, string, string, string];
      const flipped = `${sig.slice(0, 10)}${sig[10] === 'A' ? 'B' : 'A'}${sig.slice(11)}`;
      const cases: [string, Record<string, string>, number][] = [
        ['missing', {}, 401],
        ['empty', { 'x-dfs-token': '' }, 401],
        ['expired', { 'x-dfs-token': arena.token('put', id, Date.now() - CLOCK_SKEW_MS - 5_000) }, 403],
        ['for another chunk', { 'x-dfs-token': arena.token('put', other) }, 403],
        ['for another op', { 'x-dfs-token': arena.token('delete', id) }, 403],
        ['tampered signature', { 'x-dfs-token': `${op}.${chunk}.${expires}.${flipped}` }, 403],
        ['tampered expiry', { 'x-dfs-token': `${op}.${chunk}.${Number(expires) + 3_600_000}.${sig}` }, 403],
        [
          'tampered chunk',
          { 'x-dfs-token': `${op}.${id}.${expires}.${arena.token('put', other).split('.')[3]}` },
          403,
        ],
        ['tampered op', { 'x-dfs-token': `delete.${chunk}.${expires}.${sig}` }, 403],
        [
          'another secret',
          { 'x-dfs-token': signWriteToken('not-the-secret', 'put', id, Date.now() + 60_000) },
          403,
        ],
        ['truncated', { 'x-dfs-token': good.slice(0, -5) }, 403],
        ['extra field', { 'x-dfs-token': `${good}.x` }, 403],
        ['upper-case op', { 'x-dfs-token': `PUT.${chunk}.${expires}.${sig}` }, 403],
        ['negative expiry', { 'x-dfs-token': `${op}.${chunk}.-1.${sig}` }, 403],
        ['garbage', { 'x-dfs-token': 'x'.repeat(8000) }, 403],
        ['access token instead', { 'x-dfs-token': ACCESS, ...AUTH }, 403],
      ];
      for (const [what, headers, status] of cases) {
        for (const forward of [{}, { 'x-dfs-forward': nodeB }] as Record<string, string>[]) {
          const reply = await putWith(nodeA, id, data, { ...headers, ...forward });
          expect(reply.status, `${what}: ${reply.text}`).to.equal(status);
          expect(stored(id), `${what} stored the chunk`).to.equal(false);
        }
      }
      // And with the right token, the very same request works (the cases above failed on the token).
      const ok = await putWith(nodeA, id, data, { 'x-dfs-token': good, 'x-dfs-forward': nodeB });
      expect(ok.status).to.equal(201);
      expect(arena.cluster.nodes.every((n) => n.store.has(id))).to.equal(true);
    });

    it('tolerates a little clock skew, no more', async () => {
      const data = randomData(100);
      const id = sha(data);
      const late = await putWith(nodeA, id, data, {
        'x-dfs-token': arena.token('put', id, Date.now() - CLOCK_SKEW_MS / 2),
      });
      expect(late.status).to.equal(201);
    });

    it('a chunk DELETE without a valid token gets 401/403 and the chunk stays readable', async () => {
      const data = randomData(2048);
      const id = sha(data);
      expect((await putWith(nodeA, id, data, { 'x-dfs-token': arena.token('put', id) })).status).to.equal(
        201,
      );
      for (const [what, headers, status] of [
        ['missing', {}, 401],
        ['put token', { 'x-dfs-token': arena.token('put', id) }, 403],
        ['another chunk', { 'x-dfs-token': arena.token('delete', sha(Buffer.from('x'))) }, 403],
        ['expired', { 'x-dfs-token': arena.token('delete', id, Date.now() - 2 * CLOCK_SKEW_MS) }, 403],
        ['tampered', { 'x-dfs-token': `${arena.token('delete', id).slice(0, -2)}zz` }, 403],
        ['another secret', { 'x-dfs-token': signWriteToken('nope', 'delete', id, Date.now() + 9e5) }, 403],
      ] as const) {
        const reply = await send(nodeA, 'DELETE', `/chunks/${id}`, { headers });
        expect(reply.status, what).to.equal(status);
        const back = await send(nodeA, 'GET', `/chunks/${id}`, { headers: AUTH });
        expect(back.status, `${what}: chunk still readable`).to.equal(200);
        expect(back.body.equals(data)).to.equal(true);
      }
      const del = await send(nodeA, 'DELETE', `/chunks/${id}`, {
        headers: { 'x-dfs-token': arena.token('delete', id) },
      });
      expect(del.status).to.equal(200);
      expect((await send(nodeA, 'GET', `/chunks/${id}`, { headers: AUTH })).status).to.equal(404);
    });

    it('a forward list is checked before anything is stored or sent on', async () => {
      const data = randomData(512);
      const id = sha(data);
      const token = arena.token('put', id);
      for (const forward of [
        'file:///etc/passwd',
        'gopher://127.0.0.1:6379/_FLUSHALL',
        'http://user:pw@127.0.0.1:1',
        `${nodeB}/some/path`,
        `${nodeB}?q=1`,
        `${nodeB},${nodeB}`,
        Array.from({ length: 16 }, (_, i) => `http://127.0.0.${i + 1}:9`).join(','),
        'not a url',
      ]) {
        const reply = await putWith(nodeA, id, data, { 'x-dfs-token': token, 'x-dfs-forward': forward });
        expect(reply.status, forward).to.equal(400);
        expect(stored(id), forward).to.equal(false);
      }
    });
  });

  describe('node authentication', () => {
    const body = (id: string, url = 'http://127.0.0.1:9') => ({
      id,
      url,
      capacity: 1,
      free: 1,
      used: 0,
      chunks: [],
    });
    const nodesBefore = () =>
      arena.cluster.master.registry
        .info()
        .map((n) => `${n.id} ${n.url}`)
        .sort();

    it('register and heartbeat without or with a wrong secret get 401/403 and change nothing', async () => {
      const before = nodesBefore();
      const realId = arena.cluster.nodes[0]?.id as string;
      const now = Date.now();
      const cases: [string, Record<string, string>, number][] = [
        ['no header', {}, 401],
        ['bearer', AUTH, 401],
        ['garbage', { authorization: 'DFS-Node nonsense' }, 401],
        ['wrong secret', { authorization: signNodeAuth('wrong-secret', realId) }, 403],
        ['stale', { authorization: signNodeAuth('arena-secret', realId, now - 10 * CLOCK_SKEW_MS) }, 403],
        ['future', { authorization: signNodeAuth('arena-secret', realId, now + 10 * CLOCK_SKEW_MS) }, 403],
        [
          'signature for another node',
          {
            authorization: signNodeAuth('arena-secret', 'other').replace(
              'DFS-Node other',
              `DFS-Node ${realId}`,
            ),
          },
          403,
        ],
      ];
      for (const [what, headers, status] of cases) {
        for (const route of [
          '/internal/register',
          '/internal/heartbeat',
          '/internal/corrupt',
          '/internal/replicated',
        ]) {
          const reply = await sendJson(master, 'POST', route, body(realId), headers);
          expect(reply.status, `${what} ${route}`).to.equal(status);
        }
      }
      // Another spelling of the route is not a way around the check.
      for (const route of [
        '/Internal/register',
        '/INTERNAL/register',
        '/%69nternal/register',
        '//internal/register',
        '/internal//register',
        '/internal/register/',
        '/internal/./register',
      ]) {
        const reply = await sendJson(master, 'POST', route, body('intruder'));
        expect([401, 404], `${route}: ${reply.status}`).to.include(reply.status);
      }
      // A node authenticated as A cannot speak for B.
      const mismatch = await sendJson(master, 'POST', '/internal/heartbeat', body('someone-else'), {
        authorization: signNodeAuth('arena-secret', realId),
      });
      expect(mismatch.status).to.equal(403);
      expect(nodesBefore()).to.deep.equal(before);
    });

    it('a registration with an odd URL is refused and never contacted', async () => {
      // A listener standing in for an internal service: the master must never connect to it.
      let contacted = 0;
      const trap = net.createServer((s) => {
        contacted++;
        s.destroy();
      });
      await new Promise<void>((r) => trap.listen(0, '127.0.0.1', r));
      const port = (trap.address() as net.AddressInfo).port;
      const before = nodesBefore();
      try {
        for (const url of [
          'file:///etc/passwd',
          `gopher://127.0.0.1:${port}/_x`,
          'javascript:alert(1)',
          'data:text/plain,hello',
          `ftp://127.0.0.1:${port}/`,
          `ws://127.0.0.1:${port}`,
          `http://user:pass@127.0.0.1:${port}`,
          `http://127.0.0.1:${port}/internal/path`,
          `http://127.0.0.1:${port}/?x=1`,
          `http://127.0.0.1:${port}/#frag`,
          'not a url',
          '',
          42,
          null,
        ]) {
          const id = 'odd-node-1';
          const reply = await sendJson(
            master,
            'POST',
            '/internal/register',
            { ...body(id), url },
            {
              authorization: signNodeAuth('arena-secret', id),
            },
          );
          expect(reply.status, String(url)).to.equal(400);
          expect(arena.cluster.master.registry.get(id), String(url)).to.equal(undefined);
        }
        expect(nodesBefore()).to.deep.equal(before);
        expect(contacted).to.equal(0);
      } finally {
        trap.close();
      }
    });
  });

  describe('access token', () => {
    it('the master API refuses anyone without it (401; 403 for a wrong one), whatever the spelling of the route', async () => {
      const routes: [string, string][] = [
        ['GET', '/api/config'],
        ['GET', '/api/files'],
        ['GET', '/api/files/kept/file.txt'],
        ['DELETE', '/api/files/kept/file.txt'],
        ['GET', '/api/nodes'],
        ['GET', '/api/status'],
        ['POST', '/api/chunks/allocate'],
        ['POST', '/api/files'],
        ['POST', '/api/dirs'],
        ['DELETE', '/api/dirs/kept'],
        ['POST', '/api/move'],
        ['GET', '/api/../api/nodes'],
        ['GET', '/files/kept/file.txt'],
      ];
      for (const [method, route] of routes) {
        for (const headers of [
          {},
          { authorization: 'Bearer wrong' },
          { authorization: ACCESS },
          { cookie: `x=${ACCESS}` },
        ]) {
          const reply = await sendJson(master, method, route, { path: '/pwned' }, headers);
          const wrong = headers.authorization === 'Bearer wrong';
          expect(reply.status, `${method} ${route} ${JSON.stringify(headers)}`).to.equal(wrong ? 403 : 401);
        }
      }
      // Other spellings of API routes do not exist (they used to bypass the gate).
      for (const route of ['/API/nodes', '/Api/files', '/API/config', '/api%2fnodes']) {
        const reply = await send(master, 'GET', route);
        expect(reply.status, route).to.equal(404);
      }
      const ok = await send(master, 'GET', '/api/nodes', { headers: { authorization: `bearer ${ACCESS}` } });
      expect(ok.status).to.equal(200);
      expect((await arena.cluster.sdk.list('/')).entries.map((e) => e.path)).to.deep.equal([
        '/kept/file.txt',
      ]);
    });

    it('the web client refuses API calls without a session, and the session cookie is HttpOnly and SameSite', async () => {
      const csrf = { 'x-dfs-csrf': '1' };
      for (const [method, route] of [
        ['GET', '/api/list'],
        ['GET', '/api/config'],
        ['GET', '/api/status'],
        ['GET', '/api/stat/kept/file.txt'],
        ['GET', '/api/download/kept/file.txt'],
        ['PUT', '/api/files/pwned.txt'],
        ['DELETE', '/api/files/kept/file.txt'],
        ['POST', '/api/mkdir'],
        ['POST', '/api/move'],
        ['GET', '/API/list'],
        ['POST', '/API/mkdir'],
        ['GET', '/anything-else'],
      ]) {
        const forged = { cookie: `${SESSION_COOKIE}_${new URL(web).port}=forged` };
        for (const headers of [csrf, { ...csrf, ...forged }, { ...csrf, authorization: 'Bearer nope' }]) {
          const reply = await sendJson(web, method as string, route as string, { path: '/pwned' }, headers);
          const wrong = 'authorization' in headers;
          expect(reply.status, `${method} ${route}`).to.equal(wrong ? 403 : 401);
        }
      }
      // The page itself and its assets load (the page asks for the token).
      expect((await send(web, 'GET', '/')).status).to.equal(200);
      expect((await send(web, 'GET', '/assets/style.css')).status).to.equal(200);

      const wrong = await sendJson(web, 'POST', '/session', { token: 'nope' }, csrf);
      expect(wrong.status).to.equal(401);
      expect(wrong.headers['set-cookie']).to.equal(undefined);
      const login = await sendJson(web, 'POST', '/session', { token: ACCESS }, csrf);
      expect(login.status).to.equal(204);
      const cookie = login.headers['set-cookie']?.[0] ?? '';
      // Named by the daemon's port: browsers send a host's cookies to all its ports.
      expect(cookie).to.match(new RegExp(`^${SESSION_COOKIE}_${new URL(web).port}=`));
      expect(cookie.toLowerCase()).to.include('httponly');
      expect(cookie.toLowerCase()).to.include('samesite=strict');
      expect(cookie).not.to.include(ACCESS);
      const session = { cookie: cookie.split(';')[0] as string };
      expect((await send(web, 'GET', '/api/list', { headers: session })).status).to.equal(200);
      // The same session under another daemon's name (the master's page, another cluster on this
      // host) opens nothing here.
      const elsewhere = { cookie: session.cookie.replace(/^dfs_session_\d+=/, 'dfs_session_1=') };
      expect((await send(web, 'GET', '/api/list', { headers: elsewhere })).status).to.equal(401);
      expect((await send(web, 'GET', '/api/list', { headers: AUTH })).status).to.equal(200);
      expect(
        (await sendJson(web, 'POST', '/api/mkdir', { path: '/made' }, { ...session, ...csrf })).status,
      ).to.equal(201);
      expect(
        (await send(web, 'DELETE', '/api/trees/made', { headers: { ...session, ...csrf } })).status,
      ).to.equal(200);
    });

    it('chunk reads on a node need it; the status API too', async () => {
      const info = await arena.cluster.sdk.stat('/kept/file.txt');
      const chunk = info.chunks[0];
      const node = chunk?.replicas[0]?.url as string;
      for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: ACCESS }]) {
        const expected = headers.authorization === 'Bearer wrong' ? 403 : 401;
        for (const method of ['GET', 'HEAD']) {
          expect((await send(node, method, `/chunks/${chunk?.id}`, { headers })).status, method).to.equal(
            expected,
          );
        }
        expect((await send(node, 'GET', '/api/status', { headers })).status).to.equal(expected);
      }
      const ok = await send(node, 'GET', `/chunks/${chunk?.id}`, { headers: AUTH });
      expect(ok.status).to.equal(200);
      expect(ok.text).to.equal('readable file');
      expect(ok.headers['cache-control']).to.match(/^private/);
    });

    it('the CLI sends it from $DFS_TOKEN or --token', async () => {
      const none = await cli(['ls', '/', '--json', '--master', master], { DFS_TOKEN: undefined });
      expect(none.code).to.equal(1);
      expect(none.stderr).to.include('access token');
      const fromEnv = await cli(['ls', '/', '--json', '--master', master], { DFS_TOKEN: ACCESS });
      expect(fromEnv.code, fromEnv.stderr).to.equal(0);
      expect(JSON.parse(fromEnv.stdout).map((e: { name: string }) => e.name)).to.include('kept');
      const fromFlag = await cli(['ls', '/', '--json', '--master', master, '--token', ACCESS], {
        DFS_TOKEN: 'wrong',
      });
      expect(fromFlag.code, fromFlag.stderr).to.equal(0);
      const wrong = await cli(['stat', '/kept/file.txt', '--master', master, '--token', 'wrong']);
      expect(wrong.code).to.equal(1);
      expect(path.basename(wrong.stderr)).not.to.include(' at ');
    });
  });

  it('answers carry no stack traces (checked on every reply above) and the secret never leaks', async () => {
    for (const url of arena.daemons()) {
      for (const route of ['/', '/api/status', '/api/config', '/nope']) {
        const reply: Reply = await send(url, 'GET', route, { headers: AUTH });
        expect(reply.text).not.to.include('arena-secret');
        expect(reply.text).not.to.include(ACCESS);
      }
    }
  });
});
