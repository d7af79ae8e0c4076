// The CLI's tables on a terminal narrower than them (src/cli/render.ts).

import { expect } from 'chai';
import { fitColumns } from '../../src/cli/render.js';

describe('fitColumns', () => {
  it('leaves a table that fits as it is', () => {
    // 30 + 10 + 10 and four borders: 54 columns.
    expect(fitColumns([30, 10, 10], 54)).to.equal(undefined);
  });

  it('narrows the widest column first, until the table fits', () => {
    expect(fitColumns([30, 10, 10], 45)).to.deep.equal([21, 10, 10]);
    expect(fitColumns([30, 12, 10], 36)).to.deep.equal([11, 11, 10]);
  });

  it('narrows no column below five (a space, three characters, a space)', () => {
    expect(fitColumns([10, 10], 8)).to.deep.equal([5, 5]);
  });
});
