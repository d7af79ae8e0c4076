// Cuts a byte stream into chunks of exactly `size` bytes (the last may be shorter), reusing a
// fixed pool of chunk buffers so that memory stays flat whatever the file size.

import fs from 'node:fs/promises';

/** A fixed set of equal-sized buffers handed out and given back. */
export class BufferPool {
  private readonly free: Buffer[] = [];
  private readonly waiters: ((b: Buffer) => void)[] = [];

  constructor(
    readonly size: number,
    count: number,
  ) {
    // allocUnsafeSlow: each buffer owns its memory (never a slice of Node's shared pool).
    for (let i = 0; i < count; i++) this.free.push(Buffer.allocUnsafeSlow(size));
  }

  /** A free buffer; waits until one is released when all are in use. */
  acquire(): Promise<Buffer> {
    const b = this.free.pop();
    return b ? Promise.resolve(b) : new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Gives a buffer (or a view of one) back. */
  release(b: Buffer): void {
    const whole = b.length === this.size ? b : Buffer.from(b.buffer, b.byteOffset, this.size);
    const waiter = this.waiters.shift();
    if (waiter) waiter(whole);
    else this.free.push(whole);
  }
}

/**
 * Yields chunks of `size` bytes from `source`, each copied once into a buffer from `pool` (the
 * consumer releases it when done with it) or, without a pool, into a fresh buffer.
 */
export async function* chunks(
  source: AsyncIterable<Buffer | Uint8Array | string>,
  size: number,
  pool?: BufferPool,
): AsyncGenerator<Buffer> {
  const acquire = () => (pool ? pool.acquire() : Promise.resolve(Buffer.allocUnsafe(size)));
  let current: Buffer | undefined;
  let filled = 0;
  for await (const input of source) {
    let piece = typeof input === 'string' ? Buffer.from(input) : input;
    while (piece.length > 0) {
      current ??= await acquire();
      const take = Math.min(size - filled, piece.length);
      current.set(piece.subarray(0, take), filled);
      filled += take;
      piece = piece.subarray(take);
      if (filled === size) {
        yield current;
        current = undefined;
        filled = 0;
      }
    }
  }
  if (current && filled > 0) yield current.subarray(0, filled);
  else if (current) pool?.release(current);
}

/** Yields a local file's chunks, read straight into buffers from `pool` (released by the consumer). */
export async function* fileChunks(path: string, pool: BufferPool): AsyncGenerator<Buffer> {
  const handle = await fs.open(path, 'r');
  try {
    for (;;) {
      const buffer = await pool.acquire();
      let filled = 0;
      while (filled < pool.size) {
        const { bytesRead } = await handle.read(buffer, filled, pool.size - filled, null);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      if (filled === 0) {
        pool.release(buffer);
        return;
      }
      yield filled === pool.size ? buffer : buffer.subarray(0, filled);
      if (filled < pool.size) return;
    }
  } finally {
    await handle.close();
  }
}
