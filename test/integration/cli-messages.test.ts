// Messages that say what is wrong: a folder given where a file is expected, global options
// before the command, `dfs client --secret`, and bodies that are not JSON.

import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { DFS_BIN } from '../../src/cli/launch.js';
import type { ErrorBody } from '../../src/protocol/errors.js';
import { dfs, requireBuild } from '../helpers/cli.js';
import { bytes, startCluster, type TestCluster } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';

describe('dfs says what is wrong', function () {
  this.timeout(60_000);
  let cluster: TestCluster;
  const env = () => ({ DFS_MASTER: cluster.master.url });

  before(async () => {
    requireBuild();
    cluster = await startCluster({ nodes: 2, webClient: true, token: 'tok' });
    await cluster.sdk.upload(bytes('x'), '/docs/a.txt');
    await cluster.sdk.mkdir('/empty');
  });

  after(async () => {
    await cluster?.close();
  });

  it('rm, download and stat of a folder say it is a folder and suggest what to use', async () => {
    const tok = { ...env(), DFS_TOKEN: 'tok' };
    for (const folder of ['/docs', '/empty', '/docs/']) {
      const name = folder.replace(/\/$/, '');
      const rm = await dfs(['rm', folder], { env: tok });
      expect(rm.stderr).to.equal(`dfs: ${name} is a folder: use dfs rm -r ${name}\n`);
      expect(rm.code).to.equal(1);
      const download = await dfs(['download', folder, '-'], { env: tok });
      expect(download.stderr).to.equal(`dfs: ${name} is a folder: use dfs download -r ${name}\n`);
      expect(download.code).to.equal(1);
      const stat = await dfs(['stat', folder], { env: tok });
      expect(stat.stderr).to.equal(`dfs: ${name} is a folder: use dfs ls ${name}\n`);
      expect(stat.code).to.equal(1);
    }
    expect((await cluster.sdk.stat('/docs/a.txt')).size).to.equal(1);
    // Something that is neither stays "not found".
    const missing = await dfs(['rm', '/nothing-here'], { env: tok });
    expect(missing.stderr).to.equal('dfs: not found: /nothing-here\n');
    // A metadata name with terminal escapes, echoed by the master, is shown escaped.
    const escapes = await dfs(['upload', '-', '/meta.txt', '--meta', 'k\u001b[2J\u0007=v'], {
      env: tok,
      input: Buffer.from('x'),
    });
    expect(escapes.code).to.equal(1);
    expect(escapes.stderr).to.include('k\\x1b[2j\\x07'); // lowercased, as S3 does
    expect(escapes.stderr).to.not.include('\u001b');
  });

  it('a file named with a trailing slash is refused as a folder would be by rm, stat, download, mv and ls', async () => {
    const tok = { ...env(), DFS_TOKEN: 'tok' };
    for (const args of [
      ['rm', '/docs/a.txt/'],
      ['stat', '/docs/a.txt/'],
      ['download', '/docs/a.txt/', '-'],
      ['mv', '/docs/a.txt/', '/docs/b.txt'],
    ]) {
      const r = await dfs(args, { env: tok });
      expect(r.stderr, args.join(' ')).to.equal('dfs: /docs/a.txt is a file, not a folder\n');
      expect(r.code).to.equal(1);
      expect(r.stdout.toString()).to.equal('');
    }
    const ls = await dfs(['ls', '/docs/a.txt/'], { env: tok });
    expect(ls.code).to.equal(1);
    expect(ls.stderr).to.equal('dfs: /docs/a.txt is a file\n');
    // `rm` deleted nothing, `mv` moved nothing.
    expect((await cluster.sdk.stat('/docs/a.txt')).size).to.equal(1);
    expect(await cluster.sdk.stat('/docs/b.txt').catch((e: Error) => e.message)).to.equal(
      'not found: /docs/b.txt',
    );
  });

  it('an empty path argument (an unset variable) is bad usage for every command; a FIFO to upload is a failure', async () => {
    const cases: [string[], string][] = [
      [['ls', ''], 'PREFIX'],
      [['stat', ''], 'REMOTE'],
      [['rm', '-r', ''], 'REMOTE'],
      [['mkdir', ''], 'REMOTE'],
      [['mv', '', '/x'], 'FROM'],
      [['mv', '/docs/a.txt', ''], 'TO'],
    ];
    for (const [args, name] of cases) {
      const r = await dfs(args, { env: { ...env(), DFS_TOKEN: 'tok' } });
      expect([r.code, r.stderr], args.join(' ')).to.deep.equal([
        2,
        `dfs: ${name} is empty (an unset variable?): name a path\n`,
      ]);
    }
    expect((await cluster.sdk.stat('/docs/a.txt')).size).to.equal(1);
    // Not bad usage: a local file that cannot be uploaded, as a missing one is (exit 1).
    const fifo = path.join(os.tmpdir(), `dfs-fifo-${process.pid}`);
    spawnSync('mkfifo', [fifo]);
    try {
      const r = await dfs(['upload', fifo, '/from-a-fifo'], { env: { ...env(), DFS_TOKEN: 'tok' } });
      expect([r.code, r.stderr]).to.deep.equal([
        1,
        `dfs: not a regular file: ${fifo} (to send what a pipe or a device gives, pipe it in: dfs upload - REMOTE)\n`,
      ]);
    } finally {
      rmSync(fifo, { force: true });
    }
  });

  it('rm -r of a file deletes it, as rm does; a folder uploaded onto a file is refused once, before anything is sent', async () => {
    const run = (args: string[]) => dfs(args, { env: { ...env(), DFS_TOKEN: 'tok' } });
    await cluster.sdk.upload(bytes('y'), '/rmr/file.txt');
    const removed = await run(['rm', '-r', '/rmr/file.txt']);
    expect([removed.code, removed.stderr]).to.deep.equal([0, 'deleted /rmr/file.txt\n']);
    expect((await cluster.sdk.stat('/rmr/file.txt').catch((e) => e)).code).to.equal('not_found');
    const dir = path.join(os.tmpdir(), `dfs-tree-${process.pid}`);
    mkdirSync(path.join(dir, 'sub'), { recursive: true });
    writeFileSync(path.join(dir, 'one.txt'), 'one');
    writeFileSync(path.join(dir, 'sub', 'two.txt'), 'two');
    try {
      const onto = await run(['upload', dir, '/docs/a.txt']);
      expect([onto.code, onto.stderr]).to.deep.equal([
        1,
        `dfs: /docs/a.txt is a file, not a folder: upload ${dir} elsewhere\n`,
      ]);
      expect((await cluster.sdk.stat('/docs/a.txt')).size).to.equal(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a folder as standard input (it reads as nothing: an empty file was stored)', async () => {
    const folder = openSync(os.tmpdir(), 'r');
    try {
      const r = spawnSync(process.execPath, [DFS_BIN, 'upload', '-', '/from-a-folder'], {
        stdio: [folder, 'pipe', 'pipe'],
        env: { ...process.env, ...env(), DFS_TOKEN: 'tok' },
      });
      expect([r.status, r.stderr.toString()]).to.deep.equal([
        2,
        'dfs: standard input is a folder: name the folder instead of -\n',
      ]);
    } finally {
      closeSync(folder);
    }
    expect((await cluster.sdk.stat('/from-a-folder').catch((e) => e)).code).to.equal('not_found');
  });

  it('takes --master and --token before the command as well as after it', async () => {
    const master = cluster.master.url;
    for (const args of [
      ['--master', master, '--token', 'tok', 'ls', '/docs', '--json'],
      ['--token', 'tok', 'ls', '--master', master, '/docs', '--json'],
      ['ls', '/docs', '--json', '--master', master, '--token', 'tok'],
      // After the command wins over before it.
      [
        '--master',
        'http://127.0.0.1:9',
        '--token',
        'wrong',
        'ls',
        '/docs',
        '--json',
        '--master',
        master,
        '--token',
        'tok',
      ],
    ]) {
      const r = await dfs(args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).to.equal(0);
      expect(JSON.parse(r.stdout.toString()).map((e: { path: string }) => e.path)).to.deep.equal([
        '/docs/a.txt',
      ]);
    }
    const before = await dfs(['--master', master, 'download', '/docs/a.txt', '-', '--token', 'tok']);
    expect(before.stdout.toString()).to.equal('x');
  });

  it('dfs client takes --secret, as every daemon does', async () => {
    const child = spawn(
      process.execPath,
      [
        DFS_BIN,
        'client',
        '--port',
        '0',
        '--master',
        cluster.master.url,
        '--secret',
        's3cret',
        '--token',
        'tok',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let log = '';
    child.stderr.on('data', (d: Buffer) => {
      log += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      await waitFor(
        () => /web client listening on http/.test(log) || child.exitCode !== null,
        'the client to start',
      );
      expect(log).to.match(/web client listening on http/);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('a body that is not JSON, or not sent as JSON, is refused in words by every daemon', async () => {
    const web = cluster.client?.url as string;
    const targets: [string, Record<string, string>][] = [
      [`${cluster.master.url}/api/dirs`, { authorization: 'Bearer tok' }],
      [`${web}/api/mkdir`, { authorization: 'Bearer tok', 'x-dfs-csrf': '1' }],
    ];
    for (const [url, headers] of targets) {
      const post = async (body: string, type: string) => {
        const res = await fetch(url, { method: 'POST', headers: { ...headers, 'content-type': type }, body });
        return { status: res.status, body: (await res.json()) as ErrorBody };
      };
      const broken = await post('{"path": "/x",', 'application/json');
      expect(broken.status).to.equal(400);
      expect(broken.body.error.code).to.equal('bad_request');
      expect(broken.body.error.message, url).to.match(/^request body is not valid JSON/);
      const scalar = await post('"/x"', 'application/json');
      expect(scalar.status).to.equal(400);
      expect(scalar.body.error.message).to.equal('request body must be a JSON object');
      const text = await post('{"path": "/x"}', 'text/plain');
      expect(text.status).to.equal(400);
      expect(text.body.error.message, url).to.equal(
        'request body must be JSON (Content-Type: application/json)',
      );
    }
    expect((await cluster.sdk.list('/', { delimiter: true })).entries.map((e) => e.name)).not.to.include('x');
  });
});
