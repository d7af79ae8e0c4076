// Write tokens, node authentication and store receipts: round trips and every way to forge one.

import { expect } from 'chai';
import {
  CLOCK_SKEW_MS,
  generateSecret,
  signNodeAuth,
  signReceipt,
  signWriteToken,
  verifyNodeAuth,
  verifyReceipt,
  verifyWriteToken,
} from '../../src/protocol/auth.js';
import { codeOf } from '../helpers/errors.js';

const SECRET = 'unit-secret';
const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const NOW = 1_800_000_000_000;

describe('auth', () => {
  it('generates long random secrets', () => {
    const a = generateSecret();
    expect(a).to.match(/^[\w-]{43}$/);
    expect(generateSecret()).not.to.equal(a);
  });

  describe('write tokens', () => {
    const good = signWriteToken(SECRET, 'put', A, NOW + 60_000);
    const [op, chunk, expires, sig] = good.split('.') as [string, string, string, string];

    it('a fresh token is valid for its op and chunk', () => {
      expect(codeOf(() => verifyWriteToken(SECRET, good, ['put'], A, NOW))).to.equal(undefined);
      const del = signWriteToken(SECRET, 'delete', B, NOW + 1);
      expect(codeOf(() => verifyWriteToken(SECRET, del, ['delete'], B, NOW))).to.equal(undefined);
      // A node takes a client's put or a repair's copy on one route, and learns which it is.
      const copy = signWriteToken(SECRET, 'copy', A, NOW + 1);
      expect(verifyWriteToken(SECRET, copy, ['put', 'copy'], A, NOW)).to.equal('copy');
      expect(verifyWriteToken(SECRET, good, ['put', 'copy'], A, NOW)).to.equal('put');
      expect(codeOf(() => verifyWriteToken(SECRET, copy, ['put'], A, NOW))).to.equal('forbidden');
    });

    it('is honoured up to the clock-skew tolerance after expiry, and not a millisecond more', () => {
      const t = signWriteToken(SECRET, 'put', A, NOW);
      expect(codeOf(() => verifyWriteToken(SECRET, t, ['put'], A, NOW + CLOCK_SKEW_MS))).to.equal(undefined);
      expect(codeOf(() => verifyWriteToken(SECRET, t, ['put'], A, NOW + CLOCK_SKEW_MS + 1))).to.equal(
        'forbidden',
      );
    });

    const cases: [string, string | undefined, 'put' | 'delete', string, string][] = [
      ['missing', undefined, 'put', A, 'unauthorized'],
      ['empty', '', 'put', A, 'unauthorized'],
      ['for another chunk', good, 'put', B, 'forbidden'],
      ['for another op', good, 'delete', A, 'forbidden'],
      ['expired', signWriteToken(SECRET, 'put', A, NOW - CLOCK_SKEW_MS - 1), 'put', A, 'forbidden'],
      ['another secret', signWriteToken('other', 'put', A, NOW + 60_000), 'put', A, 'forbidden'],
      [
        'flipped signature',
        `${op}.${chunk}.${expires}.${sig.slice(0, -1)}${sig.endsWith('A') ? 'B' : 'A'}`,
        'put',
        A,
        'forbidden',
      ],
      ['extended expiry', `${op}.${chunk}.${Number(expires) + 1}.${sig}`, 'put', A, 'forbidden'],
      ['swapped chunk', `${op}.${B}.${expires}.${sig}`, 'put', B, 'forbidden'],
      ['swapped op', `delete.${chunk}.${expires}.${sig}`, 'delete', A, 'forbidden'],
      ['upper-case op', `PUT.${chunk}.${expires}.${sig}`, 'put', A, 'forbidden'],
      ['upper-case chunk', `${op}.${chunk.toUpperCase()}.${expires}.${sig}`, 'put', A, 'forbidden'],
      ['exponent expiry', `${op}.${chunk}.1e20.${sig}`, 'put', A, 'forbidden'],
      ['negative expiry', `${op}.${chunk}.-1.${sig}`, 'put', A, 'forbidden'],
      ['short signature', `${op}.${chunk}.${expires}.${sig.slice(0, 20)}`, 'put', A, 'forbidden'],
      ['empty signature', `${op}.${chunk}.${expires}.`, 'put', A, 'forbidden'],
      ['three parts', `${op}.${chunk}.${expires}`, 'put', A, 'forbidden'],
      ['five parts', `${good}.x`, 'put', A, 'forbidden'],
      ['padding', ` ${good}`, 'put', A, 'forbidden'],
      ['garbage', 'x'.repeat(10_000), 'put', A, 'forbidden'],
    ];
    for (const [what, token, wantOp, id, code] of cases) {
      it(`refuses a token ${what} (${code})`, () => {
        expect(codeOf(() => verifyWriteToken(SECRET, token, [wantOp], id, NOW))).to.equal(code);
      });
    }
  });

  describe('node authentication', () => {
    it('proves the node id', () => {
      expect(verifyNodeAuth(SECRET, signNodeAuth(SECRET, 'node-1', NOW), NOW)).to.equal('node-1');
    });

    it('accepts a timestamp within the skew either way, and refuses one outside', () => {
      for (const offset of [-CLOCK_SKEW_MS, 0, CLOCK_SKEW_MS]) {
        expect(verifyNodeAuth(SECRET, signNodeAuth(SECRET, 'n', NOW + offset), NOW)).to.equal('n');
      }
      for (const offset of [-CLOCK_SKEW_MS - 1, CLOCK_SKEW_MS + 1]) {
        expect(codeOf(() => verifyNodeAuth(SECRET, signNodeAuth(SECRET, 'n', NOW + offset), NOW))).to.equal(
          'forbidden',
        );
      }
    });

    const header = signNodeAuth(SECRET, 'node-1', NOW);
    const cases: [string, string | undefined, string][] = [
      ['no header', undefined, 'unauthorized'],
      ['empty', '', 'unauthorized'],
      ['a bearer token', 'Bearer abc', 'unauthorized'],
      ['lower-case scheme', header.replace('DFS-Node', 'dfs-node'), 'unauthorized'],
      ['id with a dot', signNodeAuth(SECRET, 'a.b', NOW), 'unauthorized'],
      ['id with a slash', signNodeAuth(SECRET, '../x', NOW), 'unauthorized'],
      ['id too long', signNodeAuth(SECRET, 'n'.repeat(65), NOW), 'unauthorized'],
      ['trailing space', `${header} `, 'unauthorized'],
      ['wrong secret', signNodeAuth('other', 'node-1', NOW), 'forbidden'],
      ["another node's signature", header.replace('node-1', 'node-2'), 'forbidden'],
      ['changed time', header.replace(`.${NOW}.`, `.${NOW + 1}.`), 'forbidden'],
    ];
    for (const [what, value, code] of cases) {
      it(`refuses ${what} (${code})`, () => {
        expect(codeOf(() => verifyNodeAuth(SECRET, value, NOW))).to.equal(code);
      });
    }
  });

  describe('receipts', () => {
    const receipt = signReceipt(SECRET, 'node-1', A);
    for (const [what, secret, node, chunk, signature, ok] of [
      ['its own', SECRET, 'node-1', A, receipt, true],
      ['another node', SECRET, 'node-2', A, receipt, false],
      ['another chunk', SECRET, 'node-1', B, receipt, false],
      ['another secret', 'other', 'node-1', A, receipt, false],
      ['truncated', SECRET, 'node-1', A, receipt.slice(1), false],
      ['empty', SECRET, 'node-1', A, '', false],
    ] as const) {
      it(`${what}: ${ok ? 'valid' : 'invalid'}`, () => {
        expect(verifyReceipt(secret, node, chunk, signature)).to.equal(ok);
      });
    }
  });
});
