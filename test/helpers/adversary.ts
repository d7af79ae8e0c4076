// Tools of the adversarial security suite: a cluster inside a sentinel tree, requests sent byte
// for byte (no client-side URL clean-up), and checks that nothing escaped, leaked or died.

import { readdirSync } from 'node:fs';
import fs from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { expect } from 'chai';
import { signWriteToken, type TokenOp } from '../../src/protocol/auth.js';
import { type ClusterOptions, startCluster, type TestCluster } from './cluster.js';
import { waitFor } from './wait.js';

/** A test cluster living inside a folder tree we watch for anything appearing outside it. */
export interface Arena {
  cluster: TestCluster;
  /** The watched tree: sentinel files, and the cluster's temp folder two levels down. */
  root: string;
  /** Where the sentinel "secret" files live (a traversal target). */
  outside: string;
  baseline: string[];
  /** A write token signed with the cluster secret. */
  token(op: TokenOp, chunkId: string, expires?: number): string;
  /** Every daemon's base URL (master, nodes, web client). */
  daemons(): string[];
  close(): Promise<void>;
}

const SENTINEL_TEXT = 'sentinel: must never be served or changed';

/**
 * Starts a cluster whose temp folder sits inside a fresh sentinel tree:
 * `root/outside/{secret.txt,etc/passwd}` and `root/inner/dfs-test-…/{master,node1,…}`.
 */
export async function startArena(options: ClusterOptions = {}): Promise<Arena> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'dfs-sec-'));
  const outside = path.join(root, 'outside');
  await fs.mkdir(path.join(outside, 'etc'), { recursive: true });
  await fs.writeFile(path.join(outside, 'secret.txt'), SENTINEL_TEXT);
  await fs.writeFile(path.join(outside, 'etc', 'passwd'), SENTINEL_TEXT);
  await fs.mkdir(path.join(root, 'inner'));
  // The helper makes its folder under os.tmpdir(), which follows $TMPDIR at each call.
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = path.join(root, 'inner');
  let cluster: TestCluster;
  try {
    cluster = await startCluster({ secret: 'arena-secret', ...options });
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
  }
  const secret = cluster.options.secret;
  const arena: Arena = {
    cluster,
    root,
    outside,
    baseline: [],
    token: (op, chunkId, expires = Date.now() + 60_000) => signWriteToken(secret, op, chunkId, expires),
    daemons: () => [
      cluster.master.url,
      ...cluster.nodes.map((n) => n.url),
      ...(cluster.client ? [cluster.client.url] : []),
    ],
    async close() {
      await cluster.close();
      await fs.rm(root, { recursive: true, force: true });
    },
  };
  arena.baseline = await outsideTree(arena);
  return arena;
}

// Inside these folders the daemons may write; everything else in the tree must stay as it was.
function isDataFolder(arena: Arena, file: string): boolean {
  const dir = arena.cluster.dir;
  return (
    file.startsWith(`${path.join(dir, 'master')}${path.sep}`) ||
    arena.cluster.nodes.some((n) => file.startsWith(`${n.store.root}${path.sep}`))
  );
}

/** Every entry of the watched tree outside the data folders, with type, size and mode. */
export async function outsideTree(arena: Arena): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string) => {
    for (const name of await fs.readdir(dir)) {
      const file = path.join(dir, name);
      if (isDataFolder(arena, file)) continue;
      const st = await fs.lstat(file);
      const kind = st.isDirectory() ? 'd' : st.isSymbolicLink() ? 'l' : 'f';
      out.push(`${kind} ${path.relative(arena.root, file)} ${st.isFile() ? st.size : ''} ${st.mode}`);
      if (st.isDirectory()) await walk(file);
    }
  };
  await walk(arena.root);
  return out.sort();
}

/** Node folders hold only their own layout: chunk files named by hash, and nothing in tmp/. */
async function nodeLayoutProblems(arena: Arena): Promise<string[]> {
  const problems: string[] = [];
  for (const node of arena.cluster.nodes) {
    const root = node.store.root;
    for (const name of await fs.readdir(root)) {
      if (!['chunks', 'tmp', 'quarantine', 'packs', 'node-id', 'dfs.lock', 'epoch'].includes(name))
        problems.push(`${root}/${name}`);
    }
    for (const name of await fs.readdir(path.join(root, 'tmp'))) problems.push(`temp file ${name}`);
    for (const prefix of await fs.readdir(path.join(root, 'chunks'))) {
      const dir = path.join(root, 'chunks', prefix);
      const st = await fs.lstat(dir);
      if (!st.isDirectory() || !/^[0-9a-f]{2}$/.test(prefix)) {
        problems.push(`chunks/${prefix}`);
        continue;
      }
      for (const file of await fs.readdir(dir)) {
        const fst = await fs.lstat(path.join(dir, file));
        if (!fst.isFile() || !/^[0-9a-f]{64}$/.test(file) || !file.startsWith(prefix)) {
          problems.push(`chunks/${prefix}/${file}`);
        }
      }
    }
  }
  return problems;
}

