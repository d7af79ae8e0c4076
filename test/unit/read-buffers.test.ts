// The buffers a node reads large chunks whole into: reused, never lent twice, within a budget.

import { expect } from 'chai';
import { ReadBuffers, WHOLE_READ_MIN } from '../../src/storage/read-buffers.js';

const MiB = 1024 * 1024;

describe('read buffers', () => {
  it('lends a buffer sized to a power of two, at least 1 MiB, and lends the same one again once given back', () => {
    const buffers = new ReadBuffers(32 * MiB);
    const a = buffers.take(5 * MiB);
    expect(a?.buffer.length).to.equal(8 * MiB);
    expect(buffers.take(1000)?.buffer.length).to.equal(WHOLE_READ_MIN);
    expect(buffers.inUse).to.equal(9 * MiB);
    a?.release();
    expect(buffers.inUse).to.equal(MiB);
    expect(buffers.take(8 * MiB)?.buffer).to.equal(a?.buffer);
  });

  it('never lends one buffer to two reads, even given back twice', () => {
    const buffers = new ReadBuffers(32 * MiB);
    const a = buffers.take(8 * MiB);
    a?.release();
    a?.release();
    const b = buffers.take(8 * MiB);
    const c = buffers.take(8 * MiB);
    expect(b?.buffer).to.equal(a?.buffer);
    expect(c?.buffer).not.to.equal(b?.buffer);
    expect(buffers.inUse).to.equal(16 * MiB);
  });

  it('lends nothing past its budget, and drops smaller kept buffers to make room for a larger one', () => {
    const buffers = new ReadBuffers(16 * MiB);
    const lent = [buffers.take(8 * MiB), buffers.take(4 * MiB), buffers.take(4 * MiB)];
    expect(buffers.take(MiB)).to.equal(undefined);
    lent[1]?.release();
    lent[2]?.release();
    // Two kept 4 MiB buffers make room for one of 8 MiB.
    const big = buffers.take(6 * MiB);
    expect(big?.buffer.length).to.equal(8 * MiB);
    expect(buffers.inUse).to.equal(16 * MiB);
    expect(buffers.take(MiB)).to.equal(undefined);
  });
});
