// Byte ranges of GetObject (`Range`) and UploadPartCopy (`x-amz-copy-source-range`), S3's errors.

import { type ByteRange, parseRange, RangeNotSatisfiable } from '../protocol/range.js';
import { invalidArgument, S3Error } from './errors.js';

/**
 * The range a GetObject `Range` header asks of an object of `size` bytes; undefined to send it
 * whole (no header, several ranges or another unit, as S3). InvalidRange (416) when unsatisfiable.
 */
export function objectRange(header: string | undefined, size: number): ByteRange | undefined {
  try {
    return parseRange(header, size);
  } catch (err) {
    if (!(err instanceof RangeNotSatisfiable)) throw err;
    throw new S3Error('InvalidRange', undefined, {
      fields: { RangeRequested: header ?? '', ActualObjectSize: String(size) },
      headers: { 'Content-Range': `bytes */${size}` },
    });
  }
}

/**
 * The range of `x-amz-copy-source-range: bytes=first-last` within a source of `size` bytes;
 * undefined without the header. InvalidArgument for another form or a range outside the source.
 */
export function copySourceRange(header: string | undefined, size: number): ByteRange | undefined {
  if (header === undefined) return undefined;
  const match = /^bytes=(\d{1,16})-(\d{1,16})$/.exec(header.trim());
  const start = Number(match?.[1]);
  const end = Number(match?.[2]);
  if (!match || start > end) {
    throw invalidArgument(
      'x-amz-copy-source-range',
      header,
      'The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy',
    );
  }
  if (end >= size) {
    throw invalidArgument(
      'x-amz-copy-source-range',
      header,
      `Range specified is not valid for source object of size: ${size}`,
    );
  }
  return { start, end };
}
