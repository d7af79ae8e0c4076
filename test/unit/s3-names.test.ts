// S3 naming rules: bucket names, key length, user metadata size.

import { expect } from 'chai';
import type { S3Error } from '../../src/s3/errors.js';
import { checkBucketName, checkObjectKey, isValidBucketName, userMetadata } from '../../src/s3/names.js';
import { s3CodeOf as codeOf } from '../helpers/errors.js';

describe('s3 names', () => {
  const valid = [
    'abc',
    'my-bucket',
    'my.bucket.name',
    'a1b',
    '123',
    'a'.repeat(63),
    'a-.b',
    'xn-a',
    'bucket-s3alias-x',
  ];
  const invalid = [
    'ab',
    'a'.repeat(64),
    'My-Bucket',
    'my_bucket',
    '-abc',
    'abc-',
    '.abc',
    'abc.',
    'a..b',
    '192.168.5.4',
    'xn--abc',
    'sthree-abc',
    'amzn-s3-demo-bucket',
    'abc-s3alias',
    'abc--ol-s3',
    'abc.mrap',
    'abc--x-s3',
    'abc--table-s3',
    'a b',
    'ab/c',
    'äbc',
    '',
  ];
  for (const name of valid) {
    it(`accepts the bucket name ${JSON.stringify(name)}`, () => {
      expect(isValidBucketName(name)).to.equal(true);
      expect(codeOf(() => checkBucketName(name))).to.equal(undefined);
    });
  }
  for (const name of invalid) {
    it(`refuses the bucket name ${JSON.stringify(name)}: InvalidBucketName`, () => {
      expect(isValidBucketName(name)).to.equal(false);
      let err: S3Error | undefined;
      try {
        checkBucketName(name);
      } catch (e) {
        err = e as S3Error;
      }
      expect([err?.code, err?.status, err?.fields.BucketName]).to.deep.equal([
        'InvalidBucketName',
        400,
        name,
      ]);
    });
  }

  it('limits keys to 1024 UTF-8 bytes', () => {
    expect(codeOf(() => checkObjectKey('a'.repeat(1024)))).to.equal(undefined);
    expect(codeOf(() => checkObjectKey('a'.repeat(1025)))).to.equal('KeyTooLongError');
    expect(codeOf(() => checkObjectKey('ü'.repeat(512)))).to.equal(undefined);
    expect(codeOf(() => checkObjectKey(`${'ü'.repeat(512)}a`))).to.equal('KeyTooLongError');
    expect(codeOf(() => checkObjectKey('😀'.repeat(257)))).to.equal('KeyTooLongError');
    expect(codeOf(() => checkObjectKey(''))).to.equal('InvalidArgument');
  });

  it('collects x-amz-meta-* and limits names plus values to 2 KiB', () => {
    expect(
      userMetadata({
        'x-amz-meta-color': 'blue',
        'x-amz-meta-list': ['a', 'b'],
        'content-type': 'text/plain',
      }),
    ).to.deep.equal({ color: 'blue', list: 'a,b' });
    expect(codeOf(() => userMetadata({ 'x-amz-meta-k': 'v'.repeat(2047) }))).to.equal(undefined);
    expect(codeOf(() => userMetadata({ 'x-amz-meta-k': 'v'.repeat(2048) }))).to.equal('MetadataTooLarge');
    const many = Object.fromEntries(
      Array.from({ length: 100 }, (_, i) => [`x-amz-meta-n${i}`, 'x'.repeat(18)]),
    );
    expect(codeOf(() => userMetadata(many))).to.equal('MetadataTooLarge');
    // Raw UTF-8 bytes arrive as latin1 text and are counted (and kept) byte for byte.
    const raw = Buffer.from('ü', 'utf8').toString('latin1');
    expect(userMetadata({ 'x-amz-meta-u': raw }).u).to.equal(raw);
  });
});
