// Cuts a byte stream into chunks of exactly `size` bytes (the last may be shorter).

/**
 * Yields Buffers of `size` bytes from `source`, copying each byte once into a fresh chunk
 * buffer. Memory held: one chunk being filled.
 */
export async function* chunks(
  source: AsyncIterable<Buffer | Uint8Array | string>,
  size: number,
): AsyncGenerator<Buffer> {
  let current = Buffer.allocUnsafe(size);
  let filled = 0;
  for await (const input of source) {
    let piece = typeof input === 'string' ? Buffer.from(input) : input;
    while (piece.length > 0) {
      const take = Math.min(size - filled, piece.length);
      // A whole piece that is exactly one chunk needs no copy.
      if (filled === 0 && take === size && piece.length >= size) {
        yield Buffer.from(piece.buffer, piece.byteOffset, size);
      } else {
        current.set(piece.subarray(0, take), filled);
        filled += take;
        if (filled === size) {
          yield current;
          current = Buffer.allocUnsafe(size);
          filled = 0;
        }
      }
      piece = piece.subarray(take);
    }
  }
  if (filled > 0) yield current.subarray(0, filled);
}