/**
 * Asserts that nothing appeared, changed or vanished outside the data folders, that node
 * folders hold only their layout and no temp file, and that every daemon still serves.
 * Temp files may take a moment to go (an aborted upload is noticed asynchronously).
 */
export async function assertIntact(arena: Arena): Promise<void> {
  expect(await outsideTree(arena)).to.deep.equal(arena.baseline);
  await waitFor(
    async () => (await nodeLayoutProblems(arena)).length === 0,
    'no stray files in node folders',
    5000,
  ).catch(async () => expect(await nodeLayoutProblems(arena)).to.deep.equal([]));
  expect(await fs.readFile(path.join(arena.outside, 'secret.txt'), 'utf8')).to.equal(SENTINEL_TEXT);
  await assertServing(arena.daemons());
}

/** Every daemon answers GET / with 200. */
export async function assertServing(urls: string[]): Promise<void> {
  for (const url of urls) {
    const reply = await send(url, 'GET', '/');
    expect(reply.status, `GET ${url}/`).to.equal(200);
  }
}

/** Asserts that a response body shows no stack trace, source location or server path. */
export function assertNoLeak(text: string, what = 'response'): void {
  expect(text, `${what} shows a stack line`).not.to.match(/^\s*at .*:\d+:\d+\)?$/m);
  expect(text, `${what} shows a stack frame`).not.to.match(
    /\bat (?:[\w$.<>[\] ]+ )?\(?(?:node:|file:|\/)[^\s()]*:\d+:\d+\)?/,
  );
  expect(text, `${what} shows a source file`).not.to.match(/\.(ts|js|mjs|cjs):\d+/);
  expect(text, `${what} shows node_modules`).not.to.include('node_modules');
  expect(text, `${what} shows a file URL`).not.to.include('file://');
  expect(text, `${what} shows the working folder`).not.to.include(process.cwd());
  expect(text, `${what} shows the temp folder`).not.to.include(os.tmpdir());
  expect(text, `${what} shows sentinel content`).not.to.include(SENTINEL_TEXT);
}

/** A response read in full. */
export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Raw header lines, to count repeated headers. */
  rawHeaders: string[];
  body: Buffer;
  text: string;
  json<T = { error?: { code: string; message: string } }>(): T;
}

/**
 * Sends one request with `target` exactly as given (no `..` resolution, no re-encoding), on a
 * fresh connection; checks the body for leaks.
 */
