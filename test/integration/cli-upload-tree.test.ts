// `dfs upload DIR`: every entry it cannot upload (a name dfs refuses, a symlink, a FIFO, a
// socket, a file over the cluster's limit) is named with its reason, the rest is uploaded,
// empty folders are created, and the exit code says something was left out.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { expect } from 'chai';
import { dfs, requireBuild } from '../helpers/cli.js';
import { randomData, startCluster, type TestCluster, tempDir } from '../helpers/cluster.js';

describe('dfs upload of a folder tree', function () {
  this.timeout(60_000);
  let cluster: TestCluster;
  let dir: string;
  let socket: net.Server | undefined;
  const env = () => ({ DFS_MASTER: cluster.master.url });

  before(async () => {
    requireBuild();
    cluster = await startCluster({ nodes: 2, chunkSize: '64KiB', maxFileSize: '1MiB' });
    dir = await tempDir('dfs-cli-tree-');
  });

  after(async () => {
    socket?.close();
    await cluster?.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  /** Every file path below `prefix` on the cluster. */
  async function remoteFiles(prefix: string): Promise<string[]> {
    const files: string[] = [];
    for await (const e of cluster.sdk.listAll(prefix)) files.push(e.path);
    return files.sort();
  }

  it('names each entry it skips, uploads the rest, creates empty folders, exits 1', async () => {
    const tree = path.join(dir, 'tree');
    await fs.mkdir(path.join(tree, 'sub'), { recursive: true });
    await fs.writeFile(path.join(tree, 'good.txt'), 'good');
    await fs.writeFile(path.join(tree, 'sub', 'ok.txt'), 'ok');
    await fs.writeFile(path.join(tree, 'back\\slash.txt'), 'x');
    await fs.writeFile(path.join(tree, 'control\u0001char.txt'), 'x');
    // Not UTF-8: the name dfs would see is not the name on disk.
    await fs.writeFile(
      Buffer.concat([Buffer.from(`${tree}/latin1-`), Buffer.from([0xe9]), Buffer.from('.txt')]),
      'x',
    );
    await fs.mkdir(path.join(tree, 'bad\\folder'));
    await fs.writeFile(path.join(tree, 'bad\\folder', 'inside.txt'), 'never reached');
    await fs.symlink('good.txt', path.join(tree, 'link.txt'));
    await fs.symlink('sub', path.join(tree, 'link-folder'));
    await fs.symlink('.', path.join(tree, 'sub', 'loop'));
    execFileSync('mkfifo', [path.join(tree, 'fifo')]);
    const listening = net.createServer();
    socket = listening;
    await new Promise<void>((resolve) => listening.listen(path.join(tree, 'socket'), resolve));
    await fs.mkdir(path.join(tree, 'empty'));
    await fs.mkdir(path.join(tree, 'deep', 'er'), { recursive: true });
    await fs.writeFile(path.join(tree, 'too-big.bin'), randomData(1_200_000));

    const r = await dfs(['upload', tree, '/t'], { env: env() });
    expect(r.code, r.stderr).to.equal(1);
    const lines = r.stderr.trimEnd().split('\n');
    const skipped = (name: string, reason: string) =>
      expect(lines, `${name}\n${r.stderr}`).to.include(`dfs: skipped ${path.join(tree, name)}: ${reason}`);
    skipped('back\\slash.txt', 'path must not contain backslashes');
    skipped('control\\x01char.txt', 'path must not contain control characters');
    skipped('latin1-\ufffd.txt', 'the name is not valid UTF-8');
    skipped('bad\\folder', 'path must not contain backslashes');
    skipped('link.txt', 'a symbolic link (links inside a folder are not followed)');
    skipped('link-folder', 'a symbolic link (links inside a folder are not followed)');
    skipped('sub/loop', 'a symbolic link (links inside a folder are not followed)');
    skipped('fifo', 'not a regular file or folder (a FIFO)');
    skipped('socket', 'not a regular file or folder (a socket)');
    expect(lines).to.include(
      `dfs: failed ${path.join(tree, 'too-big.bin')}: file is larger than the cluster's limit of 1048576 bytes`,
    );
    expect(lines.at(-1)).to.equal(
      'dfs: uploaded 2 file(s) and 2 empty folder(s) into /t; 10 skipped or failed (named above)',
    );
    expect(r.stderr).not.to.match(/\n\s+at /);

    expect(await remoteFiles('/t/')).to.deep.equal(['/t/good.txt', '/t/sub/ok.txt']);
    const top = (await cluster.sdk.list('/t/', { delimiter: true })).entries.map((e) => e.name).sort();
    expect(top).to.deep.equal(['deep', 'empty', 'good.txt', 'sub']);
    const deep = (await cluster.sdk.list('/t/deep/', { delimiter: true })).entries.map((e) => e.name);
    expect(deep).to.deep.equal(['er']);
  });

  it('skips, naming both, a file or folder whose name is another one of the tree in another Unicode form', async () => {
    const tree = path.join(dir, 'forms');
    await fs.mkdir(tree);
    const composed = '\u00e9.txt'; // é as one code point
    const decomposed = 'e\u0301.txt'; // e and a combining accent: dfs keeps names composed
    await fs.writeFile(path.join(tree, composed), 'composed');
    await fs.writeFile(path.join(tree, decomposed), 'decomposed');
    // Two folders so named would merge: the second is left out, and what is in it.
    for (const [folder, file] of [
      ['d\u00e9', 'one.txt'],
      ['de\u0301', 'two.txt'],
    ] as const) {
      await fs.mkdir(path.join(tree, folder));
      await fs.writeFile(path.join(tree, folder, file), file);
    }
    const r = await dfs(['upload', tree, '/forms'], { env: env() });
    expect(r.code, r.stderr).to.equal(1);
    expect(r.stderr).to.match(
      /dfs: skipped .*\.txt: the same name as .*\.txt in another Unicode form \(one dfs name\)/,
    );
    expect((await remoteFiles('/forms/')).filter((f) => f.endsWith('\u00e9.txt'))).to.deep.equal([
      '/forms/\u00e9.txt',
    ]);
    // Names sort by code unit: the decomposed folder comes first and is the one kept.
    expect((await remoteFiles('/forms/')).filter((f) => f.startsWith('/forms/d'))).to.deep.equal([
      '/forms/d\u00e9/two.txt',
    ]);
    const kept = (await cluster.sdk.stat('/forms/\u00e9.txt')).size;
    expect(['composed'.length, 'decomposed'.length]).to.include(kept);
  });

  it('stops at once, with one message, when the master cannot be reached', async () => {
    const r = await dfs(['upload', path.join(dir, 'tree'), '/t2', '--master', 'http://127.0.0.1:9']);
    expect(r.code).to.equal(1);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines.filter((l) => l.startsWith('dfs: failed'))).to.deep.equal([]);
    expect(lines.at(-1)).to.equal('dfs: cannot reach master http://127.0.0.1:9 (ECONNREFUSED)');
  });

  it('a clean tree exits 0; an empty folder given on its own is created', async () => {
    const tree = path.join(dir, 'clean');
    await fs.mkdir(path.join(tree, 'a'), { recursive: true });
    await fs.writeFile(path.join(tree, 'a', 'one.txt'), 'one');
    const r = await dfs(['upload', tree, '/clean'], { env: env() });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr.trimEnd().split('\n').at(-1)).to.equal('uploaded 1 file(s) into /clean');
    const empty = path.join(dir, 'nothing');
    await fs.mkdir(empty);
    const e = await dfs(['upload', empty, '/nothing'], { env: env() });
    expect(e.code, e.stderr).to.equal(0);
    expect((await cluster.sdk.list('/', { delimiter: true })).entries.map((x) => x.name)).to.include(
      'nothing',
    );
  });
});
