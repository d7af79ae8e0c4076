// `dfs download` into local files: each download through its own temporary file, renamed over
// the target only when whole; clear messages when the local side cannot be written.

import { type ChildProcess, execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { dfs, partialFiles, requireBuild } from '../helpers/cli.js';
import { pieces, randomData, sha256, startCluster, type TestCluster, tempDir } from '../helpers/cluster.js';
import { Gate, type HoldingProxy, proxiedNodes } from '../helpers/holding-proxy.js';
import { waitFor } from '../helpers/wait.js';

describe('dfs download into local files', function () {
  this.timeout(60_000);
  let cluster: TestCluster;
  let dir: string;
  const env = () => ({ DFS_MASTER: cluster.master.url });
  const one = randomData(1_000_000);
  const two = randomData(700_000);

  before(async () => {
    requireBuild();
    cluster = await startCluster({ nodes: 2, chunkSize: '64KiB' });
    dir = await tempDir('dfs-cli-download-');
    await cluster.sdk.upload(pieces(one), '/big/one.bin');
    await cluster.sdk.upload(pieces(two), '/big/two.bin');
  });

  after(async () => {
    await cluster?.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it("leaves alone a file named like another download's temporary file", async () => {
    const target = path.join(dir, 'stranger.bin');
    // What the old fixed temporary name was: another download may be writing it right now.
    const theirs = path.join(dir, '.stranger.bin.dfs-partial');
    await fs.writeFile(theirs, 'another download is writing this');
    const r = await dfs(['download', '/big/one.bin', target], { env: env() });
    expect(r.code, r.stderr).to.equal(0);
    expect(sha256(await fs.readFile(target))).to.equal(sha256(one));
    expect(await fs.readFile(theirs, 'utf8')).to.equal('another download is writing this');
    await fs.rm(theirs);
  });

  it('two downloads to one path at once: each that exits 0 leaves a whole file, no temporary file stays', async () => {
    const target = path.join(dir, 'race.bin');
    for (let round = 0; round < 3; round++) {
      const [a, b] = await Promise.all([
        dfs(['download', '/big/one.bin', target], { env: env() }),
        dfs(['download', '/big/two.bin', target], { env: env() }),
      ]);
      expect(a.code, a.stderr).to.equal(0);
      expect(b.code, b.stderr).to.equal(0);
      const got = sha256(await fs.readFile(target));
      expect([sha256(one), sha256(two)], `round ${round}`).to.include(got);
      expect(await partialFiles(dir)).to.deep.equal([]);
    }
  });

  it('a download interrupted (Ctrl-C, a closed terminal) dies by the signal and leaves neither the target nor a temporary file', async () => {
    // A cluster of its own whose nodes hold every chunk read: the download stays in progress.
    const gate = new Gate(undefined, 30_000);
    const own = await startCluster({ nodes: 0, chunkSize: '64KiB' });
    let proxies: HoldingProxy[] = [];
    try {
      proxies = await proxiedNodes(
        own,
        2,
        gate,
        (method, url) => method === 'GET' && url.startsWith('/chunks/'),
      );
      await own.sdk.upload(pieces(randomData(300_000)), '/held.bin');
      for (const signal of ['SIGINT', 'SIGHUP'] as const) {
        const target = path.join(dir, 'held.bin');
        let child: ChildProcess | undefined;
        const matched = gate.matched;
        const run = dfs(['download', '/held.bin', target], {
          env: { DFS_MASTER: own.master.url },
          onSpawn: (c) => (child = c),
        });
        // Its temporary file exists and its first chunk read is held: mid-download.
        await waitFor(
          async () => gate.matched > matched && (await partialFiles(dir)).length > 0,
          'the download to start',
        );
        child?.kill(signal);
        const r = await run;
        expect([r.code, r.signal], r.stderr).to.deep.equal([null, signal]);
        expect(await partialFiles(dir), signal).to.deep.equal([]);
        await fs.access(target).then(
          () => expect.fail('the target was created'),
          () => undefined,
        );
      }
    } finally {
      gate.releaseAll();
      for (const proxy of proxies) await proxy.close();
      await own.close();
    }
  });

  it('a download that fails leaves neither the target nor a temporary file', async () => {
    await cluster.sdk.upload(pieces(randomData(300_000)), '/broken.bin');
    const info = await cluster.sdk.stat('/broken.bin');
    const chunk = info.chunks[2]?.id as string;
    // Every copy of the third chunk rots: the first chunks arrive, then the download must fail.
    for (const node of cluster.nodes) {
      const file = path.join(
        cluster.dir,
        `node${cluster.nodes.indexOf(node) + 1}`,
        'chunks',
        chunk.slice(0, 2),
        chunk,
      );
      await fs.writeFile(file, randomData(65_536));
    }
    const target = path.join(dir, 'broken.bin');
    const r = await dfs(['download', '/broken.bin', target], { env: env() });
    expect(r.code).to.equal(1);
    expect(r.stderr).to.match(/^dfs: no good replica of chunk /);
    await fs.access(target).then(
      () => expect.fail('the target was created'),
      () => undefined,
    );
    expect(await partialFiles(dir)).to.deep.equal([]);
  });

  it('over an existing file keeps its permissions, and writes through a link to it', async () => {
    const secret = path.join(dir, 'private.bin');
    await fs.writeFile(secret, 'old');
    await fs.chmod(secret, 0o600);
    const link = path.join(dir, 'link-to-private.bin');
    await fs.symlink(secret, link);
    for (const target of [secret, link]) {
      const r = await dfs(['download', '/big/two.bin', target], { env: env() });
      expect(r.code, r.stderr).to.equal(0);
      expect(sha256(await fs.readFile(secret))).to.equal(sha256(two));
      expect((await fs.stat(secret)).mode & 0o777, target).to.equal(0o600);
    }
    expect((await fs.lstat(link)).isSymbolicLink()).to.equal(true);
    // Not the setuid bit: it was given to the old bytes.
    await fs.chmod(secret, 0o4755);
    expect((await dfs(['download', '/big/two.bin', secret], { env: env() })).code).to.equal(0);
    expect((await fs.stat(secret)).mode & 0o7777).to.equal(0o755);
    await fs.rm(secret);
    await fs.rm(link);
  });

  it('into a folder, or at the default name, replaces a link there rather than write through it', async () => {
    const victim = path.join(dir, 'victim.txt');
    await fs.writeFile(victim, 'not yours');
    const shared = path.join(dir, 'shared');
    await fs.mkdir(shared);
    // Someone else's link, planted where the download will land.
    await fs.symlink(victim, path.join(shared, 'two.bin'));
    for (const [args, cwd] of [
      [['download', '/big/two.bin', `${shared}/`], dir],
      [['download', '/big/two.bin', shared], dir],
      [['download', '/big/two.bin'], shared],
    ] as const) {
      const r = await dfs([...args], { env: env(), cwd });
      expect(r.code, r.stderr).to.equal(0);
      expect(await fs.readFile(victim, 'utf8'), args.join(' ')).to.equal('not yours');
      const landed = path.join(shared, 'two.bin');
      expect((await fs.lstat(landed)).isSymbolicLink()).to.equal(false);
      expect(sha256(await fs.readFile(landed))).to.equal(sha256(two));
      await fs.rm(landed);
      await fs.symlink(victim, landed);
    }
    await fs.rm(shared, { recursive: true });
    await fs.rm(victim);
  });

  it('into a FIFO waits for its reader, and the reader gets every byte', async () => {
    const fifo = path.join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    // A file small enough for the pipe's buffer: it went there, and was lost when dfs exited
    // before anyone read the FIFO. Now dfs has not finished while no reader has come (a busy
    // machine could only make this pass without the fix, never fail with it).
    await cluster.sdk.upload(pieces(Buffer.from('small enough')), '/fifo/small.txt');
    let finished = false;
    const download = dfs(['download', '/fifo/small.txt', fifo], { env: env() }).finally(() => {
      finished = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(finished, 'dfs finished before the FIFO had a reader').to.equal(false);
    const [r, got] = await Promise.all([download, fs.readFile(fifo, 'utf8')]);
    expect(r.code, r.stderr).to.equal(0);
    expect(got).to.equal('small enough');
    await fs.rm(fifo);
  });
});
