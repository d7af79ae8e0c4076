// `dfs ls` streams: rows (or JSON entries) are printed as pages arrive, in bounded memory, and
// the output is complete — a table on a terminal, tab-separated lines when piped, valid JSON.

import fs from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { DFS_BIN } from '../../src/cli/launch.js';
import type { ListEntry } from '../../src/protocol/types.js';
import { Limiter } from '../../src/sdk/limit.js';
import { dfs, peakMemoryHook, requireBuild } from '../helpers/cli.js';
import { bytes, startCluster, type TestCluster, tempDir } from '../helpers/cluster.js';
import { fakeLister } from '../helpers/fake-lister.js';
import { holdingProxy } from '../helpers/holding-proxy.js';
import { report } from '../helpers/processes.js';

// Files in the real cluster: a few pages of the CLI's listing.
const FILES = 2_500;
// Files in the memory test (a stand-in master lists them; see fake-lister.ts).
const MANY = 20_000;
// Most resident memory the CLI may use to list them.
const MOST_RSS_MB = 150;

describe('dfs ls streams its output', function () {
  this.timeout(120_000);
  let cluster: TestCluster;
  let dir: string;
  const expected: string[] = [];
  const env = () => ({ DFS_MASTER: cluster.master.url });

  before(async () => {
    requireBuild();
    cluster = await startCluster({ nodes: 1, replication: 1 });
    dir = await tempDir('dfs-cli-list-');
    const limiter = new Limiter(64);
    const uploads: Promise<unknown>[] = [];
    for (let i = 0; i < FILES; i++) {
      const file = `/many/d${i % 7}/f${String(i).padStart(5, '0')} x.txt`;
      expected.push(file);
      // Empty files commit without a chunk: a few real ones show sizes and replicas.
      uploads.push(limiter.run(() => cluster.sdk.upload(bytes(i % 500 === 0 ? `file ${i}` : ''), file)));
    }
    await Promise.all(uploads);
    await cluster.sdk.mkdir('/many/d0/empty');
    expected.sort();
  });

  after(async () => {
    await cluster?.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('ls -r piped: one tab-separated line per file, all of them', async () => {
    const r = await dfs(['ls', '-r', '/many'], { env: env() });
    expect(r.code, r.stderr).to.equal(0);
    const lines = r.stdout.toString().trimEnd().split('\n');
    expect(lines).to.have.length(FILES);
    const fields = lines.map((l) => l.split('\t'));
    expect(fields.every((f) => f.length === 4)).to.equal(true);
    expect(fields.map((f) => f[3])).to.deep.equal(expected);
    const real = fields.find((f) => f[3] === expected[0]);
    expect(real?.slice(0, 1)).to.deep.equal(['6 B']);
    expect(real?.[2]).to.equal('1/1');
    expect(real?.[1]).to.match(/^\d{4}-\d\d-\d\d \d\d:\d\d$/);
  });

  it('ls -r --json: one valid JSON array of every file, as the SDK lists them', async () => {
    const r = await dfs(['ls', '-r', '--json', '/many'], { env: env() });
    expect(r.code, r.stderr).to.equal(0);
    const listed: ListEntry[] = [];
    for await (const e of cluster.sdk.listAll('/many/', { health: true })) listed.push(e);
    expect(r.stdout.toString()).to.equal(`${JSON.stringify(listed, null, 2)}\n`);
    const empty = await dfs(['ls', '-r', '--json', '/many/d0/empty'], { env: env() });
    expect(JSON.parse(empty.stdout.toString())).to.deep.equal([]);
  });

  it('ls of one folder: folders first (with a slash), then files; JSON as before', async () => {
    const r = await dfs(['ls', '/many/d0'], { env: env() });
    expect(r.code, r.stderr).to.equal(0);
    const lines = r.stdout.toString().trimEnd().split('\n');
    const [size, , replicas, name] = lines[0]?.split('\t') ?? [];
    expect([size, replicas, name]).to.deep.equal(['-', '-', 'empty/']);
    expect(lines).to.have.length(1 + expected.filter((p) => p.startsWith('/many/d0/')).length);
    const json = JSON.parse((await dfs(['ls', '/many/d0', '--json'], { env: env() })).stdout.toString());
    expect(json).to.deep.equal(
      (await cluster.sdk.list('/many/d0/', { delimiter: true, health: true })).entries,
    );
  });

  it('ls of a file shows that file, as ls does (piped and --json)', async () => {
    const file = expected.find((p) => p.startsWith('/many/d0/')) as string;
    const [row] = (await cluster.sdk.list('/many/d0/', { delimiter: true, health: true })).entries.filter(
      (e) => e.path === file,
    );
    const r = await dfs(['ls', file], { env: env() });
    expect(r.code, r.stderr).to.equal(0);
    const fields = r.stdout.toString().trimEnd().split('\t');
    expect(fields).to.have.length(4);
    expect(fields[3]).to.equal(path.posix.basename(file));
    const json = await dfs(['ls', file, '--json'], { env: env() });
    expect(JSON.parse(json.stdout.toString())).to.deep.equal([row]);
  });

  it('on a terminal: aligned columns under a header, and a total line', async () => {
    const r = await dfs(
      [
        '-qc',
        `stty cols 120 rows 30; ${process.execPath} ${DFS_BIN} ls -r /many/d0 --master ${cluster.master.url}`,
        '/dev/null',
      ],
      { program: 'script' },
    );
    expect(r.code, r.stderr).to.equal(0);
    const lines = r.stdout.toString().replaceAll('\r', '').trimEnd().split('\n');
    expect(lines[0]).to.equal('\u001b[36m    Size  Modified (UTC)    Replicas  Path\u001b[39m');
    const files = expected.filter((p) => p.startsWith('/many/d0/'));
    expect(lines[1]).to.match(/^ {5}6 B {2}\d{4}-\d\d-\d\d \d\d:\d\d {2}1\/1 {7}\/many\/d0\/f00000 x\.txt$/);
    expect(lines.slice(1, -1).map((l) => l.slice(38))).to.deep.equal(files);
    expect(lines.at(-1)).to.match(new RegExp(`^${files.length} files \\(\\d+ B\\)$`));
  });

  for (const json of [false, true]) {
    it(`prints the first page before the master has sent the second${json ? ' (--json)' : ''}`, async () => {
      // Every page after the first is held until the CLI has printed the first page's last file.
      const proxy = await holdingProxy(cluster.master.url, {
        hold: (method, url) => method === 'GET' && url.startsWith('/api/files?') && url.includes('after='),
        deadline: 15_000,
      });
      try {
        let seen = '';
        const firstPageEnd = expected[999] as string;
        const r = await dfs(['ls', '-r', '/many', ...(json ? ['--json'] : [])], {
          env: { DFS_MASTER: proxy.url },
          onStdout: (piece) => {
            seen += piece.toString();
            if (seen.includes(json ? JSON.stringify(firstPageEnd) : `\t${firstPageEnd}\n`)) proxy.release();
          },
        });
        expect(r.code, r.stderr).to.equal(0);
        expect(proxy.timedOut, 'the first page was printed only after the last arrived').to.equal(false);
        // Three pages: the second and third were asked for with `after`.
        expect(proxy.matched).to.equal(2);
      } finally {
        await proxy.close();
      }
    });
  }

  for (const json of [false, true]) {
    it(`lists ${MANY} files in under ${MOST_RSS_MB} MB${json ? ' (--json)' : ''}`, async () => {
      const lister = await fakeLister(MANY);
      try {
        const peak = path.join(dir, `peak-${json}`);
        const started = Date.now();
        const r = await dfs(['ls', '-r', '/big', ...(json ? ['--json'] : [])], {
          env: { DFS_MASTER: lister.url },
          nodeFlags: await peakMemoryHook(dir, peak),
        });
        const took = Date.now() - started;
        expect(r.code, r.stderr).to.equal(0);
        const paths = json
          ? (JSON.parse(r.stdout.toString()) as ListEntry[]).map((e) => e.path)
          : r.stdout
              .toString()
              .trimEnd()
              .split('\n')
              .map((l) => l.split('\t')[3]);
        expect(paths).to.deep.equal(lister.paths);
        const rss = Number(await fs.readFile(peak, 'utf8')) / 1024;
        report(
          `${MANY} files${json ? ' as JSON' : ''}`,
          `${(took / 1000).toFixed(1)} s, peak RSS ${rss.toFixed(0)} MB`,
        );
        expect(rss).to.be.greaterThan(10).and.lessThan(MOST_RSS_MB);
      } finally {
        await lister.close();
      }
    });
  }
});
