// The charts' time series: the ring buffer (grid slots, gaps, wrap-around), running totals turned
// into increases, and the chart JSON built from rings.

import { expect } from 'chai';
import { gridOf, lineOf } from '../../src/http/charts.js';
import { Deltas, ratio, SeriesRing } from '../../src/http/series.js';

const STEP = 10_000;
const T0 = 1_800_000_000_000; // on the 10 s grid

describe('series ring buffer', () => {
  it('keeps samples on the grid, oldest first, with null before the first', () => {
    const ring = new SeriesRing(['a', 'b'], STEP, 5);
    ring.record(T0, { a: 1, b: 10 });
    ring.record(T0 + STEP, { a: 2, b: 20 });
    // A timer a little late still lands in its slot.
    ring.record(T0 + 2 * STEP + 1200, { a: 3 });
    expect(ring.end).to.equal(T0 + 2 * STEP);
    expect(ring.length).to.equal(3);
    expect(ring.window('a', ring.end, 4)).to.deep.equal([null, 1, 2, 3]);
    // A value left out is a gap, not a zero.
    expect(ring.window('b', ring.end, 3)).to.deep.equal([10, 20, null]);
  });

  it('marks skipped slots as gaps, replaces a repeated slot and ignores an older one', () => {
    const ring = new SeriesRing(['a'], STEP, 10);
    ring.record(T0, { a: 1 });
    ring.record(T0 + 3 * STEP, { a: 4 });
    ring.record(T0 + 3 * STEP + 100, { a: 5 });
    ring.record(T0 + STEP, { a: 99 });
    expect(ring.window('a', ring.end, 4)).to.deep.equal([1, null, null, 5]);
    expect(ring.length).to.equal(4);
  });

  it('forgets what falls out of the window when it wraps around', () => {
    const ring = new SeriesRing(['a'], STEP, 3);
    for (let i = 0; i < 7; i++) ring.record(T0 + i * STEP, { a: i });
    expect(ring.length).to.equal(3);
    expect(ring.window('a', ring.end, 5)).to.deep.equal([null, null, 4, 5, 6]);
    // A long stall (more than the whole window) leaves only gaps before the new sample.
    ring.record(T0 + 20 * STEP, { a: 20 });
    expect(ring.window('a', ring.end, 3)).to.deep.equal([null, null, 20]);
  });

  it('drops values that are not finite numbers', () => {
    const ring = new SeriesRing(['a'], STEP, 3);
    ring.record(T0, { a: Number.NaN });
    ring.record(T0 + STEP, { a: Number.POSITIVE_INFINITY });
    ring.record(T0 + 2 * STEP, { a: 0 });
    expect(ring.window('a', ring.end, 3)).to.deep.equal([null, null, 0]);
  });

  it('aligns a window on any end: newer slots than the ring holds are gaps', () => {
    const ring = new SeriesRing(['a'], STEP, 5);
    ring.record(T0, { a: 1 });
    ring.record(T0 + STEP, { a: 2 });
    expect(ring.window('a', T0 + 3 * STEP, 4)).to.deep.equal([1, 2, null, null]);
  });
});

describe('running totals', () => {
  it('turns totals into increases; a total that went down restarts from zero', () => {
    const deltas = new Deltas();
    expect(deltas.next('bytes', 100)).to.equal(undefined);
    expect(deltas.next('bytes', 250)).to.equal(150);
    expect(deltas.next('bytes', 250)).to.equal(0);
    // The node restarted: its counter began again at 0 and is now 40.
    expect(deltas.next('bytes', 40)).to.equal(40);
    expect(deltas.next('other', 7)).to.equal(undefined);
  });

  it('divides only known values by a positive whole', () => {
    expect(ratio(10, 4)).to.equal(2.5);
    expect(ratio(10, 0)).to.equal(undefined);
    expect(ratio(undefined, 4)).to.equal(undefined);
    expect(ratio(3, undefined)).to.equal(undefined);
  });
});

describe('chart data', () => {
  it('puts rings sampled together on one grid, values rounded to four digits', () => {
    const older = new SeriesRing(['v'], STEP);
    const newer = new SeriesRing(['v'], STEP);
    for (let i = 0; i < 4; i++) older.record(T0 + i * STEP, { v: i + 1 / 3 });
    newer.record(T0 + 3 * STEP, { v: 1234567 });
    const grid = gridOf([older, newer], STEP);
    expect(grid).to.deep.equal({ step: STEP, end: T0 + 3 * STEP, points: 4 });
    expect(lineOf('old', older, 'v', grid).values).to.deep.equal([0.3333, 1.333, 2.333, 3.333]);
    expect(lineOf('new', newer, 'v', grid)).to.deep.equal({
      name: 'new',
      values: [null, null, null, 1235000],
    });
  });

  it('has a one-point grid before any sample', () => {
    expect(gridOf([new SeriesRing(['v'], STEP)], STEP)).to.deep.equal({ step: STEP, end: 0, points: 1 });
  });
});
