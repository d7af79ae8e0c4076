// `dfs download -r REMOTE_FOLDER LOCAL_DIR`: a whole remote folder into a local one, each file
// through its own temporary file; a name that cannot be a local name, or would land outside
// LOCAL_DIR, is refused and named, and the rest still arrives.

import fs from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import type { ListResponse } from '../../src/protocol/types.js';
import { dfs, partialFiles, requireBuild } from '../helpers/cli.js';
import {
  bytes,
  pieces,
  randomData,
  sha256,
  startCluster,
  type TestCluster,
  tempDir,
} from '../helpers/cluster.js';
import { holdingProxy } from '../helpers/holding-proxy.js';

describe('dfs download -r', function () {
  this.timeout(60_000);
  let cluster: TestCluster;
  let dir: string;
  const env = () => ({ DFS_MASTER: cluster.master.url });
  const big = randomData(500_000);

  before(async () => {
    requireBuild();
    cluster = await startCluster({ nodes: 2, chunkSize: '64KiB' });
    dir = await tempDir('dfs-cli-download-tree-');
    await cluster.sdk.upload(pieces(big), '/r/big.bin');
    await cluster.sdk.upload(bytes('top'), '/r/top.txt');
    await cluster.sdk.upload(bytes('deep'), '/r/a/b/deep.txt');
    await cluster.sdk.upload(bytes('name with spaces'), '/r/a/with space ü.txt');
    await cluster.sdk.mkdir('/r/empty/inner');
    await cluster.sdk.upload(bytes('outside the folder'), '/rest.txt');
  });

  after(async () => {
    await cluster?.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('copies every file and folder byte for byte, creating LOCAL_DIR', async () => {
    const local = path.join(dir, 'copy');
    const r = await dfs(['download', '-r', '/r', local], { env: env() });
    expect(r.code, r.stderr).to.equal(0);
    expect(sha256(await fs.readFile(path.join(local, 'big.bin')))).to.equal(sha256(big));
    expect(await fs.readFile(path.join(local, 'top.txt'), 'utf8')).to.equal('top');
    expect(await fs.readFile(path.join(local, 'a', 'b', 'deep.txt'), 'utf8')).to.equal('deep');
    expect(await fs.readFile(path.join(local, 'a', 'with space ü.txt'), 'utf8')).to.equal('name with spaces');
    expect((await fs.stat(path.join(local, 'empty', 'inner'))).isDirectory()).to.equal(true);
    expect((await fs.readdir(local)).sort()).to.deep.equal(['a', 'big.bin', 'empty', 'top.txt']);
    expect(await partialFiles(local)).to.deep.equal([]);
    expect(r.stderr.trimEnd().split('\n').at(-1)).to.equal(`downloaded 4 file(s) into ${local}`);
  });

  it('defaults LOCAL_DIR to the folder name; a trailing slash on REMOTE changes nothing', async () => {
    const r = await dfs(['download', '-r', '/r/a/'], { env: env(), cwd: dir });
    expect(r.code, r.stderr).to.equal(0);
    expect(await fs.readFile(path.join(dir, 'a', 'b', 'deep.txt'), 'utf8')).to.equal('deep');
  });

  it('refuses names from a lying master that would land outside LOCAL_DIR, and writes the rest', async () => {
    const lies = [
      '/r/../../escape.txt',
      '/r/a/../../../escape2.txt',
      '/elsewhere/x.txt',
      '/r/./dot.txt',
      '/r//x',
    ];
    const proxy = await holdingProxy(cluster.master.url, {
      rewrite: (method, url, body) => {
        if (method !== 'GET' || !url.startsWith('/api/files?')) return body;
        const page = body as ListResponse;
        const like = page.entries.find((e) => e.type === 'file');
        if (!like || page.entries.some((e) => lies.includes(e.path))) return body;
        return { ...page, entries: [...page.entries, ...lies.map((p) => ({ ...like, path: p }))] };
      },
    });
    try {
      const local = path.join(dir, 'inner', 'lied');
      const r = await dfs(['download', '-r', '/r', local], { env: { DFS_MASTER: proxy.url } });
      expect(r.code).to.equal(1);
      for (const lie of lies) {
        expect(r.stderr).to.match(new RegExp(`^dfs: skipped ${lie.replace(/[.*]/g, '\\$&')}: `, 'm'));
      }
      expect(r.stderr.trimEnd().split('\n').at(-1)).to.equal(
        `dfs: downloaded 4 file(s) into ${local}; 5 skipped or failed (named above)`,
      );
      expect((await fs.readdir(path.join(dir, 'inner'))).sort()).to.deep.equal(['lied']);
      expect(await fs.readdir(dir)).not.to.include('escape.txt');
      expect(await fs.readFile(path.join(local, 'top.txt'), 'utf8')).to.equal('top');
    } finally {
      await proxy.close();
    }
  });

  it('never writes through a symbolic link in LOCAL_DIR that leads outside it', async () => {
    const local = path.join(dir, 'linked');
    const outside = path.join(dir, 'outside');
    await fs.mkdir(local);
    await fs.mkdir(outside);
    await fs.symlink(outside, path.join(local, 'a'));
    const r = await dfs(['download', '-r', '/r', local], { env: env() });
    expect(r.code).to.equal(1);
    expect(r.stderr, r.stderr).to.include(
      `dfs: failed /r/a/b/deep.txt: cannot write ${path.join(local, 'a', 'b', 'deep.txt')}: it would be outside ${local}`,
    );
    expect(await fs.readdir(outside)).to.deep.equal([]);
    expect(await fs.readFile(path.join(local, 'top.txt'), 'utf8')).to.equal('top');
  });

  it('names a file it cannot write (a local file where a folder should be) and downloads the rest', async () => {
    const local = path.join(dir, 'blocked');
    await fs.mkdir(local);
    await fs.writeFile(path.join(local, 'a'), 'a file, not a folder');
    const r = await dfs(['download', '-r', '/r', local], { env: env() });
    expect(r.code).to.equal(1);
    expect(r.stderr).to.match(/^dfs: failed \/r\/a\/b\/deep\.txt: cannot write .*: /m);
    expect(await fs.readFile(path.join(local, 'top.txt'), 'utf8')).to.equal('top');
    expect(await fs.readFile(path.join(local, 'a'), 'utf8')).to.equal('a file, not a folder');
  });

  it('refuses -r with stdout, an empty LOCAL (an unset variable), and a folder that does not exist', async () => {
    const stdout = await dfs(['download', '-r', '/r', '-'], { env: env() });
    expect(stdout.code).to.equal(2);
    // '' is no path: it was taken as the current folder, whose files were overwritten.
    for (const args of [
      ['download', '-r', '/r', ''],
      ['download', '/r/top.txt', ''],
      ['upload', '', '/x'],
      ['upload', path.join(dir, 'nope'), ''],
    ]) {
      const empty = await dfs(args, { env: env(), cwd: dir });
      expect(empty.code, args.join(' ')).to.equal(2);
      expect(empty.stderr).to.match(/^dfs: (LOCAL|REMOTE) is empty \(an unset variable\?\): name a path\n/);
    }
    const missing = await dfs(['download', '-r', '/nope', path.join(dir, 'nope')], { env: env() });
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.equal('dfs: not found: /nope/\n');
  });
});
