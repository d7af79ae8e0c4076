// The bench's rows: a ratio target, an absolute limit on dfs's figure, or neither (informational).

import { expect } from 'chai';
import { makeRow } from '../../bench/lib/report.js';
import { smallBody } from '../../bench/lib/small-load.js';

const spec = { id: 't', what: 'w', baselineWhat: 'b', unit: '/s' };

describe('bench rows', () => {
  it('meets a "higher" ratio target only at or above it', () => {
    expect(makeRow({ ...spec, target: 2, better: 'higher' }, [200, 210, 190], [100]).met).to.equal(true);
    expect(makeRow({ ...spec, target: 2, better: 'higher' }, [199], [100]).met).to.equal(false);
  });

  it('fails a row whose dfs median is over its absolute limit, whatever the ratio', () => {
    const cpu = { ...spec, unit: 'ms', better: 'lower' as const, absoluteMax: 1 };
    expect(makeRow(cpu, [1.2, 1.1, 1.3], [2]).met).to.equal(false);
    expect(makeRow(cpu, [0.9, 1.1, 0.8], [0.1]).met).to.equal(true);
  });

  it('counts a row with no target as met, with its ratio still computed', () => {
    const row = makeRow({ ...spec, better: 'higher' }, [300], [600]);
    expect(row.met).to.equal(true);
    expect(row.ratio).to.equal(0.5);
  });
});

describe('bench small-file bodies', () => {
  it('are the seed with the name over its start, so no two files are alike', () => {
    const seed = Buffer.alloc(4096, 7);
    const a = smallBody(seed, 'w1/f00000');
    const b = smallBody(seed, 'w1/f00001');
    expect(a.length).to.equal(4096);
    expect(a.equals(b)).to.equal(false);
    expect(a.subarray(10).equals(seed.subarray(10))).to.equal(true);
    expect(seed[0]).to.equal(7);
  });
});
