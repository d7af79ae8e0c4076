// `node --import tsx bench/micro/chunk-get.ts [--gib 1]`: the client's CPU and speed reading 8 MiB
// chunks from a bare `node:http` server (a child process) into one reused buffer, through
// node:http's client (`request`, what chunk GETs used before) and through raw-http.ts (`sendRaw`:
// the socket read in place, what they use now). Three rounds each, taking turns; medians. Not one
// of `npm run bench`'s rows.

import { fork } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import Table from 'cli-table3';
import { sendRaw } from '../../src/sdk/raw-http.js';
import { request } from '../../src/sdk/transport.js';
import { benchArgs, wholeNumber } from '../lib/args.js';
import { runMain, trackChild } from '../lib/cleanup.js';
import { median } from '../lib/report.js';

const CHUNK = 8 * 1024 * 1024;

function serve(): void {
  const body = Buffer.alloc(CHUNK, 7);
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': CHUNK });
    res.end(body);
  });
  server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as AddressInfo).port }));
  process.on('disconnect', () => process.exit(0));
}

const READERS = {
  'node:http (request)': (url: URL, into: Buffer) =>
    request(url, { method: 'GET' }, undefined, undefined, into),
  'sendRaw (in place)': (url: URL, into: Buffer) =>
    sendRaw(url, { method: 'GET', headers: {}, timeout: 30_000 }, undefined, into),
};
type Reader = keyof typeof READERS;

/** MB/s and client CPU ms per GiB, reading `chunks` chunks. */
async function measure(reader: Reader, url: URL, chunks: number) {
  const into = Buffer.allocUnsafe(CHUNK);
  const cpu = process.cpuUsage();
  const start = performance.now();
  for (let i = 0; i < chunks; i++) {
    const reply = await READERS[reader](url, into);
    if (reply.status !== 200 || reply.body.length !== CHUNK) throw new Error(`${reader}: bad answer`);
  }
  const used = process.cpuUsage(cpu);
  const bytes = chunks * CHUNK;
  return {
    mbps: bytes / 1e6 / ((performance.now() - start) / 1e3),
    cpuPerGib: (used.user + used.system) / 1e3 / (bytes / 2 ** 30),
  };
}

async function main(): Promise<void> {
  const values = benchArgs('usage: node --import tsx bench/micro/chunk-get.ts [--gib 1]', {
    gib: { type: 'string', default: '1' },
  });
  const chunks = (wholeNumber('gib', values.gib) * 2 ** 30) / CHUNK;
  const child = trackChild(fork(fileURLToPath(import.meta.url), ['--serve'], { execArgv: process.execArgv }));
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`server exited ${code}`)));
  });
  const url = new URL(`http://127.0.0.1:${port}/chunks/c`);
  const readers = Object.keys(READERS) as Reader[];
  const samples = new Map(readers.map((r) => [r, [] as Awaited<ReturnType<typeof measure>>[]]));
  for (const r of readers) await measure(r, url, 8); // warm up
  for (let round = 0; round < 3; round++)
    for (const r of round % 2 === 1 ? [...readers].reverse() : readers)
      samples.get(r)?.push(await measure(r, url, chunks));
  const table = new Table({
    head: ['reader', 'MB/s', 'client CPU ms per GiB'],
    style: { head: [], border: [] },
  });
  for (const r of readers) {
    const runs = samples.get(r) ?? [];
    const m = (pick: (s: (typeof runs)[number]) => number) => median(runs.map(pick)).toFixed(0);
    table.push([r, m((s) => s.mbps), m((s) => s.cpuPerGib)]);
  }
  child.disconnect();
  process.stdout.write(`${values.gib} GiB of 8 MiB chunks per run, one at a time, medians of 3 runs\n`);
  process.stdout.write(`${table.toString()}\n`);
}

if (process.argv.includes('--serve')) serve();
else runMain('chunk-get', main);
