// The gateway driven by Debian's aws CLI: sync a tree both ways, multipart, presign, MD5 ETags.

import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { HeadObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { expect } from 'chai';
import { collect, tempDir } from '../helpers/cluster.js';
import {
  ACCESS_KEY,
  runTool,
  type S3Cluster,
  SECRET_KEY,
  startS3Cluster,
  toolPresent,
} from '../helpers/s3-cluster.js';
import { signedRequest } from '../helpers/s3-raw.js';
import { md5sOf, sampleTree, treeMd5s, writeTree } from '../helpers/s3-tree.js';

// Debian's aws; another, older one sits earlier on PATH on the development machines.
const AWS = '/usr/bin/aws';
const md5 = (data: Buffer) => createHash('md5').update(data).digest('hex');

describe('s3 gateway: Debian aws CLI', function () {
  this.timeout(120_000);
  let s3: S3Cluster;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const aws = async (...args: string[]) => {
    const r = await runTool(AWS, ['--endpoint-url', s3.url, ...args], { env });
    if (r.code !== 0) throw new Error(`aws ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return r.stdout;
  };

  before(async function () {
    if (!toolPresent(AWS, 'aws CLI')) this.skip();
    s3 = await startS3Cluster();
    dir = await tempDir('dfs-s3-aws-');
    await fs.writeFile(
      path.join(dir, 'config'),
      '[default]\nregion = us-east-1\ns3 =\n  multipart_threshold = 8MB\n  multipart_chunksize = 5MB\n',
    );
    await fs.writeFile(
      path.join(dir, 'credentials'),
      `[default]\naws_access_key_id = ${ACCESS_KEY}\naws_secret_access_key = ${SECRET_KEY}\n`,
    );
    env = {
      PATH: process.env.PATH,
      HOME: dir,
      AWS_CONFIG_FILE: path.join(dir, 'config'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'credentials'),
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_PAGER: '',
    };
    await aws('s3', 'mb', 's3://cli');
  });
  after(async () => {
    await s3?.close();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });
  afterEach(() => expect(s3.logs.filter((l) => l.startsWith('s3:'))).to.deep.equal([]));

  it('syncs a tree up and back down, every file with its MD5 as ETag', async () => {
    const tree = sampleTree();
    await writeTree(path.join(dir, 'up'), tree);
    await aws('s3', 'sync', path.join(dir, 'up'), 's3://cli/tree');
    const listed = await s3.client().send(new ListObjectsV2Command({ Bucket: 'cli', Prefix: 'tree/' }));
    const etags = Object.fromEntries(
      (listed.Contents ?? []).map((c) => [
        String(c.Key).slice('tree/'.length),
        String(c.ETag).replaceAll('"', ''),
      ]),
    );
    expect(etags).to.deep.equal(md5sOf(tree));
    // A second sync finds nothing to do; a sync down reproduces the tree.
    expect(await aws('s3', 'sync', path.join(dir, 'up'), 's3://cli/tree')).to.equal('');
    await aws('s3', 'sync', 's3://cli/tree', path.join(dir, 'down'));
    expect(await treeMd5s(path.join(dir, 'down'))).to.deep.equal(md5sOf(tree));
  });

  it('copies 20 MiB in 5 MiB parts and back, with the multipart ETag', async () => {
    const data = randomBytes(20 << 20);
    await fs.writeFile(path.join(dir, 'big.bin'), data);
    await aws('s3', 'cp', path.join(dir, 'big.bin'), 's3://cli/big.bin');
    const head = await s3.client().send(new HeadObjectCommand({ Bucket: 'cli', Key: 'big.bin' }));
    const parts = [0, 1, 2, 3].map((i) =>
      createHash('md5')
        .update(data.subarray(i * (5 << 20), (i + 1) * (5 << 20)))
        .digest(),
    );
    expect([head.ETag, head.ContentLength]).to.deep.equal([`"${md5(Buffer.concat(parts))}-4"`, data.length]);
    await aws('s3', 'cp', 's3://cli/big.bin', path.join(dir, 'big.back'));
    expect(md5(await fs.readFile(path.join(dir, 'big.back')))).to.equal(md5(data));
  });

  it('copies and moves 20 MiB within the cluster in parts, after reading the source’s (empty) tag set', async () => {
    await aws('s3', 'cp', 's3://cli/big.bin', 's3://cli/big-copy.bin');
    await aws('s3', 'mv', 's3://cli/big-copy.bin', 's3://cli/big-moved.bin');
    const moved = await collect(s3.cluster.sdk.download('/cli/big-moved.bin'));
    expect(md5(moved)).to.equal(md5(await fs.readFile(path.join(dir, 'big.bin'))));
    expect((await s3.cluster.sdk.stat('/cli/big-copy.bin').catch((e) => e)).code).to.equal('not_found');
  });

  it('presigns a GET; the URL changed to another key is refused', async () => {
    await s3.client().send(new PutObjectCommand({ Bucket: 'cli', Key: 'presigned.txt', Body: 'alpha\n' }));
    const url = (await aws('s3', 'presign', 's3://cli/presigned.txt', '--expires-in', '60')).trim();
    const ok = await fetch(url);
    expect([ok.status, await ok.text()]).to.deep.equal([200, 'alpha\n']);
    const tampered = await fetch(url.replace('presigned.txt', 'big.bin'));
    expect(tampered.status).to.equal(403);
  });

  it('refuses a wrong Content-MD5 with BadDigest and stores nothing', async () => {
    const r = await runTool(
      AWS,
      [
        '--endpoint-url',
        s3.url,
        's3api',
        'put-object',
        '--bucket',
        'cli',
        '--key',
        'bad-md5',
        '--body',
        path.join(dir, 'up', 'a.txt'),
        '--content-md5',
        createHash('md5').update('other').digest('base64'),
      ],
      { env },
    );
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.match(/BadDigest/);
    expect((await signedRequest(s3.url, { method: 'HEAD', path: '/cli/bad-md5' })).status).to.equal(404);
  });

  it('lists, removes recursively (folder objects too, in one run) and removes the bucket', async () => {
    expect(await aws('s3', 'ls')).to.match(/ cli\n/);
    // Folder objects as consoles make them, above files: aws deletes key by key, in parallel,
    // so a folder object may go before the files below it.
    for (const key of ['tree/', 'tree/deep/', 'tree/deep/deeper/'])
      expect((await signedRequest(s3.url, { method: 'PUT', path: `/cli/${key}`, body: '' })).status).to.equal(
        200,
      );
    for (let i = 0; i < 12; i++) {
      const put = await signedRequest(s3.url, {
        method: 'PUT',
        path: `/cli/tree/deep/deeper/f${i}`,
        body: 'x',
      });
      expect(put.status).to.equal(200);
    }
    await aws('s3', 'rm', '--recursive', 's3://cli');
    expect(await aws('s3', 'ls', '--recursive', 's3://cli')).to.equal('');
    await aws('s3', 'rb', 's3://cli');
    expect((await signedRequest(s3.url, { method: 'HEAD', path: '/cli' })).status).to.equal(404);
  });
});
