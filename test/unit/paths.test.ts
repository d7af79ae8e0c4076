// The one validator of remote paths and chunk ids, table by table.

import { expect } from 'chai';
import {
  assertChunkId,
  baseName,
  filePathAfter,
  isChunkId,
  MAX_PATH_BYTES,
  MAX_SEGMENT_BYTES,
  normaliseFilePath,
  normalisePath,
  normalisePrefix,
  parentPrefix,
  pathFromUrl,
} from '../../src/protocol/paths.js';
import { codeOf } from '../helpers/errors.js';

const HEX = '0123456789abcdef'.repeat(4);

describe('paths', () => {
  describe('normalisePath', () => {
    const valid: [string, string][] = [
      ['a', '/a'],
      ['/a/b', '/a/b'],
      ['a//b///c/', '/a/b/c'],
      ['/ünï cødé/日本語 ファイル.txt', '/ünï cødé/日本語 ファイル.txt'],
      ['/e\u0301', '/\u00e9'], // NFD is stored as NFC: one name, one spelling
      ['/...', '/...'],
      ['/a..b/.hidden', '/a..b/.hidden'],
      ['/%2e%2e', '/%2e%2e'], // literal text; it was decoded already (or never encoded)
      ['/ leading and trailing ', '/ leading and trailing '],
      ['/🚀', '/🚀'],
      [`/${'a'.repeat(MAX_SEGMENT_BYTES)}`, `/${'a'.repeat(MAX_SEGMENT_BYTES)}`],
      [`/${'é'.repeat(MAX_SEGMENT_BYTES / 2 - 0.5)}`, `/${'é'.repeat(127)}`],
    ];
    for (const [input, expected] of valid) {
      it(`accepts ${JSON.stringify(input).slice(0, 40)}`, () => {
        expect(normalisePath(input)).to.equal(expected);
      });
    }

    it('accepts a path of exactly the limit and refuses one byte more', () => {
      const exact = `/${`${'a'.repeat(99)}/`.repeat(10)}${'b'.repeat(MAX_PATH_BYTES - 1001)}`;
      expect(Buffer.byteLength(normalisePath(exact))).to.equal(MAX_PATH_BYTES);
      expect(codeOf(() => normalisePath(`${exact}c`))).to.equal('invalid_path');
    });

    const invalid: [string, unknown][] = [
      ['not a string', 42],
      ['undefined', undefined],
      ['an object', { path: '/a' }],
      ['the root', '/'],
      ['empty', ''],
      ['only slashes', '////'],
      ['..', '..'],
      ['../ at the start', '../etc/passwd'],
      ['.. in the middle', '/a/../b'],
      ['.. at the end', '/a/..'],
      ['.', '.'],
      ['./', '/a/./b'],
      ['backslash', 'a\\b'],
      ['backslash traversal', '..\\..\\x'],
      ['NUL', 'a\u0000b'],
      ['CR/LF', 'a\r\nSet-Cookie: x'],
      ['LF', 'a\nb'],
      ['tab', 'a\tb'],
      ['escape', '\u001b[31m'],
      ['DEL', 'a\u007f'],
      ['C1 NEL', 'a\u0085'],
      ['C1 CSI', '\u009b'],
      ['blank segment', '/a/ /b'],
      ['blank name', ' '],
      ['lone high surrogate', 'a\ud800'],
      ['lone low surrogate', '\udc00a'],
      ['segment over 255 bytes', `/${'a'.repeat(MAX_SEGMENT_BYTES + 1)}`],
      ['multi-byte segment over 255 bytes', `/${'é'.repeat(128)}`],
      ['path over 1024 bytes', `/${'a'.repeat(200)}`.repeat(6)],
      ['a megabyte of slashes', '/'.repeat(1 << 20)],
    ];
    for (const [what, input] of invalid) {
      it(`refuses ${what}`, () => {
        expect(codeOf(() => normalisePath(input))).to.equal('invalid_path');
      });
    }
  });

  describe('normalisePrefix', () => {
    for (const [input, expected] of [
      [undefined, '/'],
      ['', '/'],
      ['/', '/'],
      ['a', '/a/'],
      ['/a/b/', '/a/b/'],
      ['a//b', '/a/b/'],
    ] as const) {
      it(`${JSON.stringify(input)} → ${expected}`, () => {
        expect(normalisePrefix(input)).to.equal(expected);
      });
    }
    for (const input of [
      '..',
      '/a/../b',
      'a\\b',
      'a\u0000',
      ['a'],
      7,
      `/${'a'.repeat(300)}`,
      `/${'a'.repeat(200)}`.repeat(6),
    ]) {
      it(`refuses ${JSON.stringify(input).slice(0, 30)}`, () => {
        expect(codeOf(() => normalisePrefix(input))).to.equal('invalid_path');
      });
    }
  });

  it('a path that must name a file refuses one ending in / (raw or %2F in a URL): it names a folder', () => {
    expect(normaliseFilePath('a//b')).to.equal('/a/b');
    for (const bad of ['/a/b/', 'a/b//'])
      expect(
        codeOf(() => normaliseFilePath(bad)),
        bad,
      ).to.equal('invalid_path');
    expect(filePathAfter('/api/files/a%20b', '/api/files/')).to.equal('/a b');
    for (const bad of ['/api/files/a/', '/api/files/a%2F', '/api/files/a%2f'])
      expect(
        codeOf(() => filePathAfter(bad, '/api/files/')),
        bad,
      ).to.equal('invalid_path');
  });

  describe('pathFromUrl decodes exactly once, then validates', () => {
    const cases: [string, string | undefined][] = [
      ['a%2Fb', '/a/b'],
      ['caf%C3%A9', '/café'],
      ['%F0%9F%9A%80', '/🚀'],
      ['100%25', '/100%'],
      ['%252e%252e', '/%2e%2e'],
      ['..%252f..%252f', '/..%2f..%2f'],
      ['%2e%2e', undefined],
      ['%2E%2E/x', undefined],
      ['..%2f..%2fetc', undefined],
      ['a%2f%2e%2e%2fb', undefined],
      ['..%5c', undefined],
      ['%00', undefined],
      ['%0d%0a', undefined],
      ['%c2%85', undefined],
      ['%', undefined],
      ['%zz', undefined],
      ['%c0%ae%c0%ae', undefined],
      ['%e2%82', undefined],
      ['%ed%a0%80', undefined],
      ['a'.repeat(20_000), undefined],
    ];
    for (const [raw, expected] of cases) {
      it(`${raw.slice(0, 30)} → ${expected ?? 'invalid_path'}`, () => {
        if (expected === undefined) expect(codeOf(() => pathFromUrl(raw))).to.equal('invalid_path');
        else expect(pathFromUrl(raw)).to.equal(expected);
      });
    }
  });

  describe('chunk ids', () => {
    const good = [HEX, 'f'.repeat(64), '0'.repeat(64)];
    const bad: unknown[] = [
      HEX.toUpperCase(),
      `${HEX.slice(0, 63)}A`,
      HEX.slice(0, 63),
      `${HEX}0`,
      'g'.repeat(64),
      `${HEX.slice(0, 62)}..`,
      `../${HEX.slice(3)}`,
      `${HEX}\n`,
      ` ${HEX.slice(1)}`,
      '',
      undefined,
      null,
      64,
      [HEX],
    ];
    for (const id of good) {
      it(`accepts ${id.slice(0, 8)}…`, () => {
        expect(isChunkId(id)).to.equal(true);
        expect(assertChunkId(id)).to.equal(id);
      });
    }
    for (const id of bad) {
      it(`refuses ${JSON.stringify(id)?.slice(0, 20)}`, () => {
        expect(isChunkId(id)).to.equal(false);
        expect(codeOf(() => assertChunkId(id))).to.equal('invalid_chunk_id');
      });
    }
  });

  it('names the base and the parent of a path', () => {
    expect(baseName('/a/b/c.txt')).to.equal('c.txt');
    expect(baseName('/a/b/')).to.equal('b');
    expect(parentPrefix('/a/b/c.txt')).to.equal('/a/b/');
    expect(parentPrefix('/a')).to.equal('/');
    expect(parentPrefix('/a/b/')).to.equal('/a/');
  });
});
