// The cluster mounted as a folder with Debian's davfs2 (FUSE; needs root): files copied in,
// copied, renamed and deleted through the mount, and the bytes checked with the SDK. Listing a
// directory through davfs2 fails on this machine's kernel whatever the server ("Invalid
// argument"), so everything goes through file paths.

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { collect, randomData, sha256, startCluster, type TestCluster, tempDir } from '../helpers/cluster.js';
import { haveTool } from '../helpers/dav-http.js';
import { waitFor } from '../helpers/wait.js';

const run = promisify(execFile);
const TOKEN = 'davfs2-token';

/** Why davfs2 cannot run here, or undefined when it can. */
function cannotMount(): string | undefined {
  if (process.getuid?.() !== 0) return 'not running as root';
  if (!existsSync('/dev/fuse')) return 'no /dev/fuse';
  return undefined;
}

describe('dav: davfs2 mount', function () {
  this.timeout(60_000);
  let cluster: TestCluster;
  let dir: string;
  let mnt: string;
  let mounted = false;

  before(async function () {
    if (!haveTool('mount.davfs', 'davfs2', 'the davfs2 mount tests')) this.skip();
    const why = cannotMount();
    if (why) {
      console.warn(`\n  WARNING: davfs2 cannot mount here (${why}): the davfs2 mount tests SKIPPED\n`);
      this.skip();
    }
    cluster = await startCluster({ nodes: 2, webClient: true, token: TOKEN });
    dir = await tempDir('dfs-davfs2-');
    mnt = path.join(dir, 'mnt');
    const cache = path.join(dir, 'cache');
    await fs.mkdir(mnt);
    await fs.mkdir(cache);
    // davfs2 works in its cache as its own user (davfs2), as in /var/cache/davfs2.
    await fs.chmod(dir, 0o755);
    await run('chown', ['root:davfs2', cache]);
    await fs.chmod(cache, 0o775);
    const url = `${cluster.client?.url}/dav/`;
    const secrets = path.join(dir, 'secrets');
    await fs.writeFile(secrets, `${url} anyone ${TOKEN}\n`, { mode: 0o600 });
    const conf = path.join(dir, 'davfs2.conf');
    await fs.writeFile(
      conf,
      [`cache_dir ${cache}`, `secrets ${secrets}`, 'ask_auth 0', 'use_locks 1', 'delay_upload 0', ''].join(
        '\n',
      ),
    );
    // Asynchronously: the web client answering davfs2 runs in this process.
    await run('mount', ['-t', 'davfs', '-o', `conf=${conf}`, url, mnt], { timeout: 30_000 });
    mounted = true;
  });

  after(async () => {
    if (mounted)
      await run('umount', [mnt], { timeout: 30_000 }).catch((err) => console.warn(`umount: ${err}`));
    await cluster?.close();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  const bytesOf = (p: string) => collect(cluster.sdk.download(p));
  const gone = (p: string) =>
    cluster.sdk.stat(p).then(
      () => false,
      () => true,
    );

  it('copies files in, copies, renames and deletes them through file paths', async () => {
    const data = randomData(1_500_000);
    const local = path.join(dir, 'local.bin');
    await fs.writeFile(local, data);
    await fs.mkdir(path.join(mnt, 'docs'));
    await fs.copyFile(local, path.join(mnt, 'docs', 'report ü #1.bin'));
    await fs.writeFile(path.join(mnt, 'docs', 'note.txt'), 'hello from davfs2\n');
    // davfs2 uploads a file when it is closed, in the background.
    await waitFor(
      async () => sha256(await bytesOf('/docs/report ü #1.bin')) === sha256(data),
      'the copy to reach the cluster',
    );
    await waitFor(
      async () => (await bytesOf('/docs/note.txt')).toString() === 'hello from davfs2\n',
      'note.txt',
    );

    await fs.copyFile(path.join(mnt, 'docs', 'report ü #1.bin'), path.join(mnt, 'docs', 'copy.bin'));
    await waitFor(
      async () => sha256(await bytesOf('/docs/copy.bin')) === sha256(data),
      'the copy in the mount',
    );

    await fs.rename(path.join(mnt, 'docs', 'report ü #1.bin'), path.join(mnt, 'docs', 'renamed.bin'));
    await waitFor(() => gone('/docs/report ü #1.bin'), 'the old name to go');
    expect(sha256(await bytesOf('/docs/renamed.bin'))).to.equal(sha256(data));
    expect((await fs.readFile(path.join(mnt, 'docs', 'renamed.bin'))).equals(data)).to.equal(true);

    await fs.unlink(path.join(mnt, 'docs', 'renamed.bin'));
    await waitFor(() => gone('/docs/renamed.bin'), 'the deleted file to go');
    expect(await fs.stat(path.join(mnt, 'docs', 'renamed.bin')).catch(() => 'absent')).to.equal('absent');
    const left = (await cluster.sdk.list('/docs/', { delimiter: true })).entries.map((e) => e.name);
    expect(left.sort()).to.deep.equal(['copy.bin', 'note.txt']);
  });

  it("shows the cluster's free space in df (the quota properties)", async () => {
    const nodes = await cluster.sdk.nodes();
    const free = nodes.filter((n) => n.state === 'alive').reduce((sum, n) => sum + n.free, 0);
    const per = free / (await cluster.sdk.status()).replication;
    const shown = await fs.statfs(mnt);
    const available = shown.bavail * shown.bsize;
    // Within a hundredth (the disks move a little, davfs2 counts in blocks).
    expect(Math.abs(available - per), `df says ${available}, the cluster ${per}`).to.be.below(per / 100);
  });
});
