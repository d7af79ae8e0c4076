// The CLI's output cut short (`dfs ls | head -1`): a quiet exit 0, never a stack trace; and a
// local file that cannot be written is named, with the reason, never the temporary file.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { dfs, partialFiles, requireBuild } from '../helpers/cli.js';
import { pieces, randomData, startCluster, type TestCluster, tempDir } from '../helpers/cluster.js';

// The unprivileged user the permission tests run as.
const NOBODY = 65534;

describe('dfs with its output cut or its local folder unusable', function () {
  this.timeout(60_000);
  let cluster: TestCluster;
  let dir: string;
  const env = () => ({ DFS_MASTER: cluster.master.url });

  before(async () => {
    requireBuild();
    cluster = await startCluster({ nodes: 2, chunkSize: '64KiB' });
    dir = await tempDir('dfs-cli-pipes-');
    // Readable by the unprivileged user of the permission test.
    await fs.chmod(dir, 0o755);
    await cluster.sdk.upload(pieces(randomData(2_000_000)), '/big.bin');
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        cluster.sdk.upload(pieces(Buffer.from(`file ${i}`)), `/many/f${i}.txt`),
      ),
    );
  });

  after(async () => {
    await cluster?.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  const commands = [
    ['ls', '/'],
    ['ls', '-r', '/'],
    ['ls', '--json', '-r', '/'],
    ['download', '/big.bin', '-'],
    ['status'],
    ['nodes'],
    ['stat', '/big.bin'],
    ['stat', '--json', '/big.bin'],
    ['fsck'],
  ];

  for (const args of commands) {
    it(`dfs ${args.join(' ')} exits 0 quietly when nobody reads its output`, async () => {
      const r = await dfs(args, { env: env(), closeStdout: true });
      expect(r.stderr).to.equal('');
      expect(r.code).to.equal(0);
    });
  }

  it('dfs download - | head -c 100 and dfs ls -r | head -c 10: quiet, exit 0', async () => {
    const download = await dfs(['download', '/big.bin', '-'], { env: env(), headBytes: 100 });
    expect(download.stdout.length).to.be.at.least(100);
    expect(download.stderr).to.equal('');
    expect(download.code).to.equal(0);
    const ls = await dfs(['ls', '--json', '-r', '/'], { env: env(), headBytes: 10 });
    expect(ls.stderr).to.equal('');
    expect(ls.code).to.equal(0);
  });

  it('a failing command still exits 1 with its message when its output is cut', async () => {
    const r = await dfs(['ls', '/no-such-folder'], { env: env(), closeStdout: true });
    expect(r.code).to.equal(1);
    expect(r.stderr).to.equal('dfs: not found: /no-such-folder/\n');
  });

  it('a full disk behind stdout or a target is reported as such, exit 1', async () => {
    const out = await dfs(['download', '/big.bin', '-'], { env: env(), stdoutFile: '/dev/full' });
    expect(out.stderr).to.equal('dfs: cannot write to standard output: no space left on the device\n');
    expect(out.code).to.equal(1);
    const file = await dfs(['download', '/big.bin', '/dev/full'], { env: env() });
    expect(file.stderr).to.equal('dfs: cannot write /dev/full: no space left on the device\n');
    expect(file.code).to.equal(1);
    // Commands that print once and end (a table, JSON) too.
    for (const args of [
      ['stat', '/big.bin'],
      ['stat', '--json', '/big.bin'],
      ['status'],
      ['nodes'],
      ['fsck', '/'],
    ]) {
      const printed = await dfs(args, { env: env(), stdoutFile: '/dev/full' });
      expect([printed.code, printed.stderr], args.join(' ')).to.deep.equal([
        1,
        'dfs: cannot write to standard output: no space left on the device\n',
      ]);
    }
  });

  it('a download into a folder that does not exist names the target and the reason', async () => {
    const target = path.join(dir, 'missing', 'out.bin');
    const r = await dfs(['download', '/big.bin', target], { env: env() });
    expect(r.stderr).to.equal(`dfs: cannot write ${target}: no such folder\n`);
    expect(r.code).to.equal(1);
    // A trailing slash means "into this folder": it must exist.
    const into = `${path.join(dir, 'missing-too')}/`;
    const slash = await dfs(['download', '/big.bin', into], { env: env() });
    expect(slash.stderr).to.equal(`dfs: cannot write ${into}big.bin: no such folder\n`);
    expect(slash.code).to.equal(1);
    await fs.access(path.join(dir, 'missing-too')).then(
      () => expect.fail('a file was written in place of the folder'),
      () => undefined,
    );
  });

  it('a download to a path under a file names the target and the reason', async () => {
    await fs.writeFile(path.join(dir, 'plain-file'), 'x');
    const target = path.join(dir, 'plain-file', 'out.bin');
    const r = await dfs(['download', '/big.bin', target], { env: env() });
    expect(r.stderr).to.equal(`dfs: cannot write ${target}: a part of the path is not a folder\n`);
    expect(r.code).to.equal(1);
  });

  it('a download into a read-only folder (as an unprivileged user) names the target, leaves nothing', async () => {
    const readOnly = path.join(dir, 'read-only');
    await fs.mkdir(readOnly, { mode: 0o555 });
    await fs.chown(readOnly, NOBODY, NOBODY);
    await fs.chmod(readOnly, 0o555);
    const target = path.join(readOnly, 'out.bin');
    const r = await dfs(['download', '/big.bin', target], { env: env(), as: NOBODY });
    expect(r.stderr).to.equal(`dfs: cannot write ${target}: permission denied\n`);
    expect(r.code).to.equal(1);
    expect(await fs.readdir(readOnly)).to.deep.equal([]);
    // And the same user can write where it may (the test itself is sound).
    await fs.chmod(readOnly, 0o755);
    const ok = await dfs(['download', '/big.bin', target], { env: env(), as: NOBODY });
    expect(ok.code, ok.stderr).to.equal(0);
    expect((await fs.stat(target)).size).to.equal(2_000_000);
    expect(await partialFiles(readOnly)).to.deep.equal([]);
  });

  it('a folder download onto a read-only file system says so (not "no such folder")', async function () {
    const mnt = path.join(dir, 'ro-mount');
    await fs.mkdir(mnt);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', mnt], { stdio: 'ignore' });
    } catch {
      console.warn('      SKIPPED: cannot mount a read-only tmpfs here (not root?)');
      return this.skip();
    }
    try {
      await cluster.sdk.upload([Buffer.from('t')], '/tree-ro/t.txt');
      // Node's recursive mkdir says ENOENT whatever stopped it.
      const into = path.join(mnt, 'deeper', 'tree');
      const r = await dfs(['download', '-r', '/tree-ro', into], { env: env() });
      expect([r.code, r.stderr]).to.deep.equal([1, `dfs: cannot write ${into}: read-only file system\n`]);
    } finally {
      execFileSync('umount', [mnt]);
    }
  });
});
