// Adversarial names: traversal in raw, encoded and double-encoded forms, control characters,
// CR/LF and over-long names against the master API, the web client and the nodes' chunk routes.
// After every case nothing has appeared outside the data folders and every daemon still serves.

import { expect } from 'chai';
import { MAX_PATH_BYTES, MAX_SEGMENT_BYTES } from '../../src/protocol/paths.js';
import {
  type Arena,
  assertIntact,
  type Reply,
  raw,
  send,
  sendJson,
  spyOnStores,
  startArena,
} from '../helpers/adversary.js';
import { bytes } from '../helpers/cluster.js';

const CSRF = { 'x-dfs-csrf': '1' };
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
/** A request as the web client's page sends it: its CSRF header, and a body with a PUT. */
const sendAsPage = (base: string, method: string, target: string) =>
  send(base, method, target, {
    headers: method === 'PUT' ? { ...CSRF, 'content-type': 'application/octet-stream' } : CSRF,
    body: method === 'PUT' ? 'payload' : undefined,
  });
const enc = (s: string) => encodeURIComponent(s);
const HEX = 'ab'.repeat(32);

/** URL tails that must be refused (400) wherever a remote path is taken from the URL. */
const BAD_URL_NAMES: string[] = [
  // raw traversal, sent byte for byte
  '..',
  '../../outside/secret.txt',
  'a/../../../outside/etc/passwd',
  './x',
  'a/./b',
  // percent-encoded traversal, any case
  '%2e%2e',
  '%2E%2E/%2e%2e/outside/secret.txt',
  '%2e%2e%2f%2e%2e%2foutside%2fsecret.txt',
  '..%2f..%2foutside%2fsecret.txt',
  '..%2F',
  'a%2f..%2f..%2fb',
  '.%2e/x',
  // backslashes, raw and encoded
  '..\\..\\outside\\secret.txt',
  '..%5c..%5coutside',
  'a\\b',
  // broken percent-encoding and overlong UTF-8 dots
  '%c0%ae%c0%ae/outside',
  '%',
  '%zz',
  '%e2%82',
  // NUL, CR/LF (header injection), escape, DEL, C1
  '%00',
  'a%00.txt',
  'a.txt%00.jpg',
  '%0d%0aSet-Cookie:%20pwned=1',
  'x%0ay',
  '%1b%5b31m',
  '%7f',
  '%c2%85',
  '%09',
  // blank segments
  '%20',
  'a/%20%20/b',
  // lone surrogate (CESU-8 encoded)
  '%ed%a0%80',
  // over-long: one segment over 255 bytes, a path over 1024 bytes, multi-byte characters
  'a'.repeat(MAX_SEGMENT_BYTES + 1),
  enc('é'.repeat(MAX_SEGMENT_BYTES / 2 + 1)),
  `${'a'.repeat(200)}/`.repeat(Math.ceil(MAX_PATH_BYTES / 201) + 1),
];

/** Names given in JSON bodies (already decoded strings) that must be refused. */
const BAD_JSON_NAMES: unknown[] = [
  '..',
  '../outside',
  '/a/../../b',
  '.',
  '/a/./b',
  'a\\b',
  'a\u0000b',
  'a\r\nSet-Cookie: x=1',
  'tab\there',
  '\u001b[2J',
  '\u0085',
  '\u009b',
  'a'.repeat(MAX_SEGMENT_BYTES + 1),
  `${'a'.repeat(100)}/`.repeat(11),
  '\ud800',
  '',
  '/',
  ' ',
  '/a/ /b',
  42,
  null,
  ['a'],
  { path: '/a' },
];

function expectRefused(reply: Reply, what: string, statuses = [400]): void {
  expect(statuses, `${what}: got ${reply.status} ${reply.text.slice(0, 200)}`).to.include(reply.status);
  if (reply.body.length > 0 && reply.headers['content-type']?.includes('json')) {
    const body = reply.json();
    expect(body.error?.code, what).to.be.a('string');
  }
  expect(reply.headers['set-cookie'], `${what} set a cookie`).to.equal(undefined);
}

