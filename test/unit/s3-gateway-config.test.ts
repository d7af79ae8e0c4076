// The gateway's configuration, key pairs, and keys as dfs paths.

import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { s3Config } from '../../src/config.js';
import { generateKeyPair, loadCredentials, parseCredentialsFile } from '../../src/s3/credentials.js';
import type { S3Error } from '../../src/s3/errors.js';
import { etagOf } from '../../src/s3/object-meta.js';
import { objectPath } from '../../src/s3/object-paths.js';

describe('s3 gateway config and credentials', () => {
  it('merges flags over environment over defaults, and needs a key pair', () => {
    const c = s3Config({ accessKey: 'AKIDFLAG', secretKey: 'flag-secret' }, { DFS_S3_ACCESS_KEY: 'AKIDENV' });
    expect(c).to.include({ port: 5004, region: 'us-east-1', accessKey: 'AKIDFLAG', host: '127.0.0.1' });
    expect(Object.isFrozen(c)).to.equal(true);
    const env = s3Config({}, { DFS_S3_ACCESS_KEY: 'AKIDENV', DFS_S3_SECRET_KEY: 'env-secret' });
    expect([env.accessKey, env.secretKey]).to.deep.equal(['AKIDENV', 'env-secret']);
    expect(s3Config({ credentials: 'f', domain: ['s3.a.test,s3.b.test'] }, {}).domains).to.deep.equal([
      's3.a.test',
      's3.b.test',
    ]);
    expect(() => s3Config({}, {})).to.throw(/needs credentials/);
    expect(() => s3Config({ accessKey: 'AKID' }, {})).to.throw(/needs its secret/);
    expect(() => s3Config({ credentials: 'f', region: 'Mars 1' }, {})).to.throw(/--region/);
  });

  it('parses a credentials file of several pairs and refuses bad lines', () => {
    const keys = parseCredentialsFile('# comment\n\nAKIDONE  secret-one-long\nAKIDTWO\tsecret/two+long=\n');
    expect([...keys]).to.deep.equal([
      ['AKIDONE', 'secret-one-long'],
      ['AKIDTWO', 'secret/two+long='],
    ]);
    expect(() => parseCredentialsFile('AKIDONE')).to.throw(/line 1: expected/);
    expect(() => parseCredentialsFile('AKIDONE short')).to.throw(/secret key is 8/);
    expect(() => parseCredentialsFile('AKID secret-long\nAKID other-secret')).to.throw(/repeated/);
  });

  it('loads the single pair and the file together', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dfs-s3-keys-'));
    try {
      const file = path.join(dir, 'keys');
      await fs.writeFile(file, 'AKIDFILE file-secret-key\n');
      const keys = await loadCredentials({
        accessKey: 'AKIDFLAG',
        secretKey: 'flag-secret',
        credentials: file,
      });
      expect(Object.fromEntries(keys)).to.deep.equal({
        AKIDFILE: 'file-secret-key',
        AKIDFLAG: 'flag-secret',
      });
      let error: unknown;
      await loadCredentials({ accessKey: '', secretKey: '', credentials: path.join(dir, 'none') }).catch(
        (e) => {
          error = e;
        },
      );
      expect(String(error)).to.match(/cannot read/);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('generates AWS-shaped key pairs of letters and digits', () => {
    const a = generateKeyPair();
    expect(a.accessKey).to.match(/^DFS[A-Z0-9]{17}$/);
    expect(a.secretKey).to.match(/^[A-Za-z0-9]{40}$/);
    expect(generateKeyPair().secretKey).to.not.equal(a.secretKey);
  });
});

describe('s3 keys as dfs paths', () => {
  const refused = (key: string, code: string) => {
    try {
      objectPath('bucket', key);
    } catch (err) {
      expect((err as S3Error).code, key).to.equal(code);
      return;
    }
    throw new Error(`${key} was accepted`);
  };

  it('maps keys below the bucket folder, folder keys keeping their slash', () => {
    expect(objectPath('bucket', 'a/b c/ü.txt')).to.equal('/bucket/a/b c/ü.txt');
    expect(objectPath('bucket', 'photos/')).to.equal('/bucket/photos/');
  });

  it('refuses every key dfs would have to rename', () => {
    for (const key of [
      'a//b',
      '/a',
      './x',
      'a/./b',
      '..',
      'a/../b',
      'a\u0000b',
      'tab\tname',
      'a\\b',
      '/',
      'a/ /b',
    ])
      refused(key, 'InvalidArgument');
    refused('e\u0301', 'InvalidArgument');
    refused('x'.repeat(256), 'InvalidArgument');
    refused(`${'x/'.repeat(511)}y`, 'KeyTooLongError');
  });

  it('gives an ETag from the multipart ETag, the MD5, or the SHA-256 (with a dash)', () => {
    const multipart = `${'a'.repeat(32)}-2`;
    const md5 = 'd41d8cd98f00b204e9800998ecf8427e';
    const sha256 = 'f'.repeat(64);
    expect(etagOf({ attributes: { etag: `"${multipart}"`, md5: 'x' } })).to.equal(multipart);
    expect(etagOf({ attributes: { md5 }, sha256 })).to.equal(md5);
    expect(etagOf({ attributes: {}, sha256 })).to.equal(`${sha256}-1`);
    // Malformed values (set through the master's API) are passed over.
    expect(etagOf({ attributes: { etag: '"abc-2"', md5: 'x' }, sha256 })).to.equal(`${sha256}-1`);
    expect(etagOf({ attributes: { etag: 'a\r\nb', md5 }, sha256 })).to.equal(md5);
  });
});
