// `node --import tsx small-load-child.ts SPEC.json`: the small-file load generator's own process.
// Runs the spec's operations with `concurrency` workers and prints one JSON line: wall time,
// successes, failures and the CPU this process spent, measured around the load only.

import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { signedHeaders } from './s3-client.js';
import type { LoadSpec } from './small-load.js';
import { smallBody } from './small-load.js';

const spec = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as LoadSpec;
const seed = Buffer.from(spec.seed, 'hex');
const agent = new http.Agent({ keepAlive: true, maxSockets: spec.concurrency });

// The web client answers an upload with 201; S3 answers PutObject with 200.
const s3 = spec.mode === 's3-put' || spec.mode === 's3-get';

function send(method: 'PUT' | 'GET', name: string, body?: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const url = new URL(`${spec.base}${name}`);
    const headers: http.OutgoingHttpHeaders = s3 ? signedHeaders(method, url.pathname, url.host) : {};
    if (body) {
      headers['content-type'] = 'application/octet-stream';
      headers['content-length'] = body.length;
      // The web client's CSRF gate wants this header on writes.
      if (!s3) headers['x-dfs-csrf'] = '1';
    }
    const req = http.request(url, { method, agent, headers }, (res) => {
      let bytes = 0;
      res.on('data', (d: Buffer) => {
        bytes += d.length;
      });
      res.on('error', reject);
      res.on('end', () => {
        const wanted = method === 'PUT' && !s3 ? 201 : 200;
        if (res.statusCode !== wanted) reject(new Error(`${method} ${name}: HTTP ${res.statusCode}`));
        else resolve(bytes);
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function operate(name: string): Promise<void> {
  switch (spec.mode) {
    case 'fs-write':
      await fs.writeFile(`${spec.base}${name}`, smallBody(seed, name));
      return;
    case 'fs-read': {
      const data = await fs.readFile(`${spec.base}${name}`);
      if (data.length !== spec.size) throw new Error(`read ${data.length} bytes of ${name}`);
      return;
    }
    case 'http-put':
    case 's3-put':
      await send('PUT', name, smallBody(seed, name));
      return;
    case 'http-get':
    case 's3-get': {
      const bytes = await send('GET', name);
      if (bytes !== spec.size) throw new Error(`read ${bytes} bytes of ${name}`);
      return;
    }
  }
}

async function main(): Promise<void> {
  if (spec.mode === 'fs-write') {
    // Folders are made before the clock starts: the load is the files themselves.
    const dirs = new Set(spec.names.map((n) => path.dirname(`${spec.base}${n}`)));
    for (const dir of dirs) await fs.mkdir(dir, { recursive: true });
  }
  let next = 0;
  let ok = 0;
  let errors = 0;
  let firstError: string | undefined;
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  const worker = async () => {
    while (next < spec.names.length) {
      const name = spec.names[next++] as string;
      try {
        await operate(name);
        ok++;
      } catch (err) {
        errors++;
        firstError ??= (err as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: spec.concurrency }, worker));
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const used = process.cpuUsage(cpu);
  process.stdout.write(
    `${JSON.stringify({ ms, ok, errors, firstError, cpuMs: (used.user + used.system) / 1000 })}\n`,
  );
  agent.destroy();
}

main().catch((err) => {
  process.stderr.write(`small-load: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
