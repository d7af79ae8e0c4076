// The web-facing defences: security headers on every answer of every daemon, downloads as
// attachments with safely encoded names, cross-origin writes refused, markup names escaped,
// and symlinks or FIFOs planted in a node's folder never followed or served.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { CSRF_HEADER } from '../../src/http/session.js';
import { type Arena, assertIntact, outsideTree, type Reply, send, startArena } from '../helpers/adversary.js';
import { bytes, randomData, sha256 as sha } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';

const CSRF = { [CSRF_HEADER]: '1' };
const encodePath = (p: string) => p.split('/').map(encodeURIComponent).join('/');

/** The directives of a Content-Security-Policy header. */
function directives(csp: string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const part of csp.split(';')) {
    const [name, ...values] = part.trim().split(/\s+/);
    if (name) map.set(name.toLowerCase(), values);
  }
  return map;
}

function expectSecurityHeaders(reply: Reply, what: string): void {
  const csp = reply.headers['content-security-policy'];
  expect(csp, `${what}: CSP`).to.be.a('string');
  const d = directives(csp as string);
  const script = d.get('script-src') ?? d.get('default-src');
  expect(script, `${what}: script-src`).to.be.an('array');
  expect(script, `${what}: inline script`).not.to.include("'unsafe-inline'");
  expect(script, `${what}: eval`).not.to.include("'unsafe-eval'");
  expect(
    script?.some((s) => s === '*' || s === 'data:' || s === 'http:'),
    `${what}: wildcard script`,
  ).to.equal(false);
  expect(d.get('object-src'), `${what}: object-src`).to.deep.equal(["'none'"]);
  expect(d.get('frame-ancestors'), `${what}: framing`).to.deep.equal(["'none'"]);
  expect(reply.headers['x-content-type-options'], `${what}: nosniff`).to.equal('nosniff');
}

