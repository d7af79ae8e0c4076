// The master's dashboard with an access token: a browser signs in once (POST /session) and its
// SameSite cookie then opens the API's reads — the file finder and chunk maps — and nothing else.

import { expect } from 'chai';
import { startCluster, type TestCluster } from '../helpers/cluster.js';

const TOKEN = 'dashboard-token';

describe('master dashboard session', function () {
  this.timeout(30_000);
  let cluster: TestCluster;
  let cookie = '';

  before(async () => {
    cluster = await startCluster({ token: TOKEN });
    await cluster.sdk.upload([Buffer.from('hello')], '/docs/hello.txt');
  });
  after(async () => {
    await cluster?.close();
  });

  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${cluster.master.url}${path}`, { headers });
  const signIn = (token: string, headers: Record<string, string> = { 'x-dfs-csrf': '1' }) =>
    fetch(`${cluster.master.url}/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ token }),
    });

  it('offers a sign-in form and keeps the API closed without the token', async () => {
    const page = await (await get('/')).text();
    expect(page).to.include('id="dash-login"');
    expect((await get('/api/files?prefix=/')).status).to.equal(401);
    expect((await get('/files/docs/hello.txt')).status).to.equal(401);
    // A browser opening a chunk map gets a page that says where to sign in; a program, JSON.
    const browser = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };
    const page401 = await get('/files/docs/hello.txt', browser);
    expect([page401.status, page401.headers.get('content-type')]).to.deep.equal([
      401,
      'text/html; charset=utf-8',
    ]);
    expect(await page401.text()).to.include('sign in on the start page');
    expect((await get('/api/files?prefix=/', browser)).headers.get('content-type')).to.match(/json/);
  });

  it('answers a missing page with a page in a browser, and with JSON to a program', async () => {
    const browser = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8', authorization: `Bearer ${TOKEN}` };
    const missing = await get('/files/docs/nope.txt', browser);
    expect(missing.status).to.equal(404);
    const text = await missing.text();
    expect(text).to.include('404 Not Found');
    expect(text).to.include('not found: /docs/nope.txt');
    expect(text).to.not.include('"error"');
    const program = await get('/files/docs/nope.txt', { authorization: `Bearer ${TOKEN}` });
    expect((await program.json()) as unknown).to.deep.include({
      error: { code: 'not_found', message: 'not found: /docs/nope.txt' },
    });
  });

  it('refuses a sign-in without the CSRF header, from another site, or with a wrong token', async () => {
    expect((await signIn(TOKEN, {})).status).to.equal(403);
    expect((await signIn(TOKEN, { 'x-dfs-csrf': '1', origin: 'http://evil.example' })).status).to.equal(403);
    expect((await signIn('wrong')).status).to.equal(401);
  });

  it('signs in once with an HttpOnly, SameSite=Strict cookie that opens reads', async () => {
    const res = await signIn(TOKEN);
    expect(res.status).to.equal(204);
    const setCookie = res.headers.get('set-cookie') ?? '';
    expect(setCookie).to.match(/httponly/i);
    expect(setCookie).to.match(/samesite=strict/i);
    cookie = setCookie.split(';')[0] ?? '';
    expect((await get('/api/files?prefix=/docs/', { cookie })).status).to.equal(200);
    expect((await get('/files/docs/hello.txt', { cookie })).status).to.equal(200);
    expect(await (await get('/', { cookie })).text()).to.not.include('id="dash-login"');
  });

  it('never lets the cookie alone change anything', async () => {
    const move = await fetch(`${cluster.master.url}/api/move`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json', 'x-dfs-csrf': '1' },
      body: JSON.stringify({ from: '/docs/hello.txt', to: '/docs/moved.txt' }),
    });
    expect(move.status).to.equal(401);
    expect((await cluster.sdk.stat('/docs/hello.txt')).size).to.equal(5);
  });
});
