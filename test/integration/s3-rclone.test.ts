// The gateway driven by Debian's rclone: sync, check by MD5 both ways, multipart, copy server-side.

import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { tempDir } from '../helpers/cluster.js';
import {
  ACCESS_KEY,
  runTool,
  type S3Cluster,
  SECRET_KEY,
  startS3Cluster,
  toolPresent,
} from '../helpers/s3-cluster.js';
import { md5sOf, sampleTree, treeMd5s, writeTree } from '../helpers/s3-tree.js';

const RCLONE = '/usr/bin/rclone';

describe('s3 gateway: Debian rclone', function () {
  this.timeout(120_000);
  let s3: S3Cluster;
  let dir: string;
  const rclone = async (...args: string[]) => {
    const r = await runTool(RCLONE, ['--config', path.join(dir, 'rclone.conf'), ...args]);
    if (r.code !== 0) throw new Error(`rclone ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return r.stdout;
  };

  before(async function () {
    if (!toolPresent(RCLONE, 'rclone')) this.skip();
    s3 = await startS3Cluster();
    dir = await tempDir('dfs-s3-rclone-');
    await fs.writeFile(
      path.join(dir, 'rclone.conf'),
      [
        '[dfs]',
        'type = s3',
        'provider = Other',
        `access_key_id = ${ACCESS_KEY}`,
        `secret_access_key = ${SECRET_KEY}`,
        `endpoint = ${s3.url}`,
        'region = us-east-1',
        '',
      ].join('\n'),
    );
  });
  after(async () => {
    await s3?.close();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });
  afterEach(() => expect(s3.logs.filter((l) => l.startsWith('s3:'))).to.deep.equal([]));

  it('syncs a tree up (making the bucket), checks it by MD5, and syncs it back down', async () => {
    const tree = sampleTree();
    await writeTree(path.join(dir, 'up'), tree);
    await rclone('sync', path.join(dir, 'up'), 'dfs:rcb/tree');
    // `check` compares the ETags as MD5s: every one must be the file's.
    await rclone('check', path.join(dir, 'up'), 'dfs:rcb/tree');
    const sums = Object.fromEntries(
      (await rclone('md5sum', 'dfs:rcb/tree'))
        .trim()
        .split('\n')
        .map((line) => [line.slice(34), line.slice(0, 32)]),
    );
    expect(sums).to.deep.equal(md5sOf(tree));
    await rclone('sync', 'dfs:rcb/tree', path.join(dir, 'down'));
    expect(await treeMd5s(path.join(dir, 'down'))).to.deep.equal(md5sOf(tree));
    // One namespace: the CLI's view of the same files.
    const listed = await s3.cluster.sdk.list('/rcb/tree/docs/', { delimiter: true });
    expect(listed.entries.map((e) => e.name)).to.include('read me.md');
  });

  it('uploads 12 MiB in 5 MiB parts and verifies what it reads back', async () => {
    const data = randomBytes(12 << 20);
    await fs.writeFile(path.join(dir, 'big.bin'), data);
    await rclone(
      'copy',
      '--s3-upload-cutoff',
      '5M',
      '--s3-chunk-size',
      '5M',
      path.join(dir, 'big.bin'),
      'dfs:rcb/parts',
    );
    await rclone('copy', 'dfs:rcb/parts/big.bin', path.join(dir, 'back'));
    const back = await fs.readFile(path.join(dir, 'back', 'big.bin'));
    expect(createHash('md5').update(back).digest('hex')).to.equal(
      createHash('md5').update(data).digest('hex'),
    );
  });

  it('copies and moves server-side, then purges', async () => {
    await rclone('copyto', 'dfs:rcb/tree/a.txt', 'dfs:rcb/copied/a.txt');
    await rclone('moveto', 'dfs:rcb/copied/a.txt', 'dfs:rcb/moved.txt');
    expect(await rclone('cat', 'dfs:rcb/moved.txt')).to.equal('alpha\n');
    await rclone('purge', 'dfs:rcb');
    const r = await runTool(RCLONE, ['--config', path.join(dir, 'rclone.conf'), 'lsd', 'dfs:']);
    expect(r.stdout).to.not.match(/ rcb\n/);
  });
});
