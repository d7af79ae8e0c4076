// The daemon launcher shared by `dfs up`, the tests and the bench: readiness arrives as a message
// (not a parsed log line), and a daemon whose launcher dies, even by kill -9, stops on its own.

import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { expect } from 'chai';
import { launchDaemon } from '../../src/cli/launch.js';
import { tempDir } from '../helpers/cluster.js';
import { processAlive as alive } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';

/** True while something answers HTTP at `url`. */
async function answers(url: string): Promise<boolean> {
  try {
    await fetch(`${url}/api/config`, { signal: AbortSignal.timeout(5_000) });
    return true;
  } catch {
    return false;
  }
}

describe('the daemon launcher', function () {
  this.timeout(60_000);
  let dir: string;

  beforeEach(async () => {
    dir = await tempDir('dfs-launch-');
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('reports a daemon ready with its URL (and a node with its id)', async () => {
    const master = launchDaemon(['master', '--port', '0', '--data', path.join(dir, 'master')]);
    try {
      const ready = await master.ready;
      expect(ready).to.include({ event: 'ready', daemon: 'master' });
      expect(await answers(ready.url)).to.equal(true);
      const node = launchDaemon([
        'node',
        '--port',
        '0',
        '--data',
        path.join(dir, 'node'),
        '--master',
        ready.url,
      ]);
      const nodeReady = await node.ready;
      expect(nodeReady.daemon).to.equal('node');
      expect(nodeReady.id).to.match(/^[\w-]+$/);
      node.process.kill('SIGTERM');
      expect((await node.exited).code).to.equal(0);
    } finally {
      master.process.kill('SIGTERM');
      await master.exited;
    }
  });

  it('rejects readiness when the daemon exits first, with the reason in its log', async () => {
    const lines: string[] = [];
    const bad = launchDaemon(['master', '--port', 'nope', '--data', path.join(dir, 'm')], {
      onLine: (line) => lines.push(line),
    });
    let failure: Error | undefined;
    await bad.ready.catch((err: Error) => {
      failure = err;
    });
    expect(failure?.message).to.match(/exited .* before it was ready/);
    await bad.exited;
    expect(lines.join('\n')).to.match(/port/i);
  });

  it('a daemon whose launcher goes away while it starts stops cleanly, with no stack trace', async () => {
    const lines: string[] = [];
    const master = launchDaemon(['master', '--port', '0', '--data', path.join(dir, 'master')], {
      onLine: (line) => lines.push(line),
    });
    // At once: the daemon is still loading, long before it could report ready.
    master.process.disconnect();
    const { code } = await master.exited;
    expect(code, lines.join('\n')).to.equal(0);
    expect(lines.join('\n')).to.match(/parent process gone, stopping/);
    expect(lines.join('\n')).not.to.match(/^\s+at /m);
  });

  for (const [what, signal] of [
    ['Ctrl-C', 'SIGINT'],
    ['a closed terminal', 'SIGHUP'],
  ] as const)
    it(`${what} on dfs up (${signal} to every process at once) stops every daemon cleanly`, async () => {
      const lines: string[] = [];
      const up = launchDaemon(['up', '--port', '0', '--data', path.join(dir, 'data')], {
        env: { ...process.env, DFS_SECRET: '' },
        onLine: (line) => lines.push(line),
      });
      const lockFiles = async () =>
        (await fs.readdir(dir, { recursive: true })).filter((f) => path.basename(f) === 'dfs.lock');
      const pids: number[] = [];
      try {
        await up.ready;
        for (const lock of await lockFiles()) pids.push(Number(await fs.readlink(path.join(dir, lock))));
        expect(pids).to.have.length(3);
        // What a terminal does: the signal reaches the launcher and its daemons together (and the
        // launcher passes a SIGTERM on to each of them as well).
        for (const pid of [up.process.pid as number, ...pids]) process.kill(pid, signal);
        await up.exited;
        await waitFor(() => !pids.some(alive), 'the master and the nodes to exit', 30_000);
        expect(lines.filter((l) => /again, exiting now/.test(l))).to.deep.equal([]);
        // Each closed cleanly: its data folder's lock is gone with it.
        expect(await lockFiles()).to.deep.equal([]);
      } finally {
        up.process.kill('SIGTERM');
        for (const pid of pids.filter(alive)) process.kill(pid, 'SIGTERM');
      }
    });

  it('dfs up killed with -9 leaves no daemon behind: each stops on its own', async () => {
    const up = launchDaemon(['up', '--port', '0', '--data', path.join(dir, 'data')], {
      env: { ...process.env, DFS_SECRET: '' },
    });
    // The master and the nodes hold their data folders' locks (a symlink to their pid) until
    // they have closed: their pids tell when they are gone, not only silent.
    const pids: number[] = [];
    try {
      const ready = await up.ready;
      const urls = Object.values(ready.urls ?? {});
      expect(Object.keys(ready.urls ?? {})).to.have.members(['master', 'node1', 'node2', 'client', 's3']);
      for (const url of urls) expect(await answers(url), url).to.equal(true);
      const locks = (await fs.readdir(dir, { recursive: true })).filter(
        (f) => path.basename(f) === 'dfs.lock',
      );
      for (const lock of locks) pids.push(Number(await fs.readlink(path.join(dir, lock))));
      expect(pids).to.have.length(3);
      up.process.kill('SIGKILL');
      await up.exited;
      for (const url of urls) await waitFor(async () => !(await answers(url)), `${url} to stop`, 30_000);
      await waitFor(() => !pids.some(alive), 'the master and the nodes to exit', 30_000);
    } finally {
      up.process.kill('SIGTERM');
      for (const pid of pids.filter(alive)) process.kill(pid, 'SIGTERM');
    }
  });

  it('dfs up starts a daemon that dies again on its port, and stops the cluster when one keeps dying', async function () {
    // Five daemon starts: minutes on a loaded machine.
    this.timeout(420_000);
    const lines: string[] = [];
    // A wait that fails with what dfs up said.
    const until = (check: () => Promise<boolean>, what: string) =>
      waitFor(check, what, 90_000).catch((err: Error) => {
        throw new Error(`${err.message}; dfs up said:\n${lines.join('\n')}`);
      });
    const up = launchDaemon(['up', '--port', '0', '--data', path.join(dir, 'data')], {
      env: { ...process.env, DFS_SECRET: '' },
      onLine: (line) => lines.push(line),
    });
    const lock = path.join(dir, 'data', 'node2', 'dfs.lock');
    const holder = async () => Number(await fs.readlink(lock).catch(() => 0));
    // How many times dfs up said node2 was back.
    const backs = () => lines.filter((l) => l.startsWith('dfs up: node2 is back on ')).length;
    try {
      const ready = await up.ready;
      const node2 = ready.urls?.node2 as string;
      const client = ready.urls?.client as string;
      const put = await fetch(`${client}/api/files/kept.txt`, {
        method: 'PUT',
        body: 'kept\n',
        headers: { 'x-dfs-csrf': '1' },
      });
      expect(put.status).to.be.oneOf([200, 201]);
      // The master too: started again on its port, which every other daemon knows it by.
      const masterLock = path.join(dir, 'data', 'master', 'dfs.lock');
      process.kill(Number(await fs.readlink(masterLock)), 'SIGKILL');
      await until(
        async () => (await fetch(`${client}/api/download/kept.txt`).catch(() => undefined))?.status === 200,
        'the file through a master started again',
      );
      expect(
        lines.filter((l) => l.includes('master exited (killed by SIGKILL); starting it again')),
      ).to.have.length(1);
      // Killed three times: each time started again on its port, with its folder.
      for (let death = 1; death <= 3; death++) {
        const victim = await holder();
        process.kill(victim, 'SIGKILL');
        // Back once dfs up says so (it has its ready message): killed before, it did not start again.
        await until(async () => backs() === death, 'node2 back');
        expect(await holder()).to.not.be.oneOf([0, victim]);
        expect(await answers(node2)).to.equal(true);
        expect(
          lines.filter((l) => l.includes('node2 exited (killed by SIGKILL); starting it again')),
        ).to.have.length(death);
      }
      expect(await (await fetch(`${client}/api/download/kept.txt`)).text()).to.equal('kept\n');
      // The fourth death within a minute stops the cluster. (On a machine so loaded that the first
      // death is over a minute old by then, node2 is started again: it is killed until it stops.)
      let stopped = false;
      const exited = up.exited.then((e) => {
        stopped = true;
        return e;
      });
      for (let extra = 0; !stopped && extra < 6; extra++) {
        const before = backs();
        process.kill(await holder(), 'SIGKILL');
        await until(async () => stopped || backs() > before, 'the cluster to stop, or node2 back');
      }
      const { code } = await exited;
      expect(code).to.equal(1);
      expect(lines.join('\n')).to.match(
        /node2 exited \(killed by SIGKILL\), 4 times in a minute; the cluster was stopped/,
      );
      expect(await answers(client)).to.equal(false);
    } finally {
      up.process.kill('SIGTERM');
    }
  });

  it('dfs up stops the cluster when one daemon is stopped cleanly (asked to, it is not started again)', async () => {
    const lines: string[] = [];
    const up = launchDaemon(['up', '--port', '0', '--data', path.join(dir, 'clean')], {
      env: { ...process.env, DFS_SECRET: '' },
      onLine: (line) => lines.push(line),
    });
    try {
      await up.ready;
      process.kill(Number(await fs.readlink(path.join(dir, 'clean', 'node1', 'dfs.lock'))), 'SIGTERM');
      const { code } = await up.exited;
      expect(code).to.equal(1);
      expect(lines.join('\n')).to.match(/node1 exited \(exit code 0\); the cluster was stopped/);
      expect(lines.join('\n')).to.not.include('starting it again');
    } finally {
      up.process.kill('SIGTERM');
    }
  });

  it('dfs up --advertise-host: the master and the nodes announce that name', async () => {
    // Ports found free may be taken by another test before dfs up binds them: a few tries.
    for (let attempt = 1; ; attempt++) {
      const [port, clientPort, s3Port] = (await freeRun(3, 3)) as [number, number, number];
      const lines: string[] = [];
      const up = launchDaemon(
        [
          'up',
          ...['--port', String(port), '--client-port', String(clientPort), '--s3-port', String(s3Port)],
          ...[
            '--host',
            '0.0.0.0',
            '--advertise-host',
            'localhost',
            '--data',
            path.join(dir, `data${attempt}`),
          ],
        ],
        { env: { ...process.env, DFS_SECRET: '' }, onLine: (line) => lines.push(line) },
      );
      try {
        const ready = await up.ready.catch((err: Error) => {
          if (attempt < 3 && /EADDRINUSE/.test(lines.join('\n'))) return undefined;
          throw err;
        });
        if (!ready) continue;
        const master = `http://127.0.0.1:${port}`;
        // Ready once every node has registered: the master lists both at once.
        const nodes = (await (await fetch(`${master}/api/nodes`)).json()) as { nodes: { url: string }[] };
        expect(nodes.nodes.map((n) => n.url).sort()).to.deep.equal([
          `http://localhost:${port + 1}`,
          `http://localhost:${port + 2}`,
        ]);
        const status = (await (await fetch(`${master}/api/status`)).json()) as { masters: { url: string }[] };
        expect(status.masters.map((m) => m.url)).to.deep.equal([`http://localhost:${port}`]);
        return;
      } finally {
        up.process.kill('SIGTERM');
        await up.exited;
      }
    }
  });
});

/**
 * Free ports for a `dfs up` with fixed ports: `run` in a row from the first (the master's and its
 * nodes'), and `count - 1` more anywhere. Found by binding, so nothing else holds them right now.
 */
async function freeRun(run: number, count: number): Promise<number[]> {
  const bind = (port: number) =>
    new Promise<net.Server | undefined>((resolve) => {
      const server = net.createServer();
      server.once('error', () => resolve(undefined));
      server.listen(port, '127.0.0.1', () => resolve(server));
    });
  for (;;) {
    const held: net.Server[] = [];
    try {
      const first = await bind(0);
      if (!first) continue;
      held.push(first);
      const base = (first.address() as net.AddressInfo).port;
      if (base + run + count > 65_000) continue;
      let whole = true;
      for (let p = base + 1; p < base + run && whole; p++) {
        const next = await bind(p);
        if (next) held.push(next);
        else whole = false;
      }
      if (!whole) continue;
      for (let i = 1; i < count; i++) {
        const extra = await bind(0);
        if (extra) held.push(extra);
      }
      if (held.length < run + count - 1) continue;
      return [base, ...held.slice(run).map((h) => (h.address() as net.AddressInfo).port)];
    } finally {
      for (const h of held) h.close();
    }
  }
}
