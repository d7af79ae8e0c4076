// Adversarial bodies: oversize, chunked-oversize, lying and truncated chunk bodies, aborted
// uploads by the hundred (descriptors and memory), JSON over the limit or malformed, and the
// master's largest-file cap through the SDK and the web client.

import { expect } from 'chai';
import { DfsError } from '../../src/protocol/errors.js';
import { MAX_CHUNK_SIZE } from '../../src/protocol/limits.js';
import {
  type Arena,
  assertIntact,
  collectGarbage,
  frame,
  head,
  openFds,
  raw,
  send,
  sendJson,
  spyOnStores,
  startArena,
  tempFiles,
} from '../helpers/adversary.js';
import { randomData, sha256 as sha } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';

const KiB = 1024;
const CHUNK = 64 * KiB;
const MAX_FILE = 200 * KiB;
const CSRF = { 'x-dfs-csrf': '1' };

describe('security: bodies', function () {
  this.timeout(60_000);
  let arena: Arena;
  let master: string;
  let web: string;
  let nodeA: string;
  let nodeB: string;

  before(async () => {
    arena = await startArena({ webClient: true, nodes: 2, chunkSize: '64KiB', maxFileSize: '200KiB' });
    master = arena.cluster.master.url;
    web = arena.cluster.client?.url as string;
    nodeA = arena.cluster.nodes[0]?.url as string;
    nodeB = arena.cluster.nodes[1]?.url as string;
    await waitFor(
      () => arena.cluster.nodes.every((n) => n.state.chunkSize === CHUNK),
      'nodes to learn the chunk size',
    );
  });
  afterEach(async () => {
    await assertIntact(arena);
  });
  after(async () => {
    await arena?.close();
  });

  const stored = (id: string) => arena.cluster.nodes.some((n) => n.store.has(id));
  const putHead = (id: string, headers: Record<string, string | number>) =>
    head('PUT', `/chunks/${id}`, { 'x-dfs-token': arena.token('put', id), ...headers });

  describe('chunk bodies', () => {
    it('a Content-Length over the chunk size is refused with 413 before anything is written', async () => {
      const spy = spyOnStores(arena.cluster);
      try {
        for (const length of [CHUNK + 1, 10 * CHUNK, 2 ** 40, Number.MAX_SAFE_INTEGER]) {
          const id = sha(Buffer.from(String(length)));
          const reply = await raw(nodeA, [putHead(id, { 'content-length': length }), randomData(1000)]);
          expect(reply.status, String(length)).to.equal(413);
          expect(reply.closed).to.equal(true);
          expect(stored(id)).to.equal(false);
        }
        expect(spy.calls.filter((c) => c.startsWith('beginWrite'))).to.deep.equal([]);
      } finally {
        spy.restore();
      }
    });

    it('a repair copy may be larger than the chunk size (it was lowered since), a client put may not', async () => {
      const data = randomData(3 * CHUNK);
      const id = sha(data);
      const put = (op: 'put' | 'copy', length: number, body: Buffer) =>
        raw(nodeA, [
          head('PUT', `/chunks/${id}`, { 'x-dfs-token': arena.token(op, id), 'content-length': length }),
          body,
        ]);
      expect((await put('put', data.length, data)).status).to.equal(413);
      expect((await put('copy', MAX_CHUNK_SIZE + 1, randomData(1000))).status).to.equal(413);
      expect(stored(id)).to.equal(false);
      const copied = await put('copy', data.length, data);
      expect(copied.status, copied.text).to.equal(201);
      expect(arena.cluster.nodes[0]?.store.has(id)).to.equal(true);
      await arena.cluster.nodes[0]?.store.delete(id);
    });

    it('a chunked body without Content-Length is cut off with 413 once it passes the chunk size, and its temp file goes', async () => {
      const spy = spyOnStores(arena.cluster);
      try {
        for (const forward of [{}, { 'x-dfs-forward': nodeB }] as Record<string, string>[]) {
          const id = sha(randomData(32));
          const pieces: (string | Buffer)[] = [putHead(id, { 'transfer-encoding': 'chunked', ...forward })];
          // 16 MiB offered, 16 KiB at a time: the node must answer long before the end.
          for (let i = 0; i < 1024; i++) pieces.push(frame(randomData(16 * KiB)));
          const reply = await raw(nodeA, pieces);
          expect(reply.status, reply.text).to.equal(413);
          expect(reply.text).to.include('payload_too_large');
          expect(stored(id)).to.equal(false);
          await waitFor(async () => (await tempFiles(arena)).length === 0, 'temp files to go');
        }
        // It really was the streaming limit that fired: the writes had begun.
        expect(spy.calls.filter((c) => c.startsWith('beginWrite')).length).to.be.greaterThan(0);
      } finally {
        spy.restore();
      }
    });

    it('a lying Content-Length or a body that stops half way leaves no temp file', async () => {
      const data = randomData(CHUNK);
      const id = sha(data);
      const variants: [string, (string | Buffer)[], { destroy?: boolean; halfClose?: boolean }][] = [
        [
          'declared more, then gone',
          [putHead(id, { 'content-length': CHUNK }), data.subarray(0, 20_000)],
          { destroy: true },
        ],
        [
          'declared more, then EOF',
          [putHead(id, { 'content-length': CHUNK }), data.subarray(0, 20_000)],
          { halfClose: true },
        ],
        [
          'chunked, then gone',
          [putHead(id, { 'transfer-encoding': 'chunked' }), frame(data.subarray(0, 30_000)), '4000\r\nabc'],
          { destroy: true },
        ],
        [
          'forwarding, then gone',
          [putHead(id, { 'content-length': CHUNK, 'x-dfs-forward': nodeB }), data.subarray(0, 40_000)],
          { destroy: true },
        ],
      ];
      for (const [what, pieces, options] of variants) {
        const client = raw(nodeA, pieces, { ...options, gap: 0 });
        await client;
        await waitFor(async () => (await tempFiles(arena)).length === 0, `${what}: temp files to go`);
        expect(stored(id), what).to.equal(false);
      }
    });

    it('the temp file exists while a body is in flight, and goes when the client vanishes', async () => {
      const data = randomData(CHUNK);
      const id = sha(data);
      const net = await import('node:net');
      const url = new URL(nodeA);
      const socket = net.connect(Number(url.port), url.hostname);
      socket.on('error', () => {});
      socket.write(putHead(id, { 'content-length': CHUNK }));
      socket.write(data.subarray(0, 1000));
      await waitFor(async () => (await tempFiles(arena)).length === 1, 'the temp file to appear');
      socket.destroy();
      await waitFor(async () => (await tempFiles(arena)).length === 0, 'the temp file to go');
      expect(stored(id)).to.equal(false);
    });

    it('a body that does not hash to its id, or is shorter than declared, is refused and not kept', async () => {
      const data = randomData(10_000);
      const id = sha(data);
      const wrong = await send(nodeA, 'PUT', `/chunks/${id}`, {
        headers: { 'x-dfs-token': arena.token('put', id) },
        body: randomData(10_000),
      });
      expect(wrong.status).to.equal(400);
      expect(wrong.json().error?.code).to.equal('checksum_mismatch');
      const shortReply = await send(nodeA, 'PUT', `/chunks/${id}`, {
        headers: { 'x-dfs-token': arena.token('put', id) },
        body: data.subarray(0, 5000),
      });
      expect(shortReply.status).to.equal(400);
      expect(stored(id)).to.equal(false);
    });

    it('200 aborted uploads leave no temp files and bring descriptors and memory back to baseline', async function () {
      this.timeout(45_000);
      const abortOne = async (i: number) => {
        const data = randomData(CHUNK);
        const id = sha(data);
        const forward: Record<string, string> = i % 2 === 0 ? { 'x-dfs-forward': nodeB } : {};
        await raw(
          nodeA,
          [
            putHead(id, { 'content-length': CHUNK, ...forward }),
            data.subarray(0, 1000 + ((i * 997) % 50_000)),
          ],
          {
            destroy: true,
          },
        );
      };
      const settle = async () => {
        await waitFor(async () => (await tempFiles(arena)).length === 0, 'temp files to go');
      };
      // Warm up (agents, lazy modules), then measure.
      await Promise.all(Array.from({ length: 10 }, (_, i) => abortOne(i)));
      await settle();
      collectGarbage();
      const fds = openFds();
      const heap = process.memoryUsage().heapUsed;
      for (let round = 0; round < 10; round++) {
        await Promise.all(Array.from({ length: 20 }, (_, i) => abortOne(round * 20 + i)));
      }
      await settle();
      await waitFor(() => openFds() <= fds + 8, `descriptors back near ${fds} (now ${openFds()})`);
      collectGarbage();
      expect(process.memoryUsage().heapUsed - heap).to.be.lessThan(24 * 1024 * 1024);
      // A cancelled upload is the client's doing: no daemon logs a stack trace for it.
      const stacks = arena.cluster.logs.filter((l) => /\n\s+at /.test(l));
      expect(stacks.slice(0, 2), `${stacks.length} stack traces`).to.deep.equal([]);
      // Web client uploads cut off half way commit nothing and leak nothing either.
      for (let i = 0; i < 20; i++) {
        await raw(
          web,
          [
            head('PUT', `/api/files/aborted/f${i}`, { ...CSRF, 'content-length': 150 * KiB }),
            randomData(70 * KiB),
          ],
          // Half of them vanish, half end their side early (EOF before the declared length).
          i % 2 ? { destroy: true } : { halfClose: true, timeout: 5000 },
        );
      }
      await waitFor(async () => {
        const list = await arena.cluster.sdk.list('/').catch(() => undefined);
        return list && !list.entries.some((e) => e.path.startsWith('/aborted'));
      }, 'no aborted file listed');
      await settle();
      await waitFor(() => openFds() <= fds + 8, `descriptors back near ${fds} (now ${openFds()})`);
    });
  });

  describe('JSON bodies', () => {
    const big = JSON.stringify({ path: '/big', pad: 'x'.repeat(2 * 1024 * 1024) });

    it('over the limit: 413, declared or streamed, on master, web client and internal routes', async () => {
      const { signNodeAuth } = await import('../../src/protocol/auth.js');
      const nodeId = arena.cluster.nodes[0]?.id as string;
      const targets: [string, string, Record<string, string>][] = [
        [master, '/api/dirs', {}],
        [master, '/api/move', {}],
        [web, '/api/mkdir', CSRF],
        [web, '/session', CSRF],
        [master, '/internal/heartbeat', { authorization: signNodeAuth('arena-secret', nodeId) }],
      ];
      for (const [base, route, headers] of targets) {
        const declared = await raw(base, [
          head('POST', route, {
            'content-type': 'application/json',
            'content-length': big.length,
            ...headers,
          }),
          big,
        ]);
        expect(declared.status, `${route} declared`).to.equal(413);
        const pieces: (string | Buffer)[] = [
          head('POST', route, {
            'content-type': 'application/json',
            'transfer-encoding': 'chunked',
            ...headers,
          }),
        ];
        for (let i = 0; i < big.length; i += 64 * KiB) pieces.push(frame(big.slice(i, i + 64 * KiB)));
        pieces.push('0\r\n\r\n');
        const streamed = await raw(base, pieces);
        expect(streamed.status, `${route} streamed`).to.equal(413);
      }
      expect((await arena.cluster.sdk.list('/')).entries.map((e) => e.path)).not.to.include('/big/');
    });

    it('malformed JSON: 400 with a JSON error, never a crash or a stack', async () => {
      const bodies = [
        '{"path":',
        '{"path": "/a"',
        '"just a string"',
        'null',
        '12',
        '[1,2,3]',
        '{"path": "/a",}',
        '\u0000\u0001\u0002',
        Buffer.from([0xff, 0xfe, 0x00, 0x7b]).toString('latin1'),
        '['.repeat(200_000),
        `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`,
        '{"__proto__": {"polluted": true}, "path": 5}',
        '{"constructor": {"prototype": {"polluted": true}}}',
      ];
      for (const body of bodies) {
        for (const [base, route, headers] of [
          [master, '/api/dirs', {}],
          [master, '/api/move', {}],
          [master, '/api/files', { 'x-dfs-upload': 'upload-00001' }],
          [master, '/api/chunks/allocate', { 'x-dfs-upload': 'upload-00001' }],
          [web, '/api/mkdir', CSRF],
          [web, '/api/move', CSRF],
          [web, '/session', CSRF],
        ] as [string, string, Record<string, string>][]) {
          const reply = await sendJson(base, 'POST', route, body, headers);
          const label = `${route} ${body.slice(0, 30)}`;
          let wellFormed = true;
          try {
            JSON.parse(body);
          } catch {
            wellFormed = false;
          }
          if (route === '/session' && wellFormed) {
            // This cluster has no access token: signing in is a no-op whatever the body says.
            expect([204, 400], label).to.include(reply.status);
            continue;
          } else {
            expect(reply.status, `${label}: ${reply.text.slice(0, 200)}`).to.equal(400);
          }
          expect(reply.headers['content-type'], label).to.match(/^application\/json/);
          expect(reply.json().error?.code, label).to.be.a('string');
        }
      }
      expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
      // A wrong content type is not parsed as JSON, and is refused too.
      const text = await send(master, 'POST', '/api/dirs', {
        headers: { 'content-type': 'text/plain' },
        body: '{"path":"/sneaky"}',
      });
      expect(text.status).to.equal(400);
      expect((await arena.cluster.sdk.list('/')).entries.map((e) => e.path)).not.to.include('/sneaky/');
      // A compressed body (well or badly) is refused in words, never decompressed into a 500.
      for (const encoding of ['gzip', 'deflate', 'br'])
        for (const [base, route, headers] of [
          [master, '/api/dirs', {}],
          [web, '/api/mkdir', CSRF],
        ] as [string, string, Record<string, string>][]) {
          const reply = await send(base, 'POST', route, {
            headers: { ...headers, 'content-type': 'application/json', 'content-encoding': encoding },
            body: '{"path":"/zipped"}',
          });
          expect(reply.status, `${route} ${encoding}`).to.equal(400);
          expect(reply.json().error?.message).to.match(/compressed/);
        }
      // A name that is no string is refused, not turned into "[object Object]" or "x,y".
      for (const path of [{ a: 1 }, ['x', 'y'], 5])
        expect(
          (await sendJson(web, 'POST', '/api/mkdir', { path }, CSRF)).status,
          JSON.stringify(path),
        ).to.equal(400);
      expect((await sendJson(web, 'POST', '/api/move', { from: ['/a'], to: '/b' }, CSRF)).status).to.equal(
        400,
      );
      // A route that takes other methods: 405 in the same JSON form, with Allow.
      const wrong = await send(web, 'PATCH', '/api/list', { headers: CSRF });
      expect([wrong.status, wrong.json().error?.code]).to.deep.equal([405, 'method_not_allowed']);
      expect(wrong.headers.allow).to.match(/GET/);
      // A method no route takes: 501 in the same JSON form.
      for (const [url, route] of [
        [master, '/api/config'],
        [nodeA, '/metrics'],
        [web, '/api/list'],
      ] as const) {
        const unknown = await send(url, 'PROPFIND', route, { headers: CSRF });
        expect([unknown.status, unknown.json().error?.code], `${url}${route}`).to.deep.equal([
          501,
          'not_implemented',
        ]);
      }
      const names = (await arena.cluster.sdk.list('/')).entries.map((e) => e.path);
      expect(names.filter((n) => /zipped|object|x,y/.test(n))).to.deep.equal([]);
    });
  });

  describe('largest file', () => {
    async function* source(size: number): AsyncGenerator<Buffer> {
      for (let left = size; left > 0; left -= 50 * KiB) yield randomData(Math.min(left, 50 * KiB));
    }

    it('the SDK refuses a file over --max-file-size and commits nothing; one at the cap is fine', async () => {
      const err = await arena.cluster.sdk.upload(source(MAX_FILE + 1), '/cap/over.bin').catch((e) => e);
      expect(err).to.be.instanceOf(DfsError);
      expect((err as DfsError).code).to.equal('payload_too_large');
      await arena.cluster.sdk.upload(source(MAX_FILE), '/cap/exact.bin');
      const names = (await arena.cluster.sdk.list('/cap/')).entries.map((e) => e.path);
      expect(names).to.deep.equal(['/cap/exact.bin']);
    });

    it('the master refuses a commit over the cap with 413, whatever the client says', async () => {
      const reply = await sendJson(
        master,
        'POST',
        '/api/files',
        {
          path: '/cap/forged.bin',
          size: MAX_FILE + 1,
          sha256: sha(Buffer.from('')),
          chunks: [],
          receipts: [],
        },
        { 'x-dfs-upload': 'upload-00002' },
      );
      expect(reply.status).to.equal(413);
    });

    it('the web client refuses an upload over the cap: declared (413 up front) or streamed (413 on the way)', async () => {
      const declared = await raw(web, [
        head('PUT', '/api/files/cap/declared.bin', { ...CSRF, 'content-length': MAX_FILE + 1 }),
        randomData(10 * KiB),
      ]);
      expect(declared.status).to.equal(413);
      const pieces: (string | Buffer)[] = [
        head('PUT', '/api/files/cap/streamed.bin', { ...CSRF, 'transfer-encoding': 'chunked' }),
      ];
      for (let i = 0; i < 10; i++) pieces.push(frame(randomData(50 * KiB)));
      pieces.push('0\r\n\r\n');
      const streamed = await raw(web, pieces);
      expect(streamed.status).to.equal(413);
      const ok = await send(web, 'PUT', '/api/files/cap/web-exact.bin', {
        headers: CSRF,
        body: randomData(MAX_FILE),
      });
      expect(ok.status).to.equal(201);
      const names = (await arena.cluster.sdk.list('/cap/')).entries.map((e) => e.path);
      expect(names).not.to.include('/cap/declared.bin');
      expect(names).not.to.include('/cap/streamed.bin');
      expect(names).to.include('/cap/web-exact.bin');
    });
  });
});
