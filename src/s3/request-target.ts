// Splitting a request target (`req.url`) into its raw path and query parameters.

import { S3Error } from './errors.js';
import { percentDecode } from './uri.js';

/** One query parameter, decoded. */
export interface QueryParam {
  name: string;
  value: string;
}

/** A request target: the path exactly as sent and its query parameters in order. */
export interface RequestTarget {
  /** The path as sent (percent-encoded), e.g. `/bucket/a%20b`. */
  rawPath: string;
  params: QueryParam[];
}

function invalidUri(): S3Error {
  return new S3Error('InvalidURI');
}

/**
 * Splits `url` (origin-form, or absolute-form as a proxy would send) into raw path and query.
 * Bytes above 0x7f (which Node hands over as latin1 characters) are percent-encoded, so a client
 * that sent raw UTF-8 is read as if it had encoded it. InvalidURI for an undecodable parameter.
 */
export function parseRequestTarget(url: string): RequestTarget {
  let target = url;
  const absolute = /^https?:\/\/[^/?#]*/i.exec(target);
  if (absolute) target = target.slice(absolute[0].length) || '/';
  if (!target.startsWith('/')) throw invalidUri();
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the range is the point
  if (/[^\u0000-\u007f]/.test(target)) {
    target = [...Buffer.from(target, 'latin1')]
      .map((b) => (b > 0x7f ? `%${b.toString(16).toUpperCase()}` : String.fromCharCode(b)))
      .join('');
  }
  const hash = target.indexOf('#');
  if (hash >= 0) target = target.slice(0, hash);
  const question = target.indexOf('?');
  const rawPath = question >= 0 ? target.slice(0, question) : target;
  const rawQuery = question >= 0 ? target.slice(question + 1) : '';
  const params: QueryParam[] = [];
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const rawName = eq >= 0 ? part.slice(0, eq) : part;
    const rawValue = eq >= 0 ? part.slice(eq + 1) : '';
    const name = percentDecode(rawName, true);
    const value = percentDecode(rawValue, true);
    if (name === undefined || value === undefined) throw invalidUri();
    params.push({ name, value });
  }
  return { rawPath, params };
}

/** Query parameters by decoded name (the first of repeated names wins). */
export function queryMap(params: readonly QueryParam[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const p of params) if (!map.has(p.name)) map.set(p.name, p.value);
  return map;
}
