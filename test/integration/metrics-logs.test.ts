// The daemons' logs as a log shipper reads them: with --log-format json every line is one JSON
// object (time, level, daemon, message, fields), with an access line per request; by default the
// readable text of before, without access lines.

import fs from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { DfsClient } from '../../src/sdk/client.js';
import { bytes, randomData, tempDir } from '../helpers/cluster.js';
import { Daemon, SECRET } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';

type Line = Record<string, unknown>;

// A daemon's own lines (the test harness adds "[name] " and an "exited" line of its own).
function linesOf(daemon: Daemon): string[] {
  const prefix = `[${daemon.name}] `;
  return daemon.logs
    .filter((l) => l.startsWith(prefix) && !/^\[\w+\] exited \(/.test(l))
    .map((l) => l.slice(prefix.length))
    .filter((l) => l !== '');
}

async function startPair(dir: string, extra: string[]): Promise<[Daemon, Daemon]> {
  const master = new Daemon('master', 'master', path.join(dir, 'master'), [
    '--secret',
    SECRET,
    '--replication',
    '1',
    ...extra,
  ]);
  await master.start();
  const node = new Daemon('node', 'node', path.join(dir, 'node'), [
    '--master',
    master.url,
    '--secret',
    SECRET,
    '--heartbeat-interval',
    '0.2',
    ...extra,
  ]);
  await node.start();
  return [master, node];
}

describe('daemon logs for log shippers', function () {
  this.timeout(60_000);
  let dir: string;
  const daemons: Daemon[] = [];

  before(async () => {
    dir = await tempDir('dfs-logs-');
  });
  after(async () => {
    await Promise.all(daemons.map((d) => d.kill()));
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('writes one JSON object a line with --log-format json, an access line per request', async () => {
    const [master, node] = await startPair(path.join(dir, 'json'), ['--log-format', 'json']);
    daemons.push(master, node);
    const sdk = new DfsClient({ master: master.url });
    await waitFor(async () => (await sdk.nodes()).some((n) => n.state === 'alive'), 'the node to register');
    await sdk.upload(bytes(randomData(1000)), '/logged.txt');
    const parse = (daemon: Daemon): Line[] => linesOf(daemon).map((l) => JSON.parse(l) as Line);
    await waitFor(
      () => ['/api/batch', '/internal/heartbeat'].every((r) => parse(master).some((l) => l.route === r)),
      'the commit and heartbeat access lines',
    );
    for (const [daemon, name] of [
      [master, 'master'],
      [node, 'node'],
    ] as const) {
      const lines = parse(daemon);
      expect(lines.length, name).to.be.greaterThan(2);
      for (const line of lines) {
        expect(Object.keys(line).slice(0, 4)).to.deep.equal(['time', 'level', 'daemon', 'message']);
        expect(line.daemon).to.equal(name);
        expect(Number.isNaN(Date.parse(String(line.time)))).to.equal(false);
        expect(['debug', 'info', 'warn', 'error']).to.include(line.level);
      }
    }
    const masterLines = parse(master);
    expect(masterLines.find((l) => /listening on/.test(String(l.message)))).to.include({ url: master.url });
    const commit = masterLines.find((l) => l.route === '/api/batch');
    expect(commit).to.include({ level: 'info', method: 'POST', status: 200, path: '/api/batch' });
    expect(commit?.duration).to.be.a('number');
    expect(masterLines.find((l) => l.route === '/internal/heartbeat')).to.include({ status: 200 });
    const nodeLines = parse(node);
    // Every node line names its node; a chunk request names its chunk.
    for (const line of nodeLines.slice(1)) expect(line.node, String(line.message)).to.equal(node.id);
    const put = nodeLines.find((l) => l.route === '/chunks/:id');
    expect(put?.method).to.equal('PUT');
    expect(String(put?.chunk)).to.match(/^[0-9a-f]{64}$/);
    expect(put?.path).to.equal(`/chunks/${put?.chunk}`);
  });

  it('keeps the readable text by default, without access lines', async () => {
    const [master, node] = await startPair(path.join(dir, 'text'), []);
    daemons.push(master, node);
    await waitFor(() => linesOf(master).some((l) => /registered|joined/.test(l)), 'the node to join');
    const sdk = new DfsClient({ master: master.url });
    await sdk.nodes();
    for (const line of [...linesOf(master), ...linesOf(node)]) {
      expect(line).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \S/);
      expect(line).not.to.match(/^\S+ (GET|POST|PUT) \//);
    }
  });
});
