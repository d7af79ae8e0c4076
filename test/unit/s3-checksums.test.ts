// Checksums: CRC32, CRC32C, CRC64/NVME, SHA-1, SHA-256 against published vectors and the AWS SDK's own code.

import { createHash, randomBytes } from 'node:crypto';
import { Crc32cJs, Crc64NvmeJs } from '@aws-sdk/checksums/crc';
import { expect } from 'chai';
import {
  CHECKSUM_ALGORITHMS,
  type ChecksumAlgorithm,
  checksumAlgorithm,
  contentMd5,
  createHasher,
  headerChecksum,
  multipartChecksum,
  trailerChecksum,
} from '../../src/s3/checksums.js';
import { s3CodeOf as codeOf } from '../helpers/errors.js';

function digest(algorithm: ChecksumAlgorithm | 'MD5', data: Buffer, split = data.length): Buffer {
  const hasher = createHasher(algorithm);
  for (let i = 0; i < data.length; i += Math.max(split, 1))
    hasher.update(data.subarray(i, i + Math.max(split, 1)));
  return hasher.digest();
}

describe('s3 checksums', () => {
  const check = Buffer.from('123456789');
  it('matches the catalogued check values of each CRC', () => {
    expect(digest('CRC32', check).toString('hex')).to.equal('cbf43926');
    expect(digest('CRC32C', check).toString('hex')).to.equal('e3069283');
    expect(digest('CRC64NVME', check).toString('hex')).to.equal('ae8b14860a799888');
    expect(digest('CRC32', Buffer.alloc(0)).toString('hex')).to.equal('00000000');
    expect(digest('CRC64NVME', Buffer.alloc(0)).toString('hex')).to.equal('0000000000000000');
  });

  it("matches the AWS SDK's CRC32C and CRC64/NVME on varied data, however it is split", async () => {
    const data = Buffer.alloc(1 << 20);
    for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
    for (const [length, splits] of [
      [5000, [1, 3, 7]],
      [data.length, [8, 13, 4096, data.length]],
    ] as const) {
      const input = data.subarray(0, length);
      const sdk32c = new Crc32cJs();
      sdk32c.update(input);
      const sdk64 = new Crc64NvmeJs();
      sdk64.update(input);
      const expected32c = Buffer.from(await sdk32c.digest());
      const expected64 = Buffer.from(await sdk64.digest());
      for (const split of splits) {
        expect(digest('CRC32C', input, split).equals(expected32c), `crc32c ${length}/${split}`).to.equal(
          true,
        );
        expect(digest('CRC64NVME', input, split).equals(expected64), `crc64 ${length}/${split}`).to.equal(
          true,
        );
      }
    }
  });

  it('takes an empty piece as no bytes (zlib answers 0 for the CRC-32 of none)', () => {
    for (const algorithm of CHECKSUM_ALGORITHMS) {
      const hasher = createHasher(algorithm);
      hasher.update(check);
      hasher.update(Buffer.alloc(0));
      expect(hasher.digest().equals(digest(algorithm, check)), algorithm).to.equal(true);
    }
  });

  it("makes a multipart object's checksum: the CRC of the whole from the parts', or the checksum of checksums", () => {
    const parts = [
      randomBytes(1000),
      Buffer.alloc(0),
      randomBytes(70_003),
      randomBytes(70_003),
      randomBytes(17),
    ];
    const sent = (algorithm: ChecksumAlgorithm) =>
      parts.map((p) => ({ checksum: digest(algorithm, p).toString('base64'), size: p.length }));
    for (const algorithm of ['CRC32', 'CRC32C', 'CRC64NVME'] as const) {
      const whole = digest(algorithm, Buffer.concat(parts)).toString('base64');
      expect(multipartChecksum(algorithm, 'FULL_OBJECT', sent(algorithm)), algorithm).to.equal(whole);
    }
    for (const algorithm of ['CRC32', 'SHA256'] as const) {
      const ofChecksums = digest(algorithm, Buffer.concat(parts.map((p) => digest(algorithm, p))));
      expect(multipartChecksum(algorithm, 'COMPOSITE', sent(algorithm))).to.equal(
        `${ofChecksums.toString('base64')}-5`,
      );
    }
  });

  it('hashes SHA-1, SHA-256 and MD5 incrementally like node:crypto', () => {
    const data = Buffer.from('The quick brown fox jumps over the lazy dog');
    for (const [alg, name] of [
      ['SHA1', 'sha1'],
      ['SHA256', 'sha256'],
      ['MD5', 'md5'],
    ] as const) {
      expect(digest(alg, data, 5).equals(createHash(name).update(data).digest())).to.equal(true);
    }
  });

  it('names algorithms as S3 does', () => {
    expect(CHECKSUM_ALGORITHMS).to.deep.equal(['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256']);
    expect(checksumAlgorithm('x-amz-checksum-crc64nvme')).to.equal('CRC64NVME');
    expect(checksumAlgorithm('crc32c')).to.equal('CRC32C');
    expect(checksumAlgorithm('x-amz-checksum-xxhash3')).to.equal(undefined);
  });

  it('reads one x-amz-checksum-* header, refusing several, malformed values and unknown algorithms', () => {
    expect(
      headerChecksum({ 'x-amz-checksum-crc32': 'DUoRhQ==', 'x-amz-checksum-mode': 'ENABLED' }),
    ).to.deep.equal({
      algorithm: 'CRC32',
      value: 'DUoRhQ==',
    });
    expect(
      headerChecksum({ 'x-amz-checksum-algorithm': 'CRC32', 'x-amz-checksum-type': 'COMPOSITE' }),
    ).to.equal(undefined);
    expect(
      codeOf(() => headerChecksum({ 'x-amz-checksum-crc32': 'DUoRhQ==', 'x-amz-checksum-sha1': 'x' })),
    ).to.equal('InvalidRequest');
    for (const value of ['DUoRhQ', 'DUoRhQ===', 'DUoRhQ==AA==', 'AAAAAAAA', '!!!!', '']) {
      expect(
        codeOf(() => headerChecksum({ 'x-amz-checksum-crc32': value })),
        value,
      ).to.equal('InvalidRequest');
    }
    expect(codeOf(() => headerChecksum({ 'x-amz-checksum-xxhash64': 'AAAAAAAAAAA=' }))).to.equal(
      'NotImplemented',
    );
    const sha256 = createHash('sha256').update('x').digest('base64');
    expect(headerChecksum({ 'x-amz-checksum-sha256': sha256 })?.algorithm).to.equal('SHA256');
  });

  it('reads the checksum x-amz-trailer announces', () => {
    expect(trailerChecksum({ 'x-amz-trailer': 'x-amz-checksum-crc32' })).to.equal('CRC32');
    expect(trailerChecksum({ 'x-amz-trailer': ' X-Amz-Checksum-CRC64NVME ' })).to.equal('CRC64NVME');
    expect(trailerChecksum({})).to.equal(undefined);
    for (const value of ['x-amz-meta-a', 'x-amz-checksum-crc32,x-amz-checksum-sha1', 'crc32']) {
      expect(
        codeOf(() => trailerChecksum({ 'x-amz-trailer': value })),
        value,
      ).to.equal('InvalidRequest');
    }
  });

  it('reads Content-MD5: base64 of 16 bytes, else InvalidDigest', () => {
    const md5 = createHash('md5').update('x').digest();
    expect(contentMd5({ 'content-md5': md5.toString('base64') })?.equals(md5)).to.equal(true);
    expect(contentMd5({})).to.equal(undefined);
    for (const value of [md5.toString('hex'), 'AAAA', `${md5.toString('base64')}x`, '']) {
      expect(
        codeOf(() => contentMd5({ 'content-md5': value })),
        value,
      ).to.equal('InvalidDigest');
    }
  });
});
