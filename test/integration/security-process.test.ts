// Process-level survival: real `dfs master`, `dfs node` and `dfs client` processes (from the
// sources, so a crash would end the process, not just fail a test) take a barrage of bad input;
// afterwards every one of them is still running and answers GET /, and 5xx details went to its
// log, never to the caller.

import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { signNodeAuth, signWriteToken } from '../../src/protocol/auth.js';
import { frame, head, raw, send, sendJson } from '../helpers/adversary.js';
import { tempDir } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';

const SECRET = 'process-secret';
// Runs the CLI from src/ the way bin/dfs.js runs it from dist/.
const RUNNER = `
const { main } = await import(${JSON.stringify(path.resolve('src/cli/main.ts'))});
const { code, running } = await main(['node', 'dfs', ...process.argv.slice(1)]);
if (!running) process.exit(code);
process.on('SIGTERM', () => running.close().then(() => process.exit(0)));
`;

interface Proc {
  name: string;
  child: ChildProcess;
  url: string;
  log: string[];
}

async function launch(name: string, args: string[]): Promise<Proc> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', RUNNER, '--', ...args],
    {
      env: { ...process.env, DFS_SECRET: '', DFS_TOKEN: '', DFS_MASTER: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const log: string[] = [];
  let pending = '';
  child.stderr?.on('data', (d: Buffer) => {
    const lines = (pending + d.toString()).split('\n');
    pending = lines.pop() ?? '';
    log.push(...lines);
  });
  child.stdout?.on('data', (d: Buffer) => log.push(d.toString()));
  const url = await waitFor(
    () => {
      if (child.exitCode !== null) throw new Error(`${name} exited: ${log.join('\n')}`);
      return log.map((l) => /listening on (http:\/\/\S+)/.exec(l)?.[1]).find(Boolean);
    },
    `${name} to listen`,
    60_000,
  );
  return { name, child, url: String(url), log };
}

describe('security: daemons as processes survive a barrage', function () {
  this.timeout(180_000);
  let dir: string;
  const procs: Proc[] = [];
  let master: Proc;
  let nodes: Proc[];
  let web: Proc;

  before(async () => {
    dir = await tempDir('dfs-proc-');
    master = await launch('master', [
      'master',
      '--port',
      '0',
      '--data',
      path.join(dir, 'master'),
      '--chunk-size',
      '64KiB',
      '--secret',
      SECRET,
    ]);
    procs.push(master);
    const started = await Promise.all([
      ...[1, 2].map((i) =>
        launch(`node${i}`, [
          'node',
          '--port',
          '0',
          '--data',
          path.join(dir, `node${i}`),
          '--master',
          master.url,
          '--secret',
          SECRET,
          '--heartbeat-interval',
          '0.2',
          // Every chunk a file, so the barrage reaches the fan-out folders too.
          '--pack-limit',
          '0',
        ]),
      ),
      launch('web', ['client', '--port', '0', '--master', master.url]),
    ]);
    nodes = started.slice(0, 2);
    web = started[2] as Proc;
    procs.push(...started);
    await waitFor(async () => {
      const r = await send(master.url, 'GET', '/api/nodes');
      return (
        r.status === 200 &&
        r.json<{ nodes: { state: string }[] }>().nodes.filter((n) => n.state === 'alive').length === 2
      );
    }, 'both nodes to register');
  });
  after(async () => {
    for (const p of procs) {
      if (p.child.exitCode === null) p.child.kill('SIGTERM');
    }
    await Promise.all(
      procs.map((p) => (p.child.exitCode === null ? new Promise((r) => p.child.once('exit', r)) : undefined)),
    );
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('every daemon is still running and serving after the barrage', async () => {
    const all = procs.map((p) => p.url);
    const id = createHash('sha256').update('x').digest('hex');
    const garbage: (string | Buffer)[] = [
      randomBytes(4096),
      Buffer.from('16030100a5010000a10303', 'hex'), // a TLS ClientHello on a plain port
      'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n',
      'GET / HTTP/9.9\r\nHost: x\r\n\r\n',
      'GET /\r\n\r\n',
      'CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: x\r\n\r\n',
      'GET http://evil.example/ HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n',
      'GET / HTTP/1.1\r\n\r\n', // no Host
      `GET / HTTP/1.1\r\nHost: x\r\n${'X-Pad: '.concat('a'.repeat(100), '\r\n').repeat(300)}\r\n`,
      'POST /api/dirs HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n',
      'POST /api/dirs HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 50\r\n\r\nhello',
      'POST /api/dirs HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n',
      'GET /%00 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
      'GET /\x00 HTTP/1.1\r\nHost: x\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: x\r\nX-Bad: a\rb\r\n\r\n',
    ];
    for (const url of all) {
      for (const bytes of garbage) await raw(url, [bytes], { timeout: 3000 });
      // Connections opened and dropped at once, in a crowd.
      await Promise.all(
        Array.from({ length: 50 }, () => raw(url, ['GET / HTTP/1.1\r\nHo'], { destroy: true })),
      );
      for (const target of [
        '/api/files/..%2f..%2fetc%2fpasswd',
        '/chunks/..%2f..',
        '/api/download/%2e%2e',
        '/files/%00',
        '/internal/register',
        '/%',
        '/api/files/%c0%ae',
      ]) {
        for (const method of ['GET', 'PUT', 'POST', 'DELETE']) {
          const reply = await send(url, method, target, { body: method === 'GET' ? undefined : '{"path":' });
          expect(reply.status, `${method} ${url}${target}`).to.be.within(400, 499);
        }
      }
      await sendJson(url, 'POST', '/api/dirs', '['.repeat(100_000));
      await sendJson(
        url,
        'POST',
        '/internal/heartbeat',
        { id: 'x' },
        { authorization: signNodeAuth('wrong', 'x') },
      );
    }
    for (const node of nodes) {
      // Uploads cut off half way, plain and forwarded, and oversize ones.
      const token = signWriteToken(SECRET, 'put', id, Date.now() + 60_000);
      await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          raw(
            node.url,
            [
              head('PUT', `/chunks/${id}`, {
                'x-dfs-token': token,
                'content-length': 60_000,
                ...(i % 2 ? { 'x-dfs-forward': nodes[0]?.url ?? '' } : {}),
              }),
              randomBytes(5000),
            ],
            { destroy: true },
          ),
        ),
      );
      await raw(node.url, [
        head('PUT', `/chunks/${id}`, { 'x-dfs-token': token, 'transfer-encoding': 'chunked' }),
        ...Array.from({ length: 20 }, () => frame(randomBytes(16_384))),
      ]);
    }
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        raw(
          web.url,
          [
            head('PUT', `/api/files/cut${i}`, { 'x-dfs-csrf': '1', 'content-length': 300_000 }),
            randomBytes(100_000),
          ],
          { destroy: true },
        ),
      ),
    );

    // A server-side failure: a node's fan-out folder replaced by a symlink. The caller sees a
    // bare 500; the detail is in the node's own log.
    const victim = nodes[0] as Proc;
    const content = randomBytes(100);
    const cid = createHash('sha256').update(content).digest('hex');
    const prefix = path.join(dir, 'node1', 'chunks', cid.slice(0, 2));
    await fs.rm(prefix, { recursive: true, force: true });
    await fs.symlink(dir, prefix);
    const failed = await send(victim.url, 'PUT', `/chunks/${cid}`, {
      headers: { 'x-dfs-token': signWriteToken(SECRET, 'put', cid, Date.now() + 60_000) },
      body: content,
    });
    await fs.rm(prefix);
    expect(failed.status).to.equal(500);
    expect(failed.json()).to.deep.equal({
      error: { code: 'internal', message: 'internal error (details are in the server log)' },
    });
    await waitFor(
      () => victim.log.some((l) => l.includes('is not a real folder')),
      'the failure detail in the node log',
    );

    for (const p of procs) {
      expect(p.child.exitCode, `${p.name} exited:\n${p.log.join('\n')}`).to.equal(null);
      const reply = await send(p.url, 'GET', '/');
      expect(reply.status, p.name).to.equal(200);
      expect(p.log.join('\n'), `${p.name} log`).not.to.match(/uncaught|unhandled/i);
    }
    // And the cluster still does its job.
    const put = await send(web.url, 'PUT', '/api/files/after/barrage.txt', {
      headers: { 'x-dfs-csrf': '1' },
      body: 'still here',
    });
    expect(put.status).to.equal(201);
    expect((await send(web.url, 'GET', '/api/download/after/barrage.txt')).text).to.equal('still here');
    for (const n of ['node1', 'node2']) expect(await fs.readdir(path.join(dir, n, 'tmp'))).to.deep.equal([]);
  });
});
