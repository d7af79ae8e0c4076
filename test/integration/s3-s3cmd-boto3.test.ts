// The gateway driven by Debian's s3cmd (sync, multipart, MD5 check) and boto3 (transfers, presigned GET and PUT).

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
  toolEnv,
  toolPresent,
} from '../helpers/s3-cluster.js';
import { md5sOf, sampleTree, treeMd5s, writeTree } from '../helpers/s3-tree.js';

const S3CMD = '/usr/bin/s3cmd';
// Debian's Python, with its python3-boto3 (the python3 on PATH may be another build).
const PYTHON = '/usr/bin/python3';
const md5 = (data: Buffer) => createHash('md5').update(data).digest('hex');

describe('s3 gateway: Debian s3cmd and boto3', function () {
  this.timeout(120_000);
  let s3: S3Cluster;
  let dir: string;
  before(async () => {
    s3 = await startS3Cluster();
    dir = await tempDir('dfs-s3-tools-');
  });
  after(async () => {
    await s3?.close();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });
  afterEach(() => expect(s3.logs.filter((l) => l.startsWith('s3:'))).to.deep.equal([]));

  describe('s3cmd', () => {
    const run = async (...args: string[]) => {
      const r = await runTool(S3CMD, [
        '-c',
        path.join(dir, 's3cmd.cfg'),
        '--no-ssl',
        '--no-progress',
        ...args,
      ]);
      if (r.code !== 0) throw new Error(`s3cmd ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
      return r;
    };
    const s3cmd = async (...args: string[]) => (await run(...args)).stdout;
    before(async function () {
      if (!toolPresent(S3CMD, 's3cmd')) this.skip();
      const host = new URL(s3.url).host;
      await fs.writeFile(
        path.join(dir, 's3cmd.cfg'),
        [
          '[default]',
          `access_key = ${ACCESS_KEY}`,
          `secret_key = ${SECRET_KEY}`,
          `host_base = ${host}`,
          `host_bucket = ${host}`,
          'use_https = False',
          'signature_v2 = False',
          'bucket_location = us-east-1',
          '',
        ].join('\n'),
      );
    });

    it('makes a bucket, syncs a tree up and down, MD5s checked', async () => {
      const tree = sampleTree();
      await writeTree(path.join(dir, 'up'), tree);
      await s3cmd('mb', 's3://s3cmd-b');
      await s3cmd('sync', `${path.join(dir, 'up')}/`, 's3://s3cmd-b/tree/');
      await s3cmd('sync', 's3://s3cmd-b/tree/', `${path.join(dir, 'down')}/`);
      expect(await treeMd5s(path.join(dir, 'down'))).to.deep.equal(md5sOf(tree));
      const listing = await s3cmd('ls', '--list-md5', '--recursive', 's3://s3cmd-b/tree/');
      for (const sum of Object.values(md5sOf(tree))) expect(listing).to.include(sum);
    });

    it('takes a file written by the CLI (no MD5 known) as it is: no MD5 warning, nothing to sync twice', async () => {
      const { generation } = await s3.cluster.sdk.upload([Buffer.from('from the cli')], '/s3cmd-b/cli/a.txt');
      const got = await run('get', '--force', 's3://s3cmd-b/cli/a.txt', path.join(dir, 'cli-a.txt'));
      expect(got.stderr).to.not.match(/MD5/);
      expect(await fs.readFile(path.join(dir, 'cli-a.txt'), 'utf8')).to.equal('from the cli');
      const down = `${path.join(dir, 'cli-down')}/`;
      expect(await s3cmd('sync', 's3://s3cmd-b/cli/', down)).to.match(/download:/);
      expect(await s3cmd('sync', 's3://s3cmd-b/cli/', down)).to.not.match(/download:/);
      await s3cmd('sync', down, 's3://s3cmd-b/cli/');
      expect((await s3.cluster.sdk.stat('/s3cmd-b/cli/a.txt')).generation).to.equal(generation);
    });

    it('puts 12 MiB in 5 MiB parts and gets it back', async () => {
      const data = randomBytes(12 << 20);
      await fs.writeFile(path.join(dir, 'big.bin'), data);
      await s3cmd('put', '--multipart-chunk-size-mb=5', path.join(dir, 'big.bin'), 's3://s3cmd-b/big.bin');
      await s3cmd('get', '--force', 's3://s3cmd-b/big.bin', path.join(dir, 'big.back'));
      expect(md5(await fs.readFile(path.join(dir, 'big.back')))).to.equal(md5(data));
      await s3cmd('del', '--recursive', '--force', 's3://s3cmd-b');
      await s3cmd('rb', 's3://s3cmd-b');
    });
  });

  describe('boto3', () => {
    before(async function () {
      if (!toolPresent('/usr/lib/python3/dist-packages/boto3', 'boto3')) this.skip();
    });

    it('uploads and downloads with transfers (multipart), presigns a PUT and a GET', async () => {
      const data = randomBytes(11 << 20);
      await fs.writeFile(path.join(dir, 'boto.bin'), data);
      const script = `
import json, sys, urllib.request
import boto3
from botocore.config import Config
from boto3.s3.transfer import TransferConfig
s3 = boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1',
    aws_access_key_id=sys.argv[2], aws_secret_access_key=sys.argv[3],
    config=Config(signature_version='s3v4', s3={'addressing_style': 'path'}))
d = sys.argv[4]
s3.create_bucket(Bucket='boto')
cfg = TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024)
s3.upload_file(d + '/boto.bin', 'boto', 'k/boto.bin', Config=cfg)
s3.download_file('boto', 'k/boto.bin', d + '/boto.back', Config=cfg)
head = s3.head_object(Bucket='boto', Key='k/boto.bin')
put_url = s3.generate_presigned_url('put_object', Params={'Bucket': 'boto', 'Key': 'presigned.txt'}, ExpiresIn=60)
req = urllib.request.Request(put_url, data=b'put through a presigned URL', method='PUT')
put_status = urllib.request.urlopen(req).status
get_url = s3.generate_presigned_url('get_object', Params={'Bucket': 'boto', 'Key': 'presigned.txt'}, ExpiresIn=60)
got = urllib.request.urlopen(get_url).read().decode()
s3.put_object(Bucket='boto', Key='meta.txt', Body=b'm', Metadata={'owner': 'boto'}, ContentType='text/x-boto')
meta = s3.get_object(Bucket='boto', Key='meta.txt')
print(json.dumps({'etag': head['ETag'], 'length': head['ContentLength'], 'put': put_status, 'got': got,
    'metadata': meta['Metadata'], 'type': meta['ContentType']}))
`;
      const r = await runTool(PYTHON, ['-c', script, s3.url, ACCESS_KEY, SECRET_KEY, dir], {
        env: toolEnv({ BOTO_DISABLE_CRT: 'true' }),
      });
      expect(r.stderr).to.equal('');
      const out = JSON.parse(r.stdout) as Record<string, unknown>;
      const parts = [0, 1, 2].map((i) =>
        createHash('md5')
          .update(data.subarray(i * (5 << 20), (i + 1) * (5 << 20)))
          .digest(),
      );
      expect(out).to.deep.equal({
        etag: `"${md5(Buffer.concat(parts))}-3"`,
        length: data.length,
        put: 200,
        got: 'put through a presigned URL',
        metadata: { owner: 'boto' },
        type: 'text/x-boto',
      });
      expect(md5(await fs.readFile(path.join(dir, 'boto.back')))).to.equal(md5(data));
    });
  });
});
