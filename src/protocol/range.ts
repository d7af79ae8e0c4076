// HTTP Range (RFC 9110 §14) for a single byte range: what downloads honour.

import { DfsError } from './errors.js';

/** An inclusive byte range. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Parses a `Range` header against a resource of `size` bytes. Returns undefined for no header
 * or a form we serve whole (multiple ranges, other units); throws 416 for an unsatisfiable one.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | undefined {
  if (!header) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return undefined;
  const [, a = '', b = ''] = match;
  if (a === '' && b === '') return undefined;
  let start: number;
  let end: number;
  if (a === '') {
    const suffix = Number(b);
    if (suffix === 0) throw new RangeNotSatisfiable(size);
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(a);
    end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
    if (b !== '' && Number(b) < start) return undefined;
  }
  if (start >= size) throw new RangeNotSatisfiable(size);
  return { start, end };
}

/** 416: the range lies outside a resource of `size` bytes (sent back as `Content-Range: bytes *\/size`). */
export class RangeNotSatisfiable extends DfsError {
  constructor(readonly size: number) {
    super('range_not_satisfiable', `range is outside the ${size}-byte resource`);
  }
}
