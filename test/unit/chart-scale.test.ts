// The charts' arithmetic (src/web/assets/chart-scale.js, the module the pages load): axis ranges,
// ticks and labels by unit, time ticks, and the runs of a line between gaps.

import { expect } from 'chai';
import { formatValue, largest, niceStep, runs, timeTicks, yScale } from '../../src/web/assets/chart-scale.js';

const MiB = 1024 * 1024;

describe('chart scales', () => {
  it('rounds steps up to 1, 2, 2.5 or 5 times a power of ten', () => {
    expect(niceStep(0.7)).to.equal(1);
    expect(niceStep(1.3)).to.equal(2);
    expect(niceStep(2.2)).to.equal(2.5);
    expect(niceStep(37)).to.equal(50);
    expect(niceStep(0.0041)).to.be.closeTo(0.005, 1e-12);
    expect(niceStep(0)).to.equal(1);
  });

  it('spans the largest value with nice ticks from zero', () => {
    const { top, ticks } = yScale(73, 'ms');
    expect(top).to.be.at.least(73);
    expect(ticks[0]).to.equal(0);
    expect(ticks.at(-1)).to.equal(top);
    expect(ticks).to.deep.equal([0, 20, 40, 60, 80]);
    expect(ticks.length - 1).to.be.at.most(4);
  });

  it('steps bytes in binary units, so labels read 1 MiB/s, not 1.05 MB/s', () => {
    const { top, ticks } = yScale(3.5 * MiB, 'B/s');
    expect(ticks).to.deep.equal([0, MiB, 2 * MiB, 3 * MiB, 4 * MiB]);
    expect(top).to.equal(4 * MiB);
    expect(ticks.map((t) => formatValue(t, 'B/s'))).to.deep.equal([
      '0 B/s',
      '1.0 MiB/s',
      '2.0 MiB/s',
      '3.0 MiB/s',
      '4.0 MiB/s',
    ]);
  });

  it('keeps percentages on 0–100, counts on whole numbers, and an empty chart on a small range', () => {
    expect(yScale(42, '%').ticks).to.deep.equal([0, 25, 50, 75, 100]);
    expect(yScale(3, '').ticks).to.deep.equal([0, 1, 2, 3]);
    expect(yScale(0, '')).to.deep.equal({ top: 1, ticks: [0, 1] });
    expect(yScale(0, 'B/s')).to.deep.equal({ top: 1024, ticks: [0, 1024] });
    // Less than a byte per second on average (an idle node): whole bytes, each label once.
    const idle = yScale(0.2, 'B/s');
    expect(idle).to.deep.equal({ top: 1, ticks: [0, 1] });
    expect(idle.ticks.map((t) => formatValue(t, 'B/s'))).to.deep.equal(['0 B/s', '1 B/s']);
    expect(yScale(3, 'B/s').ticks).to.deep.equal([0, 1, 2, 3]);
    // Tenths of an operation per second print as such, not as 0.30000000000000004.
    expect(yScale(0.35, '/s').ticks).to.deep.equal([0, 0.1, 0.2, 0.3, 0.4]);
  });

  it('labels values in their unit', () => {
    expect(formatValue(1536, 'B/s')).to.equal('1.5 KiB/s');
    expect(formatValue(12.4, '/s')).to.equal('12/s');
    expect(formatValue(0.25, 'ms')).to.equal('0.25 ms');
    expect(formatValue(3.0625, 'ms')).to.equal('3.1 ms');
    expect(formatValue(87.4, '%')).to.equal('87%');
    expect(formatValue(2, '')).to.equal('2');
    expect(formatValue(null, 'ms')).to.equal('–');
    expect(formatValue(Number.NaN, '%')).to.equal('–');
  });

  it('puts time ticks on round times, at most as many as asked', () => {
    const hour = 3600_000;
    const start = 1_800_000_123_456;
    const { step, ticks } = timeTicks(start, start + hour, 6);
    expect(step).to.equal(15 * 60_000);
    expect(ticks.length).to.be.within(1, 6);
    for (const t of ticks) {
      expect(t % step).to.equal(0);
      expect(t).to.be.within(start, start + hour);
    }
    expect(timeTicks(start, start + 40_000, 5).step).to.equal(10_000);
  });

  it('splits a line into runs between its gaps', () => {
    expect(runs([null, 1, 2, null, 3, null, null, 4, 5])).to.deep.equal([
      [1, 2],
      [4, 4],
      [7, 8],
    ]);
    expect(runs([null, null])).to.deep.equal([]);
    expect(largest([{ values: [1, null, 7] }, { values: [null, 3] }])).to.equal(7);
    expect(largest([{ values: [null] }])).to.equal(0);
  });
});
