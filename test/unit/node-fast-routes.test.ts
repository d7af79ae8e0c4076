// A node's small chunk PUTs and packed chunk GETs, answered on node:http before Koa: which
// requests they take, and that they answer as the Koa routes do (a receipt, the bytes, the
// security headers, metrics and the access log; JSON refusals that touch nothing).

import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { nodeConfig } from '../../src/config.js';
import { Monitoring } from '../../src/http/monitoring.js';
import { type Listening, serve } from '../../src/http/serve.js';
import { fastRoutes } from '../../src/node/fast-routes.js';
import { NodeState } from '../../src/node/state.js';
import { signWriteToken, verifyReceipt } from '../../src/protocol/auth.js';
import { ChunkStore } from '../../src/storage/chunk-store.js';
import { metricValue } from '../helpers/metrics.js';

const SECRET = 'fast-routes-secret';
const READ_TOKEN = 'fast-routes-token';
const bearer = { authorization: `Bearer ${READ_TOKEN}` };
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const token = (id: string) => signWriteToken(SECRET, 'put', id, Date.now() + 60_000);

describe("a node's fast routes", () => {
  let dir: string;
  let store: ChunkStore;
  let monitoring: Monitoring;
  let server: Listening;
  const passedOn: string[] = [];
  const logs: { message: string; fields?: Record<string, unknown> }[] = [];

  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dfs-chunk-put-'));
    const config = nodeConfig(
      {
        port: 0,
        data: dir,
        master: 'http://127.0.0.1:1',
        secret: SECRET,
        token: READ_TOKEN,
        logFormat: 'json',
      },
      {},
    );
    store = await ChunkStore.open(dir);
    const state = new NodeState('node-a', store);
    const log = (message: string, fields?: Record<string, unknown>) => logs.push({ message, fields });
    monitoring = new Monitoring(config, log);
    // Koa's place: records what reaches it.
    const next: http.RequestListener = (req, res) => {
      passedOn.push(`${req.method} ${req.url} ${req.headers['content-length'] ?? '-'}`);
      req.resume();
      req.on('end', () => res.writeHead(299).end());
    };
    server = await serve(fastRoutes({ config, store, state, log, monitoring }, next), '127.0.0.1', 0);
  });

  after(async () => {
    await server.close();
    await store.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    passedOn.length = 0;
  });

  it('stores a small chunk and answers with its signed receipt, as the Koa route would', async () => {
    const body = randomBytes(4096);
    const id = sha(body);
    const res = await fetch(`${server.url}/chunks/${id}`, {
      method: 'PUT',
      headers: { 'x-dfs-token': token(id) },
      body,
    });
    expect(res.status).to.equal(201);
    expect(res.headers.get('content-type')).to.equal('application/json; charset=utf-8');
    expect(res.headers.get('x-content-type-options')).to.equal('nosniff');
    expect(res.headers.get('content-security-policy')).to.include("default-src 'self'");
    const { receipts } = (await res.json()) as {
      receipts: { nodeId: string; chunkId: string; signature: string }[];
    };
    expect(receipts).to.have.length(1);
    expect(receipts[0]).to.include({ nodeId: 'node-a', chunkId: id });
    expect(verifyReceipt(SECRET, 'node-a', id, receipts[0]?.signature ?? '')).to.equal(true);
    const stored = await store.read(id);
    expect(stored.data?.equals(body)).to.equal(true);
    stored.release?.();
    expect(passedOn).to.deep.equal([]);
    const text = await monitoring.registry.metrics();
    expect(
      metricValue(text, 'dfs_http_requests_total', { route: '/chunks/:id', method: 'PUT', code: '201' }),
    ).to.equal(1);
    const line = logs.find((l) => l.fields?.route === '/chunks/:id');
    expect(line?.fields).to.include({ method: 'PUT', status: 201, chunk: id, path: `/chunks/${id}` });

    // Read back whole: the bytes, with the route's headers.
    const back = await fetch(`${server.url}/chunks/${id}`, { headers: bearer });
    expect(back.status).to.equal(200);
    expect(Buffer.from(await back.arrayBuffer()).equals(body)).to.equal(true);
    expect(back.headers.get('content-type')).to.equal('application/octet-stream');
    expect(back.headers.get('content-length')).to.equal('4096');
    expect(back.headers.get('accept-ranges')).to.equal('bytes');
    expect(back.headers.get('cache-control')).to.equal('private, max-age=31536000, immutable');
    expect(back.headers.get('x-frame-options')).to.equal('DENY');
    const after = await monitoring.registry.metrics();
    expect(
      metricValue(after, 'dfs_http_requests_total', { route: '/chunks/:id', method: 'GET', code: '200' }),
    ).to.equal(1);
    expect(passedOn).to.deep.equal([]);
  });

  it('passes every other request on: no declared length, over the pack limit, a chunk not packed, a range, a HEAD, no token', async () => {
    const small = randomBytes(100);
    const large = randomBytes(store.packLimit + 1);
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${server.url}/chunks/${sha(small)}`, { method: 'PUT' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.write(small); // written before the end: no Content-Length, chunked
      req.end();
    });
    expect(chunked).to.equal(299);
    expect(
      (await fetch(`${server.url}/chunks/${sha(large)}`, { method: 'PUT', body: large })).status,
    ).to.equal(299);
    expect((await fetch(`${server.url}/chunks/${sha(small)}`)).status).to.equal(299);
    expect(
      (await fetch(`${server.url}/CHUNKS/${sha(small)}`, { method: 'PUT', body: small })).status,
    ).to.equal(299);
    // GETs of a stored, packed chunk that ask for more than its whole bytes, or bring no token.
    const packed = randomBytes(100);
    const id = sha(packed);
    const put = await fetch(`${server.url}/chunks/${id}`, {
      method: 'PUT',
      headers: { 'x-dfs-token': token(id) },
      body: packed,
    });
    expect(put.status).to.equal(201);
    for (const [method, headers, query] of [
      ['GET', { ...bearer, range: 'bytes=0-9' }, ''],
      ['HEAD', bearer, ''],
      ['GET', {}, ''],
      ['GET', { authorization: 'Bearer wrong' }, ''],
      ['GET', bearer, '?x=1'],
    ] as const)
      expect((await fetch(`${server.url}/chunks/${id}${query}`, { method, headers })).status).to.equal(299);
    expect(passedOn).to.deep.equal([
      `PUT /chunks/${sha(small)} -`,
      `PUT /chunks/${sha(large)} ${large.length}`,
      `GET /chunks/${sha(small)} -`,
      `PUT /CHUNKS/${sha(small)} 100`,
      `GET /chunks/${id} -`,
      `HEAD /chunks/${id} -`,
      `GET /chunks/${id} -`,
      `GET /chunks/${id} -`,
      `GET /chunks/${id}?x=1 -`,
    ]);
  });

  it('refuses in the API error format and stores nothing: no token, a bad id, a body of another hash', async () => {
    const body = randomBytes(2048);
    const id = sha(body);
    const noToken = await fetch(`${server.url}/chunks/${id}`, { method: 'PUT', body });
    expect(noToken.status).to.equal(401);
    expect(noToken.headers.get('cache-control')).to.equal('no-store');
    // The body was never read: the connection closes after the answer.
    expect(noToken.headers.get('connection')).to.equal('close');
    expect(((await noToken.json()) as { error: { code: string } }).error.code).to.equal('unauthorized');
    const badId = await fetch(`${server.url}/chunks/${id.toUpperCase()}`, {
      method: 'PUT',
      headers: { 'x-dfs-token': token(id) },
      body,
    });
    expect(badId.status).to.equal(400);
    expect(((await badId.json()) as { error: { code: string } }).error.code).to.equal('invalid_chunk_id');
    const other = await fetch(`${server.url}/chunks/${id}`, {
      method: 'PUT',
      headers: { 'x-dfs-token': token(id) },
      body: randomBytes(2048),
    });
    expect(other.status).to.equal(400);
    expect(((await other.json()) as { error: { code: string } }).error.code).to.equal('checksum_mismatch');
    expect(store.sizeOf(id)).to.equal(undefined);
    expect(passedOn).to.deep.equal([]);
  });
});
