// Query parameters of the listing operations, checked as S3 checks them.

import { invalidArgument } from './errors.js';

/**
 * A non-negative integer parameter (`max-keys`, `max-uploads`, `part-number-marker`…): `fallback`
 * when absent, lowered to `cap` (as S3 does), InvalidArgument when no 32-bit integer.
 */
export function countParam(
  query: ReadonlyMap<string, string>,
  name: string,
  fallback: number,
  cap: number,
): number {
  const text = query.get(name);
  if (text === undefined) return fallback;
  if (!/^\d{1,10}$/.test(text.trim()) || Number(text) > 2 ** 31 - 1)
    throw invalidArgument(name, text, `Provided ${name} not an integer or within integer range`);
  return Math.min(Number(text), cap);
}

/** `encoding-type`: only `url` exists (any case). */
export function encodingTypeParam(query: ReadonlyMap<string, string>): 'url' | undefined {
  const value = query.get('encoding-type');
  if (value === undefined) return undefined;
  if (value.toLowerCase() !== 'url')
    throw invalidArgument('encoding-type', value, 'Invalid Encoding Method specified in Request');
  return 'url';
}
