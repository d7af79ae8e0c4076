// Pull-based reading of an async byte stream: lines of bounded length, and exact byte counts.

import { S3Error } from './errors.js';

const EMPTY = Buffer.alloc(0);

/** The error for a body that ends before its framing says it should. */
export function truncated(): S3Error {
  return new S3Error('IncompleteBody', 'The request body terminated unexpectedly');
}

/** Reads from an async iterable of bytes without copying except where a line spans two pieces. */
export class ByteReader {
  private buffer: Buffer = EMPTY;
  private readonly iterator: AsyncIterator<Buffer | Uint8Array | string>;
  private ended = false;

  constructor(source: AsyncIterable<Buffer | Uint8Array | string>) {
    this.iterator = source[Symbol.asyncIterator]();
  }

  /** Appends the next piece to the buffer; false when the source is exhausted. */
  private async pull(): Promise<boolean> {
    while (!this.ended) {
      const next = await this.iterator.next();
      if (next.done) {
        this.ended = true;
        break;
      }
      const piece =
        typeof next.value === 'string'
          ? Buffer.from(next.value)
          : Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
      if (piece.length === 0) continue;
      this.buffer = this.buffer.length === 0 ? piece : Buffer.concat([this.buffer, piece]);
      return true;
    }
    return false;
  }

  /**
   * The next line without its LF (and CR), as latin1 text; undefined at the end of the source
   * when nothing is left. `tooLong` is thrown for a line of more than `max` bytes, and
   * IncompleteBody when the source ends mid-line.
   */
  async line(max: number, tooLong: () => Error): Promise<string | undefined> {
    for (;;) {
      const lf = this.buffer.subarray(0, max + 2).indexOf(0x0a);
      if (lf >= 0) {
        const end = lf > 0 && this.buffer[lf - 1] === 0x0d ? lf - 1 : lf;
        if (end > max) throw tooLong();
        const text = this.buffer.toString('latin1', 0, end);
        this.buffer = this.buffer.subarray(lf + 1);
        return text;
      }
      if (this.buffer.length > max + 1) throw tooLong();
      if (!(await this.pull())) {
        if (this.buffer.length === 0) return undefined;
        throw truncated();
      }
    }
  }

  /** Yields exactly the next `length` bytes, piece by piece as they arrive; IncompleteBody if short. */
  async *take(length: number): AsyncGenerator<Buffer, void, undefined> {
    let left = length;
    while (left > 0) {
      if (this.buffer.length === 0 && !(await this.pull())) throw truncated();
      const n = Math.min(left, this.buffer.length);
      const piece = this.buffer.subarray(0, n);
      this.buffer = this.buffer.subarray(n);
      left -= n;
      yield piece;
    }
  }

  /** The next `length` (few) bytes as one buffer; IncompleteBody if the source ends first. */
  async exact(length: number): Promise<Buffer> {
    while (this.buffer.length < length) if (!(await this.pull())) throw truncated();
    const bytes = this.buffer.subarray(0, length);
    this.buffer = this.buffer.subarray(length);
    return bytes;
  }

  /** True when no byte is left in the buffer or the source. */
  async atEnd(): Promise<boolean> {
    return this.buffer.length === 0 && !(await this.pull());
  }

  /** Releases the source early (the consumer stopped reading). */
  async close(): Promise<void> {
    if (!this.ended) {
      this.ended = true;
      await this.iterator.return?.();
    }
  }
}
