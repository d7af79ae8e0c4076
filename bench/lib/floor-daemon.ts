// `node --import tsx floor-daemon.ts ROLE DIR [NEXT_URL|STORE_URLS META_URL]`: one process of the
// write floor (see floor.ts). Bare node:http, no checks, no hashing: the least a replicated,
// durable write over HTTP does in Node.
//   store: appends each PUT body to one pack file and answers once it is fdatasynced (one
//          fdatasync for every write that arrived while the last one ran); with NEXT_URL it
//          sends the body on to that store at the same time and answers once both have it.
//   meta:  appends each batch of records to a log, fdatasynced the same way; keeps them in memory.
//   front: takes `PUT /name` (answers 201) and `GET /name`: the body goes to the first store, the
//          record to the meta process in batches (one batch out at a time, the next gathering
//          meanwhile); a read asks the meta process the same way and reads one store's copy.
// Prints `{"port":N}` once listening.

import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Batcher } from '../../src/sdk/batcher.js';

const [role, dir, ...rest] = process.argv.slice(2);
const agent = new http.Agent({ keepAlive: true });

function bodyOf(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => resolve(Buffer.concat(parts)));
    req.on('error', reject);
  });
}

function call(url: string, method: string, body?: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const headers = body ? { 'content-length': body.length } : {};
    const req = http.request(url, { method, agent, headers }, (res) => {
      bodyOf(res).then((b) => {
        if (res.statusCode === 200) resolve(b);
        else reject(new Error(`${method} ${url}: HTTP ${res.statusCode}`));
      }, reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** An append-only file whose writes are made durable together. */
class GroupLog {
  private size = 0;
  private waiting: (() => void)[] = [];
  private syncing = false;
  private constructor(readonly file: fs.FileHandle) {}

  static async open(name: string): Promise<GroupLog> {
    return new GroupLog(await fs.open(path.join(dir ?? '.', name), 'w+'));
  }

  /** Writes `data` and resolves with its offset once it is on disk. */
  async append(data: Buffer): Promise<number> {
    const offset = this.size;
    this.size += data.length;
    await this.file.write(data, 0, data.length, offset);
    await new Promise<void>((resolve) => {
      this.waiting.push(resolve);
      if (!this.syncing) void this.sync();
    });
    return offset;
  }

  private async sync(): Promise<void> {
    this.syncing = true;
    while (this.waiting.length > 0) {
      const done = this.waiting;
      this.waiting = [];
      await this.file.datasync();
      for (const resolve of done) resolve();
    }
    this.syncing = false;
  }
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>;

async function store(next: string | undefined): Promise<Handler> {
  const pack = await GroupLog.open('pack');
  return async (req, res) => {
    if (req.method === 'GET') {
      const q = new URL(req.url ?? '/', 'http://x').searchParams;
      const data = Buffer.alloc(Number(q.get('length')));
      await pack.file.read(data, 0, data.length, Number(q.get('offset')));
      res.end(data);
      return;
    }
    const body = await bodyOf(req);
    const [offset, further] = await Promise.all([
      pack.append(body),
      next ? call(next, 'PUT', body).then((b) => JSON.parse(b.toString()) as number[]) : [],
    ]);
    res.end(JSON.stringify([offset, ...further]));
  };
}

async function meta(): Promise<Handler> {
  const log = await GroupLog.open('log');
  const records = new Map<string, unknown>();
  return async (req, res) => {
    const calls = JSON.parse((await bodyOf(req)).toString()) as { name: string; where?: number[] }[];
    const writes = calls.filter((c) => c.where);
    for (const c of writes) records.set(c.name, c.where);
    if (writes.length > 0) await log.append(Buffer.from(`${JSON.stringify(writes)}\n`));
    res.end(JSON.stringify(calls.map((c) => (c.where ? true : (records.get(c.name) ?? null)))));
  };
}

function front(stores: string[], metaUrl: string): Handler {
  // The SDK's batcher (one batch out at a time, the next gathering meanwhile), as dfs batches.
  const batcher = new Batcher(async (calls) => {
    const results = JSON.parse((await call(metaUrl, 'POST', Buffer.from(JSON.stringify(calls)))).toString());
    return (results as unknown[]).map((value) => ({ ok: true as const, value }));
  }, "the floor's log");
  let reads = 0;
  return async (req, res) => {
    const name = req.url ?? '/';
    if (req.method === 'PUT') {
      const body = await bodyOf(req);
      const offsets = JSON.parse((await call(stores[0] as string, 'PUT', body)).toString()) as number[];
      await batcher.run({ name, where: [body.length, ...offsets] });
      res.statusCode = 201;
      res.end();
      return;
    }
    const where = (await batcher.run({ name })) as number[] | null;
    if (!where) {
      res.statusCode = 404;
      res.end();
      return;
    }
    const copy = reads++ % stores.length;
    const [length, ...offsets] = where;
    res.end(await call(`${stores[copy]}?offset=${offsets[copy]}&length=${length}`, 'GET'));
  };
}

async function main(): Promise<void> {
  const handler =
    role === 'store'
      ? await store(rest[0])
      : role === 'meta'
        ? await meta()
        : front((rest[0] ?? '').split(','), rest[1] ?? '');
  const server = http.createServer((req, res) => {
    handler(req, res).catch((err: Error) => {
      res.statusCode = 500;
      res.end(err.message);
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

void main();
