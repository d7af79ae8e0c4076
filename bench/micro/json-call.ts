// `node --import tsx bench/micro/json-call.ts [--calls 5000] [--concurrency 16]`: the cost of one
// JSON call (a GET and a small POST) to a local Koa server over keep-alive, for the SDK's
// `jsonCall` (node:http with a keep-alive agent) and for got 14 with the same agent. Latency per
// call (median, p99), client CPU per call (this process) and server CPU per call (the server is a
// child process), sequentially and at a concurrency. got is optional: `npm install --no-save
// got@14`. Not one of `npm run bench`'s rows.

import { fork } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import Router from '@koa/router';
import Table from 'cli-table3';
import Koa from 'koa';
import { bodyOf, jsonBody } from '../../src/http/body.js';
import { jsonCall } from '../../src/sdk/transport.js';
import { benchArgs, wholeNumber } from '../lib/args.js';
import { runMain, trackChild } from '../lib/cleanup.js';
import { procCpu } from '../lib/proc.js';
import { median } from '../lib/report.js';

/** A JSON call as a client under test makes it. */
type Call = (method: 'GET' | 'POST', url: string, json?: unknown) => Promise<unknown>;

/** The part of got's API used here (got is not a dependency of the project). */
interface GotLike {
  extend(options: Record<string, unknown>): GotLike;
  (url: string, options: Record<string, unknown>): { json<T>(): Promise<T> };
}

// A small body like the SDK's commit or allocate requests.
const POST_BODY = { path: '/bench/some/file.bin', size: 4096, chunks: [{ id: 'a'.repeat(64), size: 4096 }] };

/** The server: GET answers a small object, POST parses the JSON body and echoes a field. */
function serve(): void {
  const app = new Koa();
  const router = new Router();
  router.get('/api/thing', (ctx) => {
    ctx.body = { path: '/bench/some/file.bin', size: 4096, generation: 42, replicas: ['n1', 'n2'] };
  });
  router.post('/api/thing', jsonBody(), (ctx) => {
    ctx.body = { ok: true, path: bodyOf<{ path?: string }>(ctx).path };
  });
  app.use(router.routes());
  const server = http.createServer(app.callback());
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as AddressInfo).port }));
  process.on('disconnect', () => process.exit(0));
}

async function loadGot(): Promise<GotLike | undefined> {
  // A variable specifier: the type checker must not require got to be installed.
  const name = 'got';
  try {
    return ((await import(name)) as { default: GotLike }).default;
  } catch {
    return undefined;
  }
}

/** Latencies and CPU of `calls` calls with `concurrency` in flight. */
async function measure(call: () => Promise<unknown>, calls: number, concurrency: number, serverPid: number) {
  const latencies: number[] = [];
  let next = 0;
  const cpu = process.cpuUsage();
  const serverBefore = procCpu(serverPid);
  const started = process.hrtime.bigint();
  const worker = async () => {
    while (next < calls) {
      next++;
      const t = process.hrtime.bigint();
      await call();
      latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const wallS = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  latencies.sort((a, b) => a - b);
  return {
    median: median(latencies),
    p99: latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))] ?? Number.NaN,
    perSec: calls / wallS,
    clientUs: (used.user + used.system) / calls,
    serverUs: ((procCpu(serverPid) - serverBefore) * 1e6) / calls,
  };
}

async function main(): Promise<void> {
  const values = benchArgs(
    'usage: node --import tsx bench/micro/json-call.ts [--calls 5000] [--concurrency 16]',
    {
      calls: { type: 'string', default: '5000' },
      concurrency: { type: 'string', default: '16' },
    },
  );
  const calls = wholeNumber('calls', values.calls);
  const concurrency = wholeNumber('concurrency', values.concurrency);
  const server = trackChild(
    fork(fileURLToPath(import.meta.url), ['--serve'], { execArgv: process.execArgv }),
  );
  const port = await new Promise<number>((resolve, reject) => {
    server.once('message', (m) => resolve((m as { port: number }).port));
    server.once('exit', (code) => reject(new Error(`server exited ${code}`)));
  });
  const url = `http://127.0.0.1:${port}/api/thing`;
  const clients: [string, Call][] = [
    ['jsonCall (node:http)', (method, u, json) => jsonCall(method, u, 'server', { json })],
  ];
  const got = await loadGot();
  if (got) {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 64, maxFreeSockets: 16 });
    const client = got.extend({ agent: { http: agent }, retry: { limit: 0 }, timeout: { request: 120_000 } });
    clients.push(['got 14', (method, u, json) => client(u, { method, json }).json()]);
  } else {
    process.stderr.write(
      'json-call: got is NOT installed, so only jsonCall is measured (npm install --no-save got@14)\n',
    );
  }
  const table = new Table({
    head: ['client', 'call', 'c', 'median ms', 'p99 ms', 'calls/s', 'client CPU µs', 'server CPU µs'],
    style: { head: [], border: [] },
  });
  const results = new Map<string, { median: number; clientUs: number; serverUs: number }>();
  const pid = server.pid ?? 0;
  // The server's own warm-up, so the first client measured does not pay for its JIT.
  for (const [, call] of clients) {
    await measure(() => call('GET', url), 2000, concurrency, pid);
    await measure(() => call('POST', url, POST_BODY), 2000, concurrency, pid);
  }
  for (const c of [1, concurrency]) {
    for (const method of ['GET', 'POST'] as const) {
      for (const [name, call] of clients) {
        const one = () => call(method, url, method === 'POST' ? POST_BODY : undefined);
        await measure(one, Math.min(1000, calls), c, pid); // warm-up: JIT and sockets
        const m = await measure(one, calls, c, pid);
        results.set(`${name} ${method} ${c}`, m);
        table.push([
          name,
          method,
          c,
          m.median.toFixed(3),
          m.p99.toFixed(3),
          m.perSec.toFixed(0),
          m.clientUs.toFixed(0),
          m.serverUs.toFixed(0),
        ]);
      }
    }
  }
  process.stdout.write(`${calls} calls per line, server: Koa + koa-body on node:http (child process)\n`);
  process.stdout.write(`${table.toString()}\n`);
  if (got) {
    for (const c of [1, concurrency])
      for (const method of ['GET', 'POST']) {
        const g = results.get(`got 14 ${method} ${c}`);
        const j = results.get(`jsonCall (node:http) ${method} ${c}`);
        if (!g || !j) continue;
        const r = (a: number, b: number) => (a / b).toFixed(2);
        process.stdout.write(
          `got / jsonCall, ${method} c=${c}: median latency ${r(g.median, j.median)}, client CPU ${r(g.clientUs, j.clientUs)}, server CPU ${r(g.serverUs, j.serverUs)}\n`,
        );
      }
  }
  server.disconnect();
}

if (process.argv.includes('--serve')) serve();
else runMain('json-call', main);
