// Content types, user metadata and generations through the CLI: set at upload, shown by stat
// (table and JSON), refused when too large.

import fs from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import type { FileInfo } from '../../src/protocol/types.js';
import { dfs, requireBuild } from '../helpers/cli.js';
import { startCluster, type TestCluster, tempDir } from '../helpers/cluster.js';

describe('dfs upload --content-type --meta, and dfs stat', function () {
  this.timeout(60_000);
  let cluster: TestCluster;
  let dir: string;
  const env = () => ({ DFS_MASTER: cluster.master.url });

  before(async () => {
    requireBuild();
    cluster = await startCluster({ nodes: 2 });
    dir = await tempDir();
    await fs.writeFile(path.join(dir, 'notes.md'), '# notes\n');
  });
  after(async () => {
    await cluster?.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('guesses the type from the name, or takes the one given, with metadata; stat shows them', async () => {
    const local = path.join(dir, 'notes.md');
    expect((await dfs(['upload', local, '/m/guessed.md'], { env: env() })).code).to.equal(0);
    const up = await dfs(
      [
        'upload',
        local,
        '/m/given.md',
        '--content-type',
        'text/x-notes',
        '--meta',
        'Owner=ana',
        '--meta',
        'tag=a=b',
      ],
      { env: env() },
    );
    expect(up.code, up.stderr).to.equal(0);
    const guessed = JSON.parse(
      (await dfs(['stat', '/m/guessed.md', '--json'], { env: env() })).stdout.toString(),
    ) as FileInfo;
    expect(guessed.contentType).to.equal('text/markdown; charset=utf-8');
    const given = JSON.parse(
      (await dfs(['stat', '/m/given.md', '--json'], { env: env() })).stdout.toString(),
    ) as FileInfo;
    expect(given).to.deep.include({ contentType: 'text/x-notes', metadata: { owner: 'ana', tag: 'a=b' } });
    expect(given.generation).to.be.greaterThan(guessed.generation);
    const table = await dfs(['stat', '/m/given.md'], { env: env() });
    expect(table.stdout.toString()).to.match(/type\s+text\/x-notes/);
    expect(table.stdout.toString()).to.match(/generation\s+\d+/);
    expect(table.stdout.toString()).to.match(/metadata\s+owner=ana/);
    // A value with terminal escapes (set through the API) is printed escaped, as names are.
    await cluster.sdk.upload(['x'], '/m/escapes.txt', {
      metadata: { note: '\u001b]0;PWNED\u0007\u001b[2J' },
    });
    const shown = (await dfs(['stat', '/m/escapes.txt'], { env: env() })).stdout.toString();
    expect(shown).to.include('note=\\x1b]0;PWNED\\x07\\x1b[2J');
    expect(shown).to.not.include('\u001b');
  });

  it('gives every file of an uploaded folder the type and metadata given', async () => {
    const tree = path.join(dir, 'tree');
    await fs.mkdir(path.join(tree, 'sub'), { recursive: true });
    await fs.writeFile(path.join(tree, 'a.md'), 'a');
    await fs.writeFile(path.join(tree, 'sub', 'b.png'), 'b');
    const up = await dfs(['upload', tree, '/tagged', '--content-type', 'text/x-kept', '--meta', 'batch=7'], {
      env: env(),
    });
    expect(up.code, up.stderr).to.equal(0);
    for (const file of ['/tagged/a.md', '/tagged/sub/b.png'])
      expect(await cluster.sdk.stat(file), file).to.deep.include({
        contentType: 'text/x-kept',
        metadata: { batch: '7' },
      });
  });

  it('refuses metadata over 2 KiB (exit 1) and a malformed type (bad usage, exit 2), and commits nothing', async () => {
    const local = path.join(dir, 'notes.md');
    const big = await dfs(['upload', local, '/m/big.md', '--meta', `k=${'v'.repeat(2100)}`], { env: env() });
    expect(big.code).to.equal(1);
    expect(big.stderr.toString()).to.match(/^dfs: metadata is larger than 2048 bytes/);
    const bad = await dfs(['upload', local, '/m/bad.md', '--content-type', 'not a type'], { env: env() });
    expect(bad.code).to.equal(2);
    expect(bad.stderr.toString()).to.match(
      /option '--content-type <type>' argument 'not a type' is invalid\. It must be a media type like text\/plain/,
    );
    const usage = await dfs(['upload', local, '/m/x.md', '--meta', 'novalue'], { env: env() });
    expect(usage.code).to.equal(2);
    for (const p of ['/m/big.md', '/m/bad.md', '/m/x.md'])
      expect((await dfs(['stat', p], { env: env() })).code, p).to.equal(1);
  });
});
