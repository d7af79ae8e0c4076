// Drives the built `dfs` binary as a user would: `dfs up` on free ports, then every client
// command, its exit codes and messages, then Ctrl-C.

import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { expect } from 'chai';
import { DFS_BIN } from '../../src/cli/launch.js';
import { dfs, requireBuild } from '../helpers/cli.js';
import { randomData, sha256 as sha, tempDir } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';

describe('the dfs binary', function () {
  this.timeout(60_000);
  let dir: string;
  let up: ChildProcess;
  let upLog = '';
  let master = '';
  let webClient = '';
  const env = () => ({ DFS_MASTER: master });

  before(async function () {
    // Five daemons start: on a loaded machine that alone can take half a minute.
    this.timeout(120_000);
    requireBuild();
    dir = await tempDir('dfs-cli-');
    up = spawn(
      process.execPath,
      [DFS_BIN, 'up', '--port', '0', '--data', path.join(dir, 'data'), '--chunk-size', '64KiB'],
      {
        env: { ...process.env, DFS_SECRET: '' },
      },
    );
    up.stderr?.on('data', (d: Buffer) => {
      upLog += d.toString();
    });
    const match = await waitFor(
      () => /dfs up: master (\S+), nodes .* web client (\S+)/.exec(upLog),
      'dfs up to start',
      60_000,
    );
    master = match?.[1] ?? '';
    webClient = match?.[2] ?? '';
    await waitFor(async () => {
      const r = await dfs(['nodes', '--json'], { env: env() });
      return (
        r.code === 0 &&
        JSON.parse(r.stdout.toString()).filter((n: { state: string }) => n.state === 'alive').length === 2
      );
    }, 'both nodes to register');
  });

  after(async () => {
    if (up && up.exitCode === null) up.kill('SIGKILL');
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('generates a cluster secret into its data folder', async () => {
    const secret = await fs.readFile(path.join(dir, 'data', 'secret'), 'utf8');
    expect(secret.trim()).to.match(/^[\w-]{40,}$/);
    expect((await fs.stat(path.join(dir, 'data', 'secret'))).mode & 0o777).to.equal(0o600);
  });

  it('uploads a file, lists it in a table and as JSON, downloads it byte for byte', async () => {
    const data = randomData(300_000);
    const local = path.join(dir, 'report final.bin');
    await fs.writeFile(local, data);
    const upload = await dfs(['upload', local, '/docs/'], { env: env() });
    expect(upload.code, upload.stderr).to.equal(0);
    const ls = await dfs(['ls', '/docs'], { env: env() });
    expect(ls.code).to.equal(0);
    // Piped, each entry is a tab-separated line: size, modified, replicas, name.
    expect(ls.stdout.toString()).to.match(/^293 KiB\t\d{4}-\d\d-\d\d \d\d:\d\d\t2\/2\treport final\.bin$/m);
    const json = JSON.parse((await dfs(['ls', '/docs', '--json'], { env: env() })).stdout.toString());
    expect(json).to.have.length(1);
    expect(json[0]).to.include({
      type: 'file',
      path: '/docs/report final.bin',
      name: 'report final.bin',
      size: 300_000,
    });
    const stat = JSON.parse(
      (await dfs(['stat', '/docs/report final.bin', '--json'], { env: env() })).stdout.toString(),
    );
    expect(stat.sha256).to.equal(sha(data));
    expect(stat.chunks).to.have.length(5);
    const out = path.join(dir, 'back.bin');
    const download = await dfs(['download', '/docs/report final.bin', out], { env: env() });
    expect(download.code, download.stderr).to.equal(0);
    expect(sha(await fs.readFile(out))).to.equal(sha(data));
    expect((await fs.readdir(dir)).filter((f) => f.includes('dfs-partial'))).to.deep.equal([]);
  });

  it('downloads into a device such as /dev/null without replacing it', async () => {
    await dfs(['upload', '-', '/dev-null-test'], { env: env(), input: Buffer.from('discard me') });
    const r = await dfs(['download', '/dev-null-test', '/dev/null'], { env: env() });
    expect(r.code, r.stderr).to.equal(0);
    expect((await fs.stat('/dev/null')).isCharacterDevice()).to.equal(true);
  });

  it('shows progress on a terminal and never hangs on one that reports no width', async () => {
    const local = path.join(dir, 'tty.bin');
    await fs.writeFile(local, randomData(200_000));
    // `script` gives the command a pseudo-terminal; `stty` sets (or leaves at zero) its width.
    const onTerminal = async (setup: string, remote: string) =>
      dfs(['-q', '-c', `${setup} ${process.execPath} ${DFS_BIN} upload ${local} ${remote}`, '/dev/null'], {
        env: env(),
        program: 'script',
      });
    const wide = await onTerminal('stty cols 100 rows 30;', '/tty/wide.bin');
    expect(wide.code, wide.stderr).to.equal(0);
    expect(wide.stdout.toString()).to.match(/uploaded \/tty\/wide\.bin {2}195 KiB in [\d.]+s \(/);
    const narrow = await onTerminal('', '/tty/no-width.bin');
    expect(narrow.code, narrow.stderr).to.equal(0);
    expect(narrow.stdout.toString()).to.match(/uploaded .*tty\.bin → \/tty\/no-width\.bin \(195 KiB\)/);
    // A folder: one progress line for the whole transfer, then its summary with bytes and rate.
    const tree = path.join(dir, 'tty-tree');
    await fs.mkdir(path.join(tree, 'sub'), { recursive: true });
    for (const name of ['a.bin', 'b.bin', 'sub/c.bin'])
      await fs.writeFile(path.join(tree, name), randomData(50_000));
    const folder = await dfs(
      [
        '-q',
        '-c',
        `stty cols 100 rows 30; ${process.execPath} ${DFS_BIN} upload ${tree} /tty/tree`,
        '/dev/null',
      ],
      { env: env(), program: 'script' },
    );
    const shownText = folder.stdout.toString();
    expect(shownText).to.match(/uploaded 3 file\(s\) into \/tty\/tree {2}146 KiB in [\d.]+s \(/);
    expect(shownText).to.not.include('a.bin →');
    // Bytes that are not text are not written to a terminal; text is.
    const toTerminal = (remote: string) =>
      dfs(['-q', '-c', `${process.execPath} ${DFS_BIN} download ${remote} -`, '/dev/null'], {
        env: env(),
        program: 'script',
      });
    const binary = await toTerminal('/tty/wide.bin');
    expect(binary.stdout.toString()).to.include(
      'dfs: /tty/wide.bin is application/octet-stream, not text: redirect standard output, or name a local file',
    );
    await dfs(['upload', '-', '/tty/note.txt'], { env: env(), input: Buffer.from('a note\n') });
    expect((await toTerminal('/tty/note.txt')).stdout.toString()).to.include('a note');
  });

  it('uploads from stdin and downloads to stdout', async () => {
    const data = randomData(150_000);
    expect((await dfs(['upload', '-', '/pipe/in.bin'], { env: env(), input: data })).code).to.equal(0);
    const r = await dfs(['download', '/pipe/in.bin', '-'], { env: env() });
    expect(r.code).to.equal(0);
    expect(r.stdout.equals(data)).to.equal(true);
  });

  it('uploads a whole folder tree', async () => {
    const tree = path.join(dir, 'tree');
    await fs.mkdir(path.join(tree, 'a', 'b'), { recursive: true });
    const files = { 'one.txt': 'one', 'a/two.txt': 'two', 'a/b/three.txt': 'three' };
    for (const [name, content] of Object.entries(files)) await fs.writeFile(path.join(tree, name), content);
    const r = await dfs(['upload', tree, '/backup'], { env: env() });
    expect(r.code, r.stderr).to.equal(0);
    const listed = JSON.parse(
      (await dfs(['ls', '-r', '/backup', '--json'], { env: env() })).stdout.toString(),
    );
    expect(listed.map((e: { path: string }) => e.path).sort()).to.deep.equal([
      '/backup/a/b/three.txt',
      '/backup/a/two.txt',
      '/backup/one.txt',
    ]);
    const three = await dfs(['download', '/backup/a/b/three.txt', '-'], { env: env() });
    expect(three.stdout.toString()).to.equal('three');
  });

  it('shows nodes and cluster status', async () => {
    const nodes = await dfs(['nodes'], { env: env() });
    expect(nodes.code).to.equal(0);
    expect(nodes.stdout.toString().match(/alive/g)).to.have.length(2);
    const status = JSON.parse((await dfs(['status', '--json'], { env: env() })).stdout.toString());
    expect(status.nodes).to.deep.equal({ alive: 2, dead: 0 });
    expect(status.files).to.be.greaterThan(0);
  });

  it("says that status counts distinct chunks and fsck each file's, a shared one once per file", async () => {
    const twin = path.join(dir, 'twin.txt');
    await fs.writeFile(twin, 'the same bytes twice');
    for (const name of ['a', 'b']) {
      const r = await dfs(['upload', twin, `/twins/${name}.txt`], { env: env() });
      expect(r.code, r.stderr).to.equal(0);
    }
    const fsck = await dfs(['fsck', '/twins'], { env: env() });
    expect(fsck.code, fsck.stderr).to.equal(0);
    expect(fsck.stdout.toString()).to.match(/Chunks checked\s*│\s*2, each file's \(replication/);
    const status = await dfs(['status'], { env: env() });
    expect(status.stdout.toString()).to.match(/Chunks\s*│\s*\d+ distinct \(/);
  });

  it('fits a table to a terminal narrower than it, and leaves a piped one whole', async () => {
    const onTerminal = async (cols: number) => {
      const r = await dfs(
        ['-q', '-c', `stty cols ${cols} rows 40; ${process.execPath} ${DFS_BIN} nodes`, '/dev/null'],
        { env: env(), program: 'script' },
      );
      expect(r.code, r.stderr).to.equal(0);
      return stripVTControlCharacters(r.stdout.toString()).replaceAll('\r', '').trimEnd().split('\n');
    };
    // Its node URLs alone make the table wider than 80 columns.
    for (const cols of [80, 60]) {
      const lines = await onTerminal(cols);
      expect(lines.length, `${cols} columns`).to.be.greaterThan(4);
      expect(Math.max(...lines.map((l) => l.length)), `${cols} columns`).to.be.at.most(cols);
    }
    expect((await onTerminal(200)).join('\n').match(/alive/g)).to.have.length(2);
    const urls = JSON.parse((await dfs(['nodes', '--json'], { env: env() })).stdout.toString()).map(
      (n: { url: string }) => n.url,
    );
    const piped = (await dfs(['nodes'], { env: env() })).stdout.toString();
    for (const url of urls) expect(piped).to.include(url);
    expect(Math.max(...piped.split('\n').map((l) => l.length))).to.be.greaterThan(80);
  });

  it('uploads and moves a file onto a folder into it, as cp and mv do', async () => {
    const local = path.join(dir, 'into.txt');
    await fs.writeFile(local, 'into');
    await dfs(['mkdir', '/into/sub'], { env: env() });
    expect((await dfs(['upload', local, '/into'], { env: env() })).code).to.equal(0);
    const size = async (remote: string) =>
      JSON.parse((await dfs(['stat', '--json', remote], { env: env() })).stdout.toString()).size;
    expect(await size('/into/into.txt')).to.equal(4);
    const moved = await dfs(['mv', '/into/into.txt', '/into/sub'], { env: env() });
    expect([moved.code, moved.stderr]).to.deep.equal([
      0,
      'moved /into/into.txt → /into/sub/into.txt (1 file)\n',
    ]);
    expect(await size('/into/sub/into.txt')).to.equal(4);
    // Onto the folder it is in already: nothing to move, and said so.
    const same = await dfs(['mv', '/into/sub/into.txt', '/into/sub'], { env: env() });
    expect([same.code, same.stderr]).to.deep.equal([1, 'dfs: /into/sub/into.txt is already there\n']);
  });

  it('makes a folder, and says so only when it was not there', async () => {
    const made = await dfs(['mkdir', '/made/here'], { env: env() });
    expect([made.code, made.stderr]).to.deep.equal([0, 'created /made/here/\n']);
    const again = await dfs(['mkdir', '/made/here'], { env: env() });
    expect([again.code, again.stderr]).to.deep.equal([0, '/made/here/ already exists\n']);
  });

  it('deletes a file', async () => {
    await dfs(['upload', '-', '/tmp/gone.txt'], { env: env(), input: Buffer.from('bye') });
    expect((await dfs(['rm', '/tmp/gone.txt'], { env: env() })).code).to.equal(0);
    const r = await dfs(['stat', '/tmp/gone.txt'], { env: env() });
    expect(r.code).to.equal(1);
  });

  it('fails clearly: missing file, bad path, unreachable master, bad usage', async () => {
    const missing = await dfs(['download', '/nope.txt', path.join(dir, 'x')], { env: env() });
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.equal('dfs: not found: /nope.txt\n');
    const local = path.join(dir, 'small.txt');
    await fs.writeFile(local, 'x');
    for (const bad of ['/a/../b', '/a/\u0001b', '/a\\b']) {
      const r = await dfs(['upload', local, bad], { env: env() });
      expect(r.code).to.equal(1);
      expect(r.stderr).to.match(/^dfs: path must not contain/);
    }
    const unreachable = await dfs(['ls', '--master', 'http://127.0.0.1:9'], {});
    expect(unreachable.code).to.equal(1);
    expect(unreachable.stderr).to.match(/^dfs: cannot reach master http:\/\/127\.0\.0\.1:9 /);
    expect((await dfs(['frobnicate'], {})).code).to.equal(2);
    expect((await dfs(['upload'], {})).code).to.equal(2);
    const help = await dfs(['help', 'nope'], {});
    expect([help.code, help.stderr]).to.deep.equal([
      2,
      "error: unknown command 'nope'\n(run with --help for usage)\n",
    ]);
    expect((await dfs(['help', 'upload'], {})).code).to.equal(0);
    // A subcommand's bad usage too, with the hint.
    const sub = await dfs(['nodes', 'remove'], {});
    expect([sub.code, sub.stderr]).to.deep.equal([
      2,
      "error: missing required argument 'node'\n(run with --help for usage)\n",
    ]);
    expect((await dfs(['upload', path.join(dir, 'does-not-exist')], { env: env() })).code).to.equal(1);
    // dfs up checks its flags before it writes anything to its data folder.
    for (const flags of [
      ['--chunk-size', '1x'],
      ['--replication', '0'],
      ['--nodes', '0'],
      ['--advertise-host', 'box.lan'], // with --port 0: no port to announce
      ['--port', '5999', '--advertise-host', 'box.lan'], // bound to loopback: no one else reaches it
    ]) {
      const data = path.join(dir, 'never-made');
      const up = await dfs(['up', '--port', '0', '--data', data, ...flags], {});
      expect([up.code, await fs.stat(data).catch(() => 'absent')], flags.join(' ')).to.deep.equal([
        2,
        'absent',
      ]);
    }
    const notFolder = await dfs(['up', '--port', '0', '--data', local], {});
    expect([notFolder.code, notFolder.stderr]).to.deep.equal([2, `dfs: --data ${local} is not a folder\n`]);
    for (const r of [missing, unreachable]) expect(r.stderr).to.not.match(/\n\s+at /);
  });

  it('serves a page from every daemon', async () => {
    const nodes = JSON.parse((await dfs(['nodes', '--json'], { env: env() })).stdout.toString());
    for (const url of [master, webClient, ...nodes.map((n: { url: string }) => n.url)]) {
      const res = await fetch(`${url}/`);
      expect(res.status, url).to.equal(200);
      expect(res.headers.get('content-type')).to.match(/text\/html/);
    }
  });

  it('stops the whole cluster cleanly on Ctrl-C (SIGINT)', async () => {
    const exited = new Promise<number | null>((resolve) => up.once('exit', (code) => resolve(code)));
    up.kill('SIGINT');
    expect(await exited).to.equal(0);
    for (const node of ['node1', 'node2']) {
      expect(await fs.readdir(path.join(dir, 'data', node, 'tmp'))).to.deep.equal([]);
    }
  });
});