describe('security: names', function () {
  this.timeout(60_000);
  let arena: Arena;
  let master: string;
  let web: string;

  before(async () => {
    arena = await startArena({ webClient: true, nodes: 2 });
    master = arena.cluster.master.url;
    web = arena.cluster.client?.url as string;
    await arena.cluster.sdk.upload(bytes('kept'), '/kept/file.txt');
  });
  afterEach(async () => {
    await assertIntact(arena);
  });
  after(async () => {
    await arena?.close();
  });

  it('the master API refuses every bad name in a URL with 400', async () => {
    for (const name of BAD_URL_NAMES) {
      for (const [method, prefix] of [
        ['GET', '/api/files/'],
        ['DELETE', '/api/files/'],
        ['DELETE', '/api/dirs/'],
      ] as const) {
        expectRefused(await send(master, method, `${prefix}${name}`), `${method} ${prefix}${name}`);
      }
    }
  });

  it('the master file page refuses every bad name with 400', async () => {
    for (const name of BAD_URL_NAMES) {
      const reply = await send(master, 'GET', `/files/${name}`);
      expectRefused(reply, `GET /files/${name}`);
    }
  });

  it('the web client refuses every bad name in a URL with 400, and stores nothing', async () => {
    for (const name of BAD_URL_NAMES) {
      for (const [method, prefix] of [
        ['GET', '/api/stat/'],
        ['GET', '/api/download/'],
        ['HEAD', '/api/download/'],
        ['PUT', '/api/files/'],
        ['DELETE', '/api/files/'],
      ] as const) {
        expectRefused(await sendAsPage(web, method, `${prefix}${name}`), `${method} ${prefix}${name}`);
      }
    }
    const all = await arena.cluster.sdk.list('/');
    expect(all.entries.map((e) => e.path)).to.deep.equal(['/kept/file.txt']);
  });

  it('a file route given a folder URL (a trailing / or %2F), or a commit a folder path, is refused with 400, never acting on the file', async () => {
    for (const tail of ['kept/file.txt/', 'kept/file.txt%2F', 'kept/file.txt%2f']) {
      for (const [base, method, prefix] of [
        [master, 'GET', '/api/files/'],
        [master, 'DELETE', '/api/files/'],
        [master, 'GET', '/files/'],
        [web, 'GET', '/api/stat/'],
        [web, 'GET', '/api/download/'],
        [web, 'PUT', '/api/files/'],
        [web, 'DELETE', '/api/files/'],
      ] as const) {
        expectRefused(await sendAsPage(base, method, `${prefix}${tail}`), `${method} ${prefix}${tail}`);
      }
    }
    // Nor is a file committed under a folder's name.
    for (const [i, path] of ['/kept/file.txt/', '/kept/new.txt/'].entries()) {
      // A begun upload (its lease), so that nothing but the path can be refused.
      const upload = `upload-slash-${i}`;
      await arena.cluster.sdk.api.allocate([], [], upload);
      const commit = { path, size: 0, sha256: EMPTY_SHA256, chunks: [], receipts: [] };
      const reply = await sendJson(master, 'POST', '/api/files', commit, { 'x-dfs-upload': upload });
      expectRefused(reply, `commit ${path}`);
    }
    const kept = await arena.cluster.sdk.stat('/kept/file.txt');
    expect(kept.size).to.equal(4);
    expect(kept.generation).to.equal(1);
    expect(await arena.cluster.sdk.stat('/kept/new.txt').catch((e: Error) => e.message)).to.match(
      /not found/,
    );
  });

  it('names in JSON bodies are refused with 400 by the master and the web client', async () => {
    for (const name of BAD_JSON_NAMES) {
      const label = JSON.stringify(name);
      expectRefused(await sendJson(master, 'POST', '/api/dirs', { path: name }), `mkdir ${label}`);
      expectRefused(
        await sendJson(master, 'POST', '/api/move', { from: '/kept/file.txt', to: name }),
        `move to ${label}`,
      );
      expectRefused(
        await sendJson(master, 'POST', '/api/move', { from: name, to: '/elsewhere' }),
        `move from ${label}`,
        [400, 404],
      );
      expectRefused(
        await sendJson(
          master,
          'POST',
          '/api/files',
          { path: name, size: 0, sha256: EMPTY_SHA256, chunks: [], receipts: [] },
          { 'x-dfs-upload': 'upload-0001' },
        ),
        `commit ${label}`,
      );
      if (typeof name === 'string') {
        expectRefused(await sendJson(web, 'POST', '/api/mkdir', { path: name }, CSRF), `web mkdir ${label}`);
        expectRefused(
          await sendJson(web, 'POST', '/api/move', { from: '/kept/file.txt', to: name }, CSRF),
          `web move ${label}`,
        );
      }
    }
    const all = await arena.cluster.sdk.list('/');
    expect(all.entries.map((e) => e.path)).to.deep.equal(['/kept/file.txt']);
  });

  it('listing prefixes are validated the same way', async () => {
    for (const prefix of [
      '..',
      '../..',
      '/a/../..',
      'a\\b',
      'a\u0000',
      'x\r\ny',
      '\u001b',
      'a'.repeat(300),
    ]) {
      expectRefused(await send(master, 'GET', `/api/files?prefix=${enc(prefix)}`), `list ${prefix}`);
      expectRefused(await send(web, 'GET', `/api/list?prefix=${enc(prefix)}`), `web list ${prefix}`);
    }
    // A repeated parameter is not a string: refused, not joined into a name.
    expectRefused(await send(master, 'GET', '/api/files?prefix=a&prefix=b'), 'repeated prefix');
    // The bounds of a listing of open uploads: refused before they reach the store.
    for (const query of ['prefix=a', 'prefix=/a%00', `from=/${'a'.repeat(1100)}`, 'from=/a&from=/b'])
      expectRefused(await send(master, 'GET', `/api/multipart?${query}`), `uploads ${query.slice(0, 40)}`);
    expect((await send(master, 'GET', '/api/multipart?prefix=/a/&from=/a/b%01')).status).to.equal(200);
    for (const limit of ['1.5', '0', '10001', 'x', '0x10', '1e3', ''])
      expectRefused(await send(master, 'GET', `/api/multipart?limit=${limit}`), `uploads limit ${limit}`);
    // Numbers are decimal digits: '' is no generation 0, nor '0x1' generation 1.
    const { generation } = await arena.cluster.sdk.stat('/kept/file.txt');
    for (const value of ['', '0x1', `${generation}e0`, '%201'])
      expectRefused(
        await send(master, 'DELETE', `/api/files/kept/file.txt?ifGeneration=${value}`),
        `ifGeneration ${value}`,
      );
    expectRefused(
      await sendJson(master, 'POST', '/api/move', { from: '/kept', to: '/kept2', overwrite: 'yes' }),
      'overwrite',
    );
    // A folder delete's flag is 1 or absent: anything else touches nothing.
    for (const flag of ['0', 'yes', '1&keepContents=1'])
      expectRefused(
        await send(master, 'DELETE', `/api/dirs/kept?keepContents=${flag}`),
        `keepContents ${flag}`,
      );
    expect((await arena.cluster.sdk.stat('/kept/file.txt')).path).to.equal('/kept/file.txt');
    for (const implied of ['yes', 1, null])
      expectRefused(
        await sendJson(master, 'POST', '/api/dirs', { path: '/flagged', impliedParents: implied }),
        `impliedParents ${implied}`,
      );
    const made = await arena.cluster.sdk.list('/flagged/').catch((err: { code: string }) => err.code);
    expect(made).to.equal('not_found');
  });

  it('a NUL, which PostgreSQL cannot store, is refused with 400 wherever the master takes text', async () => {
    const commit = { path: '/nul/f', size: 0, chunks: [], receipts: [] };
    for (const [what, path, body] of [
      ['metadata', '/api/files', { ...commit, metadata: { k: 'a\u0000b' } }],
      ['attributes', '/api/files', { ...commit, attributes: { k: 'a\u0000b' } }],
      ['set attribute', '/api/attributes', { path: '/kept/file.txt', set: { k: 'a\u0000b' } }],
      ['remove attribute', '/api/attributes', { path: '/kept/file.txt', remove: ['a\u0000'] }],
    ] as [string, string, unknown][])
      expectRefused(await sendJson(master, 'POST', path, body), what);
    // A continuation token that decodes to a key holding a NUL.
    const token = Buffer.from('/\u0000').toString('base64url');
    expectRefused(await send(master, 'GET', `/api/files?prefix=/&after=${token}`), 'token');
    expect(await arena.cluster.sdk.stat('/nul/f').catch((err: { code: string }) => err.code)).to.equal(
      'not_found',
    );
  });

  it('double-encoded names are decoded exactly once: a literal, harmless name', async () => {
    for (const [target, literal] of [
      ['%252e%252e', '/%2e%2e'],
      ['%252e%252e%252foutside%252fsecret.txt', '/%2e%2e%2foutside%2fsecret.txt'],
      ['..%252f..%252fsecret', '/..%2f..%2fsecret'],
    ] as const) {
      expect((await send(master, 'GET', `/api/files/${target}`)).status, target).to.equal(404);
      const put = await send(web, 'PUT', `/api/files/${target}`, { headers: CSRF, body: 'literal' });
      expect(put.status, `PUT ${target}: ${put.text}`).to.equal(201);
      expect(put.json<{ path: string }>().path).to.equal(literal);
      const got = await send(web, 'GET', `/api/download/${target}`);
      expect(got.text).to.equal('literal');
      expect((await send(web, 'DELETE', `/api/files/${target}`, { headers: CSRF })).status).to.equal(200);
    }
  });

  it('control characters and CR/LF sent raw in the request line are refused by the parser', async () => {
    for (const bad of ['a\x01b', 'a\x7fb', 'a\rb', 'a\x00b', 'a b c']) {
      for (const base of [master, web, arena.cluster.nodes[0]?.url as string]) {
        const reply = await raw(base, [
          `GET /api/files/${bad} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
        ]);
        expect([0, 400, 404], `${JSON.stringify(bad)} → ${reply.status}`).to.include(reply.status);
      }
    }
    // A request line longer than the header limit.
    const huge = await send(master, 'GET', `/api/files/${'a'.repeat(20_000)}`).catch(() => undefined);
    expect([undefined, 400, 414, 431]).to.include(huge?.status);
  });

  it('nodes refuse bad chunk ids with 400 before any file-system call, token or not', async () => {
    const node = arena.cluster.nodes[0]?.url as string;
    const bad = [
      '..',
      '../../outside/secret.txt',
      `../${HEX}`,
      '%2e%2e',
      '%2e%2e%2f%2e%2e%2foutside%2fsecret.txt',
      '..%2f..%2fsecret',
      '%252e%252e',
      '..\\..\\secret',
      HEX.toUpperCase(),
      `${HEX.slice(0, 63)}A`,
      HEX.slice(0, 63),
      `${HEX}a`,
      'g'.repeat(64),
      `${HEX.slice(0, 62)}%61`,
      `%61${HEX.slice(1)}`,
      `${HEX}%00`,
      `${HEX}/../${HEX}`,
      `${HEX}%2f..`,
      '',
      ' ',
    ];
    const spy = spyOnStores(arena.cluster);
    try {
      for (const id of bad) {
        const target = `/chunks/${id.replace(/ /g, '%20')}`;
        for (const method of ['GET', 'HEAD', 'PUT', 'DELETE']) {
          const withToken = { 'x-dfs-token': arena.token(method === 'DELETE' ? 'delete' : 'put', HEX) };
          for (const headers of [{}, withToken]) {
            const reply = await send(node, method, target, {
              headers,
              body: method === 'PUT' ? 'x' : undefined,
            });
            expect(reply.status, `${method} ${target}`).to.equal(400);
            if (method !== 'HEAD') expect(reply.json().error?.code).to.equal('invalid_chunk_id');
          }
        }
      }
      expect(spy.calls, 'file-system calls for bad ids').to.deep.equal([]);
    } finally {
      spy.restore();
    }
  });
});