describe('security: web', function () {
  this.timeout(60_000);
  let arena: Arena;
  let web: string;
  let master: string;

  before(async () => {
    arena = await startArena({ webClient: true, nodes: 2 });
    web = arena.cluster.client?.url as string;
    master = arena.cluster.master.url;
    await arena.cluster.sdk.upload(bytes('kept'), '/kept.txt');
  });
  afterEach(async () => {
    await assertIntact(arena);
  });
  after(async () => {
    await arena?.close();
  });

  it('every answer of every daemon carries a CSP without inline script, and nosniff', async () => {
    const info = await arena.cluster.sdk.stat('/kept.txt');
    const chunk = info.chunks[0];
    const holder = chunk?.replicas[0]?.url as string;
    const requests: [string, string, string, Record<string, string>?, string?][] = [
      [web, 'GET', '/'],
      [web, 'GET', '/assets/style.css'],
      [web, 'GET', '/assets/nope.js'],
      [web, 'GET', '/api/list'],
      [web, 'GET', '/api/download/kept.txt'],
      [web, 'HEAD', '/api/download/kept.txt'],
      [web, 'GET', '/api/download/kept.txt?inline=1'],
      [web, 'GET', '/api/download/missing.txt'],
      [web, 'GET', '/api/download/%2e%2e'],
      [web, 'PUT', '/api/files/x.txt', { Origin: 'http://evil.example', ...CSRF }, 'x'],
      [web, 'OPTIONS', '/api/list'],
      [web, 'GET', '/no/such/page'],
      [master, 'GET', '/'],
      [master, 'GET', '/api/files'],
      [master, 'GET', '/files/kept.txt'],
      [master, 'GET', '/files/missing'],
      [master, 'POST', '/internal/register', {}, '{}'],
      [master, 'POST', '/api/dirs', { 'content-type': 'application/json' }, '{'],
      [holder, 'GET', '/'],
      [holder, 'GET', `/chunks/${chunk?.id}`],
      [holder, 'GET', '/chunks/nothex'],
      [holder, 'PUT', `/chunks/${chunk?.id}`, {}, 'x'],
    ];
    for (const [base, method, route, headers, body] of requests) {
      const reply = await send(base, method, route, { headers, body });
      expectSecurityHeaders(
        reply,
        `${method} ${base === web ? 'web' : base === master ? 'master' : 'node'} ${route} (${reply.status})`,
      );
    }
  });

  it('downloads are attachments whose names cannot inject headers or break out of the quotes', async () => {
    const names = [
      '/dl/"quoted"; filename=evil.html',
      "/dl/it's (a) *test*.txt",
      '/dl/日本語 ü ñ.bin',
      '/dl/100% sure.txt',
      '/dl/<img src=x onerror=alert(1)>.html',
      '/dl/a,b;c=d.txt',
      '/dl/emoji 🚀.txt',
      '/dl/\u202egnp.exe',
    ];
    for (const [i, name] of names.entries()) {
      await arena.cluster.sdk.upload(bytes(`content ${i}`), name);
      for (const query of ['', '?inline=1']) {
        const reply = await send(web, 'GET', `/api/download${encodePath(name)}${query}`);
        expect(reply.status, name).to.equal(200);
        expect(reply.text).to.equal(`content ${i}`);
        expect(reply.headers['content-type']).to.equal('application/octet-stream');
        expect(reply.headers['x-content-type-options']).to.equal('nosniff');
        expect(reply.headers['set-cookie']).to.equal(undefined);
        const dispositions = reply.rawHeaders.filter(
          (_, k) => k % 2 === 0 && reply.rawHeaders[k]?.toLowerCase() === 'content-disposition',
        );
        expect(dispositions, name).to.have.length(1);
        const value = reply.headers['content-disposition'] as string;
        expect(value).to.match(query ? /^inline; / : /^attachment; /);
        // Every byte is printable ASCII: nothing for a header parser to split on.
        expect(value).to.match(/^[\x20-\x7e]+$/);
        const match =
          /^(?:attachment|inline); filename="([^"\\]*)"; filename\*=UTF-8''([A-Za-z0-9!#$&+\-.^_`|~%]+)$/.exec(
            value,
          );
        expect(match, `${name}: ${value}`).to.not.equal(null);
        expect(match?.[1]).not.to.include('%');
        expect(decodeURIComponent(match?.[2] as string)).to.equal(name.slice('/dl/'.length));
      }
    }
  });

  it('cross-origin or header-less writes to the web client are refused and change nothing', async () => {
    const url = new URL(web);
    const attempts: [string, string, Record<string, string>, string?][] = [];
    const forged: Record<string, string>[] = [
      { Origin: 'http://evil.example', ...CSRF },
      { Origin: `http://${url.hostname}:${Number(url.port) + 1}`, ...CSRF },
      { Origin: 'null', ...CSRF },
      { Origin: 'not a url', ...CSRF },
      { 'Sec-Fetch-Site': 'cross-site', ...CSRF },
      { 'Sec-Fetch-Site': 'same-site', ...CSRF },
      { Origin: url.origin },
      { Origin: url.origin, [CSRF_HEADER]: '0' },
      { Origin: url.origin, [CSRF_HEADER]: 'true' },
      {},
      { 'content-type': 'text/plain' },
      { 'content-type': 'application/x-www-form-urlencoded' },
      { 'content-type': 'multipart/form-data; boundary=x' },
    ];
    for (const headers of forged) {
      attempts.push(
        ['PUT', '/api/files/csrf.txt', headers, 'evil'],
        ['DELETE', '/api/files/kept.txt', headers],
        ['POST', '/api/mkdir', { 'content-type': 'application/json', ...headers }, '{"path":"/csrf"}'],
        [
          'POST',
          '/api/move',
          { 'content-type': 'application/json', ...headers },
          '{"from":"/kept.txt","to":"/moved"}',
        ],
        ['POST', '/session', { 'content-type': 'application/json', ...headers }, '{"token":"x"}'],
        ['DELETE', '/session', headers],
        ['PUT', '/API/files/csrf.txt', headers, 'evil'],
        ['PATCH', '/api/files/kept.txt', headers, 'evil'],
        ['POST', '/api/files/kept.txt', headers, 'evil'],
      );
    }
    for (const [method, route, headers, body] of attempts) {
      const reply = await send(web, method, route, { headers, body });
      expect(reply.status, `${method} ${route} ${JSON.stringify(headers)}`).to.equal(403);
    }
    const names = (await arena.cluster.sdk.list('/')).entries.map((e) => e.path);
    expect(names).to.include('/kept.txt');
    expect(names).not.to.include('/csrf.txt');
    expect(names).not.to.include('/csrf/');
    expect(names).not.to.include('/moved');
    // The page's own requests (same origin, custom header) work.
    const own = await send(web, 'PUT', '/api/files/own.txt', {
      headers: { Origin: url.origin, 'Sec-Fetch-Site': 'same-origin', ...CSRF },
      body: 'mine',
    });
    expect(own.status).to.equal(201);
    // A partial PUT is refused (RFC 9110 §14.5), not stored as the whole file.
    const partial = await send(web, 'PUT', '/api/files/own.txt', {
      headers: { ...CSRF, 'Content-Range': 'bytes 1-2/4' },
      body: 'XY',
    });
    expect(partial.status).to.equal(400);
    expect((await arena.cluster.sdk.stat('/own.txt')).size).to.equal(4);
    expect((await send(web, 'DELETE', '/api/files/own.txt', { headers: CSRF })).status).to.equal(200);
  });

  it('a token-less web client on loopback refuses a DNS-rebound Host name', async () => {
    const port = new URL(web).port;
    for (const host of [
      'evil.example',
      `evil.example:${port}`,
      '127.0.0.1.nip.io',
      'localhost.evil.example',
    ]) {
      for (const [method, route, body] of [
        ['GET', '/api/list', undefined],
        ['GET', '/api/download/kept.txt', undefined],
        ['GET', '/', undefined],
        ['PUT', '/api/files/rebound.txt', 'evil'],
      ] as const) {
        const origin = `http://${host.includes(':') ? host : `${host}:${port}`}`;
        const reply = await send(web, method, route, {
          headers: { Host: host, Origin: origin, ...CSRF },
          body,
        });
        expect(reply.status, `${host} ${method} ${route}`).to.equal(403);
      }
    }
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `app.localhost:${port}`]) {
      expect((await send(web, 'GET', '/api/list', { headers: { Host: host } })).status, host).to.equal(200);
    }
    expect((await arena.cluster.sdk.list('/')).entries.map((e) => e.path)).not.to.include('/rebound.txt');
  });

  it('a markup file name is escaped in server-rendered pages and only ever sent as JSON data', async () => {
    const name = '/xss/\'"><script>alert(1)<img src=x onerror=alert(2)><svg onload=alert(3)>.txt';
    await arena.cluster.sdk.upload(bytes('x'), name);
    const pageReply = await send(master, 'GET', `/files${encodePath(name)}`);
    expect(pageReply.status).to.equal(200);
    expect(pageReply.headers['content-type']).to.match(/^text\/html/);
    expect(pageReply.text).not.to.include('<script>alert(1)');
    expect(pageReply.text).not.to.include('<img src=x');
    expect(pageReply.text).not.to.include('<svg onload');
    for (const html of [await send(master, 'GET', '/'), await send(web, 'GET', '/')]) {
      expect(html.text).not.to.include('<script>alert(1)');
      expect(html.text).not.to.match(/<script(?![^>]*\bsrc=)(?![^>]*type="application\/json")[^>]*>/);
    }
    const listing = await send(web, 'GET', '/api/list?prefix=%2Fxss%2F');
    expect(listing.headers['content-type']).to.match(/^application\/json/);
    expect(listing.json<{ entries: { path: string }[] }>().entries[0]?.path).to.equal(name);
  });

  describe('planted symlinks and FIFOs in a node folder', () => {
    it('a symlink named like a chunk, pointing outside, is never served, even after a restart', async () => {
      const content = randomData(1000);
      const id = sha(content);
      const target = path.join(arena.outside, 'planted-chunk');
      await fs.writeFile(target, content);
      arena.baseline = await outsideTree(arena);
      const node = arena.cluster.nodes[0];
      if (!node) throw new Error('no node');
      const dir = path.join(node.store.root, 'chunks', id.slice(0, 2));
      await fs.mkdir(dir, { recursive: true });
      const link = path.join(dir, id);
      await fs.symlink(target, link);
      try {
        const reply = await send(node.url, 'GET', `/chunks/${id}`);
        expect(reply.status).to.equal(404);
        // Restarted on the same folder, the node does not take the link into its inventory.
        const data = node.store.root;
        await node.close();
        arena.cluster.nodes.splice(arena.cluster.nodes.indexOf(node), 1);
        const again = await arena.cluster.addNode(data);
        expect(again.store.has(id)).to.equal(false);
        const after = await send(again.url, 'GET', `/chunks/${id}`);
        expect(after.status).to.equal(404);
        expect(after.body.equals(content)).to.equal(false);
      } finally {
        await fs.rm(link, { force: true });
      }
    });

    it('a stored chunk swapped for a symlink or a FIFO reads as missing (and never hangs)', async () => {
      const content = randomData(20_000);
      await arena.cluster.sdk.upload(bytes(content), '/swap.bin');
      const id = sha(content);
      const node = arena.cluster.nodes.find((n) => n.store.has(id));
      if (!node) throw new Error('no replica');
      const file = node.store.chunkPath(id);
      const target = path.join(arena.outside, 'same-bytes');
      await fs.writeFile(target, content);
      arena.baseline = await outsideTree(arena);
      try {
        await fs.rm(file);
        await fs.symlink(target, file);
        const viaLink = await send(node.url, 'GET', `/chunks/${id}`);
        expect(viaLink.status).to.equal(404);
        await fs.rm(file);
        execFileSync('mkfifo', [file]);
        const viaFifo = await send(node.url, 'GET', `/chunks/${id}`);
        expect(viaFifo.status).to.equal(404);
      } finally {
        await fs.rm(file, { force: true });
        await fs.writeFile(file, content);
      }
      expect((await send(node.url, 'GET', `/chunks/${id}`)).body.equals(content)).to.equal(true);
    });

    it('a symlinked fan-out folder is neither read through nor written through', async () => {
      // Over the pack limit: a chunk with a file of its own, in a fan-out folder.
      const content = randomData(20_000);
      const id = sha(content);
      const node = arena.cluster.nodes[0];
      if (!node) throw new Error('no node');
      const outsideDir = path.join(arena.outside, 'fanout');
      await fs.mkdir(outsideDir);
      await fs.writeFile(path.join(outsideDir, id), content);
      arena.baseline = await outsideTree(arena);
      const prefix = path.join(node.store.root, 'chunks', id.slice(0, 2));
      await fs.rm(prefix, { recursive: true, force: true });
      await fs.symlink(outsideDir, prefix);
      try {
        expect((await send(node.url, 'GET', `/chunks/${id}`)).status).to.equal(404);
        // Writing the chunk would rename it into the linked folder: refused, the detail logged.
        const put = await send(node.url, 'PUT', `/chunks/${id}`, {
          headers: { 'x-dfs-token': arena.token('put', id) },
          body: content,
        });
        expect(put.status).to.be.within(500, 599);
        expect(put.json().error?.code).to.equal('internal');
        expect(await fs.readdir(outsideDir)).to.deep.equal([id]);
        // Nor is a file deleted through it.
        const del = await send(node.url, 'DELETE', `/chunks/${id}`, {
          headers: { 'x-dfs-token': arena.token('delete', id) },
        });
        expect(del.status).to.equal(200);
        expect(del.json<{ deleted: boolean }>().deleted).to.equal(false);
        expect(await fs.readdir(outsideDir)).to.deep.equal([id]);
        await waitFor(
          () => arena.cluster.logs.some((l) => l.includes('is not a real folder')),
          'the detail in the log',
        );
      } finally {
        await fs.rm(prefix, { force: true });
      }
    });
  });
});
