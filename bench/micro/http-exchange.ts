// `node --import tsx bench/micro/http-exchange.ts [--requests 20000] [--concurrency 16]`: the CPU
// of one keep-alive HTTP exchange like a small chunk PUT (a 4 KiB body, a short JSON answer), on
// both ends, with the server as bare `node:http`, as Koa with a router, and as Koa with the
// middleware every dfs daemon runs (metrics, errors, security headers, assets). The floor under
// every hop of a small write. The server is a child process; the client is this process, with
// the agent settings of the SDK. Not one of `npm run bench`'s rows.

import { fork } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import Router from '@koa/router';
import Table from 'cli-table3';
import Koa from 'koa';
import { assets } from '../../src/http/assets.js';
import { errorMiddleware } from '../../src/http/errors.js';
import { Monitoring } from '../../src/http/monitoring.js';
import { securityHeaders } from '../../src/http/security.js';
import { benchArgs, wholeNumber } from '../lib/args.js';
import { runMain, trackChild } from '../lib/cleanup.js';
import { closedLoop } from '../lib/load.js';
import { procCpu } from '../lib/proc.js';
import { median } from '../lib/report.js';

const MODES = ['node:http', 'Koa + router', 'Koa + dfs middleware'] as const;
type Mode = (typeof MODES)[number];
const ANSWER = { receipts: [{ nodeId: 'node-1', chunkId: 'a'.repeat(64), signature: 'b'.repeat(43) }] };

/** The server: reads the body whole, answers 201 with a receipt. */
function serve(mode: Mode): void {
  let handler: http.RequestListener;
  if (mode === 'node:http') {
    handler = (req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (p: Buffer) => parts.push(p));
      req.on('end', () => {
        const body = JSON.stringify(ANSWER);
        res.writeHead(201, {
          'content-type': 'application/json; charset=utf-8',
          'content-length': Buffer.byteLength(body),
        });
        res.end(body);
      });
    };
  } else {
    const app = new Koa();
    const router = new Router({ sensitive: true });
    if (mode === 'Koa + dfs middleware') {
      const quiet = () => {};
      app.use(new Monitoring({ token: '', metricsPublic: true, accessLog: false }, quiet).middleware());
      app.use(errorMiddleware(quiet));
      app.use(securityHeaders());
      app.use(assets());
    }
    router.put('/chunks/:id', async (ctx) => {
      const parts: Buffer[] = [];
      for await (const p of ctx.req) parts.push(p as Buffer);
      ctx.status = 201;
      ctx.body = ANSWER;
    });
    app.use(router.routes());
    handler = app.callback();
  }
  const server = http.createServer(handler);
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as AddressInfo).port }));
  process.on('disconnect', () => process.exit(0));
}

/** Requests/s and CPU per request on both ends, for `requests` PUTs with `concurrency` in flight. */
async function measure(url: string, requests: number, concurrency: number, serverPid: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const body = Buffer.alloc(4096, 1);
  const put = () =>
    new Promise<void>((resolve, reject) => {
      const req = http.request(
        url,
        { method: 'PUT', agent, headers: { 'content-type': 'application/octet-stream' } },
        (res) => {
          res.resume();
          res.on('end', () => (res.statusCode === 201 ? resolve() : reject(new Error(`${res.statusCode}`))));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  const cpu = process.cpuUsage();
  const serverBefore = procCpu(serverPid);
  const load = await closedLoop(concurrency, { total: requests }, put);
  const used = process.cpuUsage(cpu);
  agent.destroy();
  if (load.errors > 0) throw new Error(`${load.errors} requests failed: ${load.firstError}`);
  return {
    perSec: load.perSec,
    clientUs: (used.user + used.system) / requests,
    serverUs: ((procCpu(serverPid) - serverBefore) * 1e6) / requests,
  };
}

async function main(): Promise<void> {
  const values = benchArgs(
    'usage: node --import tsx bench/micro/http-exchange.ts [--requests 20000] [--concurrency 16]',
    {
      requests: { type: 'string', default: '20000' },
      concurrency: { type: 'string', default: '16' },
    },
  );
  const requests = wholeNumber('requests', values.requests);
  const concurrency = wholeNumber('concurrency', values.concurrency);
  const table = new Table({
    head: ['server', 'requests/s', 'client CPU µs', 'server CPU µs', 'both ends µs'],
    style: { head: [], border: [] },
  });
  // Every server runs at once; the modes take turns over three rounds (medians), so neither the
  // client's JIT nor a busy moment of the machine lands on one mode alone.
  const servers = await Promise.all(
    MODES.map(async (mode) => {
      const child = trackChild(
        fork(fileURLToPath(import.meta.url), ['--serve', mode], { execArgv: process.execArgv }),
      );
      const port = await new Promise<number>((resolve, reject) => {
        child.once('message', (m) => resolve((m as { port: number }).port));
        child.once('exit', (code) => reject(new Error(`server exited ${code}`)));
      });
      return { mode, child, url: `http://127.0.0.1:${port}/chunks/${'c'.repeat(64)}` };
    }),
  );
  const samples = new Map<Mode, Awaited<ReturnType<typeof measure>>[]>(MODES.map((m) => [m, []]));
  for (const s of servers) await measure(s.url, Math.min(5000, requests), concurrency, s.child.pid ?? 0);
  for (let round = 0; round < 3; round++)
    for (const s of round % 2 === 1 ? [...servers].reverse() : servers)
      samples.get(s.mode)?.push(await measure(s.url, requests, concurrency, s.child.pid ?? 0));
  for (const s of servers) {
    const runs = samples.get(s.mode) ?? [];
    const m = (pick: (r: (typeof runs)[number]) => number) => median(runs.map(pick));
    table.push([
      s.mode,
      m((r) => r.perSec).toFixed(0),
      m((r) => r.clientUs).toFixed(0),
      m((r) => r.serverUs).toFixed(0),
      m((r) => r.clientUs + r.serverUs).toFixed(0),
    ]);
    s.child.disconnect();
  }
  process.stdout.write(
    `${requests} PUTs of 4 KiB per run, ${concurrency} at once, keep-alive, medians of 3 runs; servers: child processes\n`,
  );
  process.stdout.write(`${table.toString()}\n`);
}

const serving = process.argv.indexOf('--serve');
if (serving >= 0) serve(process.argv[serving + 1] as Mode);
else runMain('http-exchange', main);
