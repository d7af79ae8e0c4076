// compareUtf8: the stores' order of names, checked against the UTF-8 bytes themselves.

import { expect } from 'chai';
import { compareUtf8 } from '../../src/protocol/byte-order.js';

describe('compareUtf8', () => {
  it('orders strings as their UTF-8 bytes, astral characters after U+E000–U+FFFF', () => {
    const alphabet = [
      'a',
      'b',
      '/',
      '\u0001',
      'é',
      '\u4e2d',
      '\uFFFD',
      '\uE000',
      '😀',
      '\u{10FFFF}',
      '\u{10000}',
    ];
    const random = (n: number) =>
      Array.from({ length: n }, () => alphabet[Math.floor(Math.random() * alphabet.length)]).join('');
    const sign = (n: number) => Math.sign(n);
    for (let i = 0; i < 5000; i++) {
      const a = random(1 + (i % 4));
      const b = random(1 + ((i >> 2) % 4));
      expect(sign(compareUtf8(a, b)), `${a} vs ${b}`).to.equal(
        sign(Buffer.compare(Buffer.from(a), Buffer.from(b))),
      );
    }
    expect(compareUtf8('\uFFFD', '😀')).to.be.lessThan(0);
    expect(compareUtf8('a', 'ab')).to.be.lessThan(0);
    expect(compareUtf8('ab', 'ab')).to.equal(0);
  });
});