export function send(
  base: string,
  method: string,
  target: string,
  options: { headers?: http.OutgoingHttpHeaders; body?: Buffer | string } = {},
): Promise<Reply> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        method,
        path: target,
        // Node frames GET/DELETE bodies only when told their length.
        headers:
          options.body === undefined
            ? options.headers
            : { 'content-length': Buffer.byteLength(options.body), ...options.headers },
        agent: false,
        timeout: 20_000,
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (p: Buffer) => parts.push(p));
        res.on('error', reject);
        res.on('end', () => {
          const body = Buffer.concat(parts);
          const text = body.toString('utf8');
          try {
            assertNoLeak(text, `${method} ${target}`);
          } catch (err) {
            reject(err);
            return;
          }
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            rawHeaders: res.rawHeaders,
            body,
            text,
            json: () => JSON.parse(text),
          });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${target} timed out`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

/** JSON request helper: sets content type and serialises the body. */
export function sendJson(
  base: string,
  method: string,
  target: string,
  body: unknown,
  headers: http.OutgoingHttpHeaders = {},
): Promise<Reply> {
  return send(base, method, target, {
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** What came back on a raw socket: the status (0 if the server just closed) and all bytes. */
export interface RawReply {
  status: number;
  text: string;
  /** True when the server closed the connection. */
  closed: boolean;
}

/**
 * Writes `pieces` on a raw TCP socket (with `gap` ms between them). Then, by default, waits for
 * the server to answer and close; with `destroy` the client vanishes half way instead, and with
 * `halfClose` it ends its side (EOF) and waits. Writing stops early once the server has answered.
 */
export async function raw(
  base: string,
  pieces: (string | Buffer)[],
  options: { gap?: number; destroy?: boolean; halfClose?: boolean; timeout?: number } = {},
): Promise<RawReply> {
  const url = new URL(base);
  const socket = net.connect(Number(url.port), url.hostname);
  const received: Buffer[] = [];
  let closed = false;
  socket.on('data', (d: Buffer) => received.push(d));
  const ended = new Promise<void>((resolve) => {
    socket.on('close', () => {
      closed = true;
      resolve();
    });
  });
  socket.on('error', () => {}); // a reset after the server answers is expected
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  for (const piece of pieces) {
    if (closed || received.length > 0) break;
    await new Promise<void>((resolve) => socket.write(piece, () => resolve()));
    if (options.gap) await new Promise((r) => setTimeout(r, options.gap));
  }
  if (options.destroy) {
    socket.destroy();
  } else {
    if (options.halfClose) socket.end();
    const timer = setTimeout(() => socket.destroy(), options.timeout ?? 10_000);
    await ended;
    clearTimeout(timer);
  }
  await ended;
  const text = Buffer.concat(received).toString('latin1');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0);
  assertNoLeak(text, 'raw reply');
  return { status, text, closed };
}

/** A request head for raw(): request line, Host, then `headers`, then the blank line. */
export function head(method: string, target: string, headers: Record<string, string | number> = {}): string {
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`);
  return `${method} ${target} HTTP/1.1\r\nHost: localhost\r\n${lines.join('')}\r\n`;
}

/** One frame of a chunked transfer-encoded body. */
export function frame(data: Buffer | string): string | Buffer {
  const b = Buffer.from(data);
  return Buffer.concat([Buffer.from(`${b.length.toString(16)}\r\n`), b, Buffer.from('\r\n')]);
}

/** Files in each node's tmp/ folder. */
export async function tempFiles(arena: Arena): Promise<string[]> {
  const all: string[] = [];
  for (const n of arena.cluster.nodes) all.push(...(await fs.readdir(path.join(n.store.root, 'tmp'))));
  return all;
}

/** Open file descriptors of this process (the daemons run in it). */
export function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

let gcFn: (() => void) | undefined;
/** Forces a full garbage collection, so heap sizes can be compared. */
export function collectGarbage(): void {
  if (!gcFn) {
    setFlagsFromString('--expose-gc');
    gcFn = runInNewContext('gc') as () => void;
  }
  gcFn();
}

/** Counts calls to the chunk store's file-system methods of every node (to prove none happen). */
export function spyOnStores(cluster: TestCluster): { calls: string[]; restore(): void } {
  const calls: string[] = [];
  const restores: (() => void)[] = [];
  for (const node of cluster.nodes) {
    const store = node.store as unknown as Record<string, unknown>;
    for (const name of [
      'beginWrite',
      'read',
      'delete',
      'chunkPath',
      'has',
      'sizeOf',
      'verify',
      'quarantine',
    ]) {
      const original = store[name] as (...args: unknown[]) => unknown;
      store[name] = (...args: unknown[]) => {
        calls.push(`${name}(${String(args[0]).slice(0, 80)})`);
        return original.apply(node.store, args);
      };
      restores.push(() => {
        delete store[name];
      });
    }
  }
  return {
    calls,
    restore: () => {
      for (const r of restores) r();
    },
  };
}

/**
 * PUTs `body` to `base` + `target` with `headers`; with `Expect: 100-continue` the body goes only
 * once the server says 100 Continue (never, if it answers first). Any other Expect value is sent
 * with the body at once. Resolves with the status and whether 100 Continue came.
 */
export function putExpecting(
  base: string,
  target: string,
  headers: Record<string, string | number>,
  body: string,
): Promise<{ status: number; continued: boolean }> {
  const { hostname, port } = new URL(base);
  const waits = Object.entries(headers).some(
    ([name, value]) => name.toLowerCase() === 'expect' && String(value).toLowerCase() === '100-continue',
  );
  return new Promise((resolve, reject) => {
    let continued = false;
    const req = http.request({ hostname, port, path: target, method: 'PUT', headers }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, continued }));
    });
    req.on('continue', () => {
      continued = true;
      req.end(body);
    });
    req.on('error', reject);
    if (!waits) req.end(body);
  });
}
