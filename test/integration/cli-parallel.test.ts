// How many files `dfs upload DIR` and `dfs download -r` move at once: 16 by default, `--parallel
// N` (1..64) otherwise. Proxies in front of the nodes hold each file's chunk request until the
// expected number wait at once, so nothing here depends on timing.

import fs from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { dfs, requireBuild } from '../helpers/cli.js';
import { bytes, startCluster, type TestCluster, tempDir } from '../helpers/cluster.js';
import { Gate, proxiedNodes } from '../helpers/holding-proxy.js';

const FILES = 40;
// A proxy that never sees the expected number releases everything this long (ms) after it held
// the first request, so the test then fails on its count instead of hanging.
const DEADLINE = 8_000;

describe('dfs upload DIR and download -r in parallel', function () {
  this.timeout(60_000);
  let cluster: TestCluster;
  let dir: string;
  let tree: string;

  before(async () => {
    requireBuild();
    cluster = await startCluster({ nodes: 2, chunkSize: '64KiB' });
    dir = await tempDir('dfs-cli-parallel-');
    tree = path.join(dir, 'tree');
    for (let i = 0; i < FILES; i++) {
      const sub = path.join(tree, `d${i % 4}`);
      await fs.mkdir(sub, { recursive: true });
      await fs.writeFile(path.join(sub, `f${i}.txt`), `file ${i}`);
    }
  });

  after(async () => {
    await cluster?.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  /** A cluster of its own whose two nodes are reached through proxies that hold `hold` at `gate`. */
  async function proxiedCluster(gate: Gate, hold: (method: string, url: string) => boolean) {
    const own = await startCluster({ nodes: 0, chunkSize: '64KiB' });
    const proxies = await proxiedNodes(own, 2, gate, hold);
    return {
      own,
      close: async () => {
        for (const p of proxies) await p.close();
        await own.close();
      },
    };
  }

  for (const [flags, expected] of [
    [[], 16],
    [['--parallel', '3'], 3],
  ] as [string[], number][]) {
    it(`uploads ${expected} files at once with ${flags.join(' ') || 'no flag'}`, async () => {
      // Each file is one small chunk: its PUT to the first node of its pipeline is held until
      // the expected number wait at once.
      const gate = new Gate(expected, DEADLINE);
      const { own, close } = await proxiedCluster(
        gate,
        (method, url) => method === 'PUT' && url.startsWith('/chunks/'),
      );
      try {
        const remote = `/up${expected}`;
        const r = await dfs(['upload', tree, remote, ...flags], { env: { DFS_MASTER: own.master.url } });
        expect(r.code, r.stderr).to.equal(0);
        expect(gate.most).to.equal(expected);
        let count = 0;
        for await (const _ of own.sdk.listAll(`${remote}/`)) count++;
        expect(count).to.equal(FILES);
      } finally {
        await close();
      }
    });
  }

  for (const [flags, expected] of [
    [[], 16],
    [['--parallel', '5'], 5],
  ] as [string[], number][]) {
    it(`downloads ${expected} files at once with -r ${flags.join(' ') || 'and no flag'}`, async () => {
      // Each file's read from a node is held until the expected number wait at once.
      const gate = new Gate(expected, DEADLINE);
      const { own, close } = await proxiedCluster(
        gate,
        (method, url) => method === 'GET' && url.startsWith('/chunks/'),
      );
      try {
        await Promise.all(
          Array.from({ length: FILES }, (_, i) =>
            own.sdk.upload(bytes(`file ${i}`), `/down/d${i % 4}/f${i}.txt`),
          ),
        );
        const local = path.join(dir, `down${expected}`);
        const r = await dfs(['download', '-r', '/down', local, ...flags], {
          env: { DFS_MASTER: own.master.url },
        });
        expect(r.code, r.stderr).to.equal(0);
        expect(gate.most).to.equal(expected);
        for (let i = 0; i < FILES; i++) {
          expect(await fs.readFile(path.join(local, `d${i % 4}`, `f${i}.txt`), 'utf8')).to.equal(`file ${i}`);
        }
      } finally {
        await close();
      }
    });
  }

  it('refuses a --parallel outside 1..64 as bad usage (exit 2)', async () => {
    const bad = ['0', '65', 'many', '1.5', '-3', ''];
    for (const [i, value] of bad.entries()) {
      const args =
        i % 2 === 0
          ? ['upload', tree, '/never', '--parallel', value]
          : ['download', '-r', '/down', path.join(dir, 'never'), '--parallel', value];
      const r = await dfs(args, { env: { DFS_MASTER: cluster.master.url } });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).to.equal(2);
      expect(r.stderr).to.match(/--parallel/);
      expect(r.stderr).to.match(/1 to 64/);
    }
    const listed = (await cluster.sdk.list('/', { delimiter: true })).entries.map((e) => e.name);
    expect(listed).not.to.include('never');
    await fs.access(path.join(dir, 'never')).then(
      () => expect.fail('a folder was created'),
      () => undefined,
    );
  });
});
