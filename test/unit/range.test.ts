// HTTP Range parsing against hostile and edge-case headers.

import { expect } from 'chai';
import { DfsError } from '../../src/protocol/errors.js';
import { parseRange } from '../../src/protocol/range.js';

describe('range', () => {
  const cases: [string | undefined, number, { start: number; end: number } | undefined | 'unsatisfiable'][] =
    [
      [undefined, 100, undefined],
      ['', 100, undefined],
      ['bytes=0-0', 100, { start: 0, end: 0 }],
      ['bytes=0-', 100, { start: 0, end: 99 }],
      ['bytes=10-19', 100, { start: 10, end: 19 }],
      ['bytes=90-1000', 100, { start: 90, end: 99 }],
      ['bytes=-10', 100, { start: 90, end: 99 }],
      ['bytes=-1000', 100, { start: 0, end: 99 }],
      ['bytes=0-99999999999999999999999', 100, { start: 0, end: 99 }],
      [' bytes=1-2 ', 100, { start: 1, end: 2 }],
      // Forms served whole rather than guessed at.
      ['bytes=5-1', 100, undefined],
      ['bytes=0-1,5-6', 100, undefined],
      ['items=0-1', 100, undefined],
      ['bytes=-', 100, undefined],
      ['bytes=a-b', 100, undefined],
      ['bytes=1.5-2', 100, undefined],
      ['bytes=-1-2', 100, undefined],
      ['bytes=\u0661-\u0662', 100, undefined], // Arabic-Indic digits are not digits here
      ['bytes=0-1\r\nX: y', 100, undefined],
      // Unsatisfiable: 416.
      ['bytes=100-', 100, 'unsatisfiable'],
      ['bytes=99999999999999999999999-', 100, 'unsatisfiable'],
      ['bytes=-0', 100, 'unsatisfiable'],
      ['bytes=0-0', 0, 'unsatisfiable'],
    ];
  for (const [header, size, expected] of cases) {
    it(`${JSON.stringify(header)} on ${size} bytes → ${JSON.stringify(expected)}`, () => {
      if (expected === 'unsatisfiable') {
        let err: unknown;
        try {
          parseRange(header, size);
        } catch (e) {
          err = e;
        }
        expect(err).to.be.instanceOf(DfsError);
        expect((err as DfsError).status).to.equal(416);
      } else {
        expect(parseRange(header, size)).to.deep.equal(expected);
      }
    });
  }
});
