import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { BufferPool, chunks, fileChunks } from '../../src/sdk/chunker.js';
import { pieces, tempDir } from '../helpers/cluster.js';

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

  it('gathers a small body of known length in a buffer of its size, not a 64 KiB one', async () => {
    const body = Buffer.alloc(4096, 7);
    const bufferOf = async (expected?: number) => {
      const out: Buffer[] = [];
      for await (const c of chunks(pieces(body, 1000), 8 * 1024 * 1024, undefined, expected)) out.push(c);
      expect(out).to.have.length(1);
      expect(out[0]?.equals(body)).to.equal(true);
      return out[0]?.buffer.byteLength;
    };
    expect(await bufferOf(4096)).to.equal(4096);
    expect(await bufferOf()).to.equal(64 * 1024);
  });

  it('passes exactly the declared bytes and fails a body that is shorter or longer', async () => {
    const read = async (input: string[], length: number) => {
      const out: Buffer[] = [];
      for await (const c of chunks(input, 1024 * 1024, undefined, length)) out.push(Buffer.from(c));
      return Buffer.concat(out).toString();
    };
    expect(await read(['ab', 'cd'], 4)).to.equal('abcd');
    for (const [input, length] of [
      [['ab'], 4],
      [['abc', 'de'], 4],
    ] as const) {
      const err = await read([...input], length).catch((e: unknown) => e);
      expect(err, String(input)).to.have.property('status', 400);
    }
  });

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

  describe('buffers of a closed pool', () => {
    // Sizes no other test's pools use: the buffers kept are shared by the whole process.
    let size = 1024 * 1024 + 4099;
    beforeEach(() => {
      size += 2;
    });

    it('go to the next pool of their size, once, and only those given back before closing', async () => {
      const first = new BufferPool(size, 2);
      const [a, b] = [await first.acquire(), await first.acquire()];
      first.release(a);
      first.close();
      first.release(b); // after closing: in use until now, so never handed out again
      const next = new BufferPool(size, 3);
      const got = [await next.acquire(), await next.acquire(), await next.acquire()];
      expect(got.map((g) => g.buffer === a.buffer)).to.deep.equal([true, false, false]);
      expect(got.some((g) => g.buffer === b.buffer)).to.equal(false);
      expect(new Set(got.map((g) => g.buffer)).size).to.equal(3);
      // Another size does not take them.
      const other = new BufferPool(size + 1, 1);
      const before = new BufferPool(size, 1);
      before.release(await before.acquire());
      before.close();
      expect((await other.acquire()).length).to.equal(size + 1);
    });

    it('are kept up to 32 MiB in all, the oldest dropped first; small ones not at all', async () => {
      // Forty transfers at once, then ending one after the other.
      const pools = Array.from({ length: 40 }, () => new BufferPool(size, 1));
      const closed = await Promise.all(pools.map((p) => p.acquire()));
      for (const [i, pool] of pools.entries()) {
        pool.release(closed[i] as Buffer);
        pool.close();
      }
      const taken = new BufferPool(size, 40);
      const again = new Set<ArrayBufferLike>();
      for (let i = 0; i < 40; i++) again.add((await taken.acquire()).buffer);
      const kept = closed.filter((b) => again.has(b.buffer));
      expect(kept.length).to.equal(Math.floor((32 * 1024 * 1024) / size));
      expect(kept).to.deep.equal(closed.slice(closed.length - kept.length)); // the newest
      const small = new BufferPool(4096, 1);
      const tiny = await small.acquire();
      small.release(tiny);
      small.close();
      expect((await new BufferPool(4096, 1).acquire()).buffer).to.not.equal(tiny.buffer);
    });
  });

  describe('fileChunks', () => {
    let dir: string;
    before(async () => {
      dir = await tempDir('dfs-chunker-');
    });
    after(async () => {
      await fs.rm(dir, { recursive: true, force: true });
    });

    async function read(file: string, pool: BufferPool): Promise<Buffer[]> {
      const out: Buffer[] = [];
      for await (const c of fileChunks(file, pool)) {
        out.push(Buffer.from(c));
        pool.release(c);
      }
      return out;
    }

    it('reads a small file into a buffer of its size, never a pooled chunk buffer', async () => {
      const file = path.join(dir, 'small');
      await fs.writeFile(file, 'x'.repeat(4096));
      const pool = new BufferPool(1024 * 1024, 1);
      let taken = 0;
      const acquire = pool.acquire.bind(pool);
      pool.acquire = () => {
        taken++;
        return acquire();
      };
      const out = await read(file, pool);
      expect(out.map((b) => b.length)).to.deep.equal([4096]);
      expect(taken).to.equal(0);
      expect(await read(file, new BufferPool(4096, 1))).to.have.length(1);
    });

    it('reads a regular file with one read per chunk: a short read at its size is its end', async () => {
      const file = path.join(dir, 'counted');
      await fs.writeFile(file, 'y'.repeat(100_000));
      const handle = await fs.open(file, 'r');
      const proto = Object.getPrototypeOf(handle) as { read: (...args: unknown[]) => Promise<unknown> };
      await handle.close();
      const original = proto.read;
      let reads = 0;
      proto.read = function (this: unknown, ...args: unknown[]) {
        reads++;
        return original.apply(this, args);
      };
      try {
        await read(file, new BufferPool(1024 * 1024, 1));
        expect(reads, 'a small file').to.equal(1);
        reads = 0;
        await read(file, new BufferPool(40_000, 2));
        expect(reads, 'chunks of 40,000, 40,000 and 20,000 bytes').to.equal(3);
      } finally {
        proto.read = original;
      }
    });

    it('reads a /proc file (sized 0, served a page per read) to its end', async function () {
      const file = '/proc/kallsyms';
      const whole = await fs.readFile(file).catch(() => undefined);
      if (!whole || whole.length <= 8192) {
        console.warn(`      SKIPPED: ${file} is not readable here, or too short to come in pieces`);
        return this.skip();
      }
      const out = await read(file, new BufferPool(1024 * 1024, 2));
      expect(Buffer.concat(out).length).to.equal(whole.length);
    });

    it('cuts a larger file into pool-sized chunks, and an empty file into none', async () => {
      const data = Buffer.from('abcdefghij'.repeat(10_000));
      await fs.writeFile(path.join(dir, 'large'), data);
      const out = await read(path.join(dir, 'large'), new BufferPool(40_000, 2));
      expect(out.map((b) => b.length)).to.deep.equal([40_000, 40_000, 20_000]);
      expect(Buffer.concat(out).equals(data)).to.equal(true);
      await fs.writeFile(path.join(dir, 'empty'), '');
      expect(await read(path.join(dir, 'empty'), new BufferPool(40_000, 2))).to.deep.equal([]);
    });

    it('fails a file that shrinks, grows or is rewritten while it is read, rather than mix versions', async () => {
      const file = path.join(dir, 'changing');
      const changes: [string, () => Promise<void>][] = [
        ['shrinks', () => fs.truncate(file, 50_000)],
        ['grows', () => fs.appendFile(file, 'more')],
        [
          'is rewritten in place',
          async () => {
            const handle = await fs.open(file, 'r+');
            await handle.write(Buffer.from('new bytes'), 0, 9, 90_000);
            await handle.utimes(new Date(), new Date(Date.now() + 5_000));
            await handle.close();
          },
        ],
      ];
      for (const [what, change] of changes) {
        await fs.writeFile(file, 'z'.repeat(100_000));
        const pool = new BufferPool(40_000, 3);
        const chunksRead = fileChunks(file, pool);
        expect((await chunksRead.next()).value).to.have.length(40_000);
        await change();
        const failure = await (async () => {
          for await (const _ of chunksRead);
        })().catch((e) => e);
        expect(failure?.code, what).to.equal('conflict');
        expect(failure.message, what).to.contain('changed while it was read');
      }
    });

    it('reads a named pipe from start to end (no positions, no size up front)', async () => {
      const fifo = path.join(dir, 'fifo');
      execFileSync('mkfifo', [fifo]);
      const data = Buffer.from('0123456789'.repeat(9_000));
      const writing = fs.writeFile(fifo, data);
      const out = await read(fifo, new BufferPool(40_000, 2));
      await writing;
      expect(out.map((b) => b.length)).to.deep.equal([40_000, 40_000, 10_000]);
      expect(Buffer.concat(out).equals(data)).to.equal(true);
    });
  });
});
