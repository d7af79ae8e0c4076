// A missing access token and a wrong one are told apart everywhere a token is checked: 401
// `unauthorized` with `WWW-Authenticate: Bearer` for none, 403 `forbidden` for a wrong one —
// on the master's API, a node's chunk reads, the web client's API — and the CLI says which.

import { expect } from 'chai';
import type { ErrorBody } from '../../src/protocol/errors.js';
import { dfs, requireBuild } from '../helpers/cli.js';
import { bytes, startCluster, type TestCluster } from '../helpers/cluster.js';

const TOKEN = 'the-right-access-token';

describe('access token: missing (401) or wrong (403)', function () {
  this.timeout(60_000);
  let cluster: TestCluster;
  let chunkUrl: string;

  before(async () => {
    requireBuild();
    cluster = await startCluster({ nodes: 2, token: TOKEN, webClient: true });
    await cluster.sdk.upload(bytes('guarded'), '/guarded.txt');
    const info = await cluster.sdk.stat('/guarded.txt');
    const chunk = info.chunks[0];
    chunkUrl = `${chunk?.replicas[0]?.url}/chunks/${chunk?.id}`;
  });

  after(async () => {
    await cluster?.close();
  });

  async function expectRefusals(url: string, init: RequestInit = {}) {
    const ask = (authorization?: string) =>
      fetch(url, {
        ...init,
        headers: { ...(init.headers as object), ...(authorization ? { authorization } : {}) },
      });
    for (const none of [undefined, TOKEN, `Basic ${Buffer.from(`u:${TOKEN}`).toString('base64')}`]) {
      const res = await ask(none);
      expect(res.status, `${url} with ${none}`).to.equal(401);
      expect(res.headers.get('www-authenticate')).to.match(/^Bearer\b/);
      if (init.method !== 'HEAD')
        expect(((await res.json()) as ErrorBody).error.code).to.equal('unauthorized');
    }
    for (const wrong of ['Bearer nope', `Bearer ${TOKEN}x`, `bearer ${TOKEN.slice(1)}`]) {
      const res = await ask(wrong);
      expect(res.status, `${url} with ${wrong}`).to.equal(403);
      if (init.method !== 'HEAD') {
        expect(((await res.json()) as ErrorBody).error).to.deep.equal({
          code: 'forbidden',
          message: 'the access token was refused',
        });
      }
    }
    expect((await ask(`Bearer ${TOKEN}`)).status).to.equal(200);
  }

  it('on the master API', async () => {
    await expectRefusals(`${cluster.master.url}/api/files?prefix=/`);
    await expectRefusals(`${cluster.master.url}/api/nodes`);
  });

  it("on a node's chunk reads and status", async () => {
    await expectRefusals(chunkUrl);
    await expectRefusals(chunkUrl, { method: 'HEAD' });
    await expectRefusals(`${cluster.nodes[0]?.url}/api/status`);
  });

  it("on the web client's API (a stale session cookie is a missing sign-in)", async () => {
    const web = cluster.client?.url as string;
    await expectRefusals(`${web}/api/list?prefix=/`);
    const stale = await fetch(`${web}/api/list?prefix=/`, { headers: { cookie: 'dfs_session=stale' } });
    expect(stale.status).to.equal(401);
    expect(stale.headers.get('www-authenticate')).to.match(/^Bearer\b/);
    // The page itself still loads with a wrong token: it shows the sign-in form.
    expect((await fetch(`${web}/`, { headers: { authorization: 'Bearer nope' } })).status).to.equal(200);
  });

  it('the CLI says whether the token is missing or refused', async () => {
    const env = { DFS_MASTER: cluster.master.url };
    const none = await dfs(['ls', '/'], { env });
    expect(none.stderr).to.equal('dfs: the cluster needs an access token: set DFS_TOKEN or --token\n');
    expect(none.code).to.equal(1);
    const wrong = await dfs(['stat', '/guarded.txt'], { env: { ...env, DFS_TOKEN: 'nope' } });
    expect(wrong.stderr).to.equal('dfs: the access token was refused\n');
    expect(wrong.code).to.equal(1);
    const right = await dfs(['download', '/guarded.txt', '-', '--token', TOKEN], { env });
    expect(right.code, right.stderr).to.equal(0);
    expect(right.stdout.toString()).to.equal('guarded');
  });
});
