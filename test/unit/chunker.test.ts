import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { BufferPool, chunks } from '../../src/sdk/chunker.js';
import { pieces } from '../helpers/cluster.js';

async function cut(data: Buffer, chunkSize: number, pieceSize: number): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const c of chunks(pieces(data, pieceSize), chunkSize)) out.push(Buffer.from(c));
  return out;
}

describe('chunker', () => {
  const data = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));

  for (const pieceSize of [1, 7, 100, 256, 999, 5000]) {
    it(`cuts exact chunks whatever the input piece size (${pieceSize})`, async () => {
      const out = await cut(data, 256, pieceSize);
      expect(out.map((c) => c.length)).to.deep.equal([256, 256, 256, 232]);
      expect(Buffer.concat(out).equals(data)).to.equal(true);
    });
  }

  it('yields nothing for an empty stream', async () => {
    expect(await cut(Buffer.alloc(0), 256, 10)).to.deep.equal([]);
  });

  it('yields exactly one full chunk at the boundary and no empty tail', async () => {
    const out = await cut(data.subarray(0, 512), 256, 300);
    expect(out.map((c) => c.length)).to.deep.equal([256, 256]);
  });

  it('does not let a later piece overwrite an earlier chunk (chunks are independent buffers)', async () => {
    const out: Buffer[] = [];
    for await (const c of chunks(pieces(data, 100), 256)) out.push(c);
    const hashes = out.map((c) => createHash('sha256').update(c).digest('hex'));
    const expected = [0, 256, 512, 768].map((o) =>
      createHash('sha256')
        .update(data.subarray(o, o + 256))
        .digest('hex'),
    );
    expect(hashes).to.deep.equal(expected);
  });

  it('accepts strings as input', async () => {
    const out: Buffer[] = [];
    async function* strings() {
      yield* ['ab', 'cde', 'f'];
    }
    for await (const c of chunks(strings(), 4)) out.push(Buffer.from(c));
    expect(out.map((b) => b.toString())).to.deep.equal(['abcd', 'ef']);
  });

  it('reuses pooled buffers and waits for a free one', async () => {
    const pool = new BufferPool(4, 2);
    const source = chunks(pieces(Buffer.from('abcdefghij'), 3), 4, pool);
    const first = (await source.next()).value as Buffer;
    const second = (await source.next()).value as Buffer;
    expect([first.toString(), second.toString()]).to.deep.equal(['abcd', 'efgh']);
    let third: Buffer | undefined;
    const pending = source.next().then((r) => {
      third = r.value as Buffer;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(third).to.equal(undefined); // both buffers are still out
    pool.release(first);
    await pending;
    expect(third?.toString()).to.equal('ij');
    expect(third?.buffer).to.equal(first.buffer); // the same memory, recycled
  });
});
