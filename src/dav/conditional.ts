// HTTP conditional requests (RFC 9110 §13) on /dav/: If-Match, If-None-Match, If-Modified-Since,
// If-Unmodified-Since and If-Range against a file's generation ETag. A write pins the version it
// checked, so the check and the commit are one atomic step in the metadata store.

import { DavError } from './errors.js';
import { etagsMatch } from './if-header.js';

/** The request headers conditions read (lower-case names, as Node gives them). */
export type ConditionHeaders = Readonly<Record<string, string | string[] | undefined>>;

/** The state of the addressed file: undefined when there is none. */
export interface Current {
  etag: string;
  generation: number;
  /** Last modification, ms. */
  modified: number;
}

function header(headers: ConditionHeaders, name: string): string | undefined {
  const value = headers[name];
  const text = Array.isArray(value) ? value.join(', ') : value;
  return text === undefined || text.trim() === '' ? undefined : text.trim();
}

/** The entity tags of an If-Match / If-None-Match list ('*' stays '*'). */
export function parseEtagList(value: string): string[] {
  if (value === '*') return ['*'];
  return (value.match(/(W\/)?"[^"]*"/g) ?? []).map((tag) => tag.trim());
}

const strongMatch = (a: string, b: string) => !a.startsWith('W/') && !b.startsWith('W/') && a === b;

function matchesAny(list: string[], etag: string, compare: (a: string, b: string) => boolean): boolean {
  return list.some((tag) => tag === '*' || compare(tag, etag));
}

function date(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

// HTTP dates have whole seconds.
const seconds = (ms: number) => Math.floor(ms / 1000);

/**
 * A read's conditions (GET, HEAD): 'ok', 304 Not Modified or 412 Precondition Failed, in the
 * order of RFC 9110 §13.2.2.
 */
export function readCondition(headers: ConditionHeaders, current: Current): 'ok' | 304 | 412 {
  const ifMatch = header(headers, 'if-match');
  if (ifMatch !== undefined && !matchesAny(parseEtagList(ifMatch), current.etag, strongMatch)) return 412;
  const unmodified = date(header(headers, 'if-unmodified-since'));
  if (ifMatch === undefined && unmodified !== undefined && seconds(current.modified) > seconds(unmodified))
    return 412;
  const ifNoneMatch = header(headers, 'if-none-match');
  if (ifNoneMatch !== undefined) {
    return matchesAny(parseEtagList(ifNoneMatch), current.etag, etagsMatch) ? 304 : 'ok';
  }
  const modifiedSince = date(header(headers, 'if-modified-since'));
  if (modifiedSince !== undefined && seconds(current.modified) <= seconds(modifiedSince)) return 304;
  return 'ok';
}

/** True when a Range may be honoured: no If-Range, or one naming the current version. */
export function rangeApplies(headers: ConditionHeaders, current: Current): boolean {
  const ifRange = header(headers, 'if-range');
  if (ifRange === undefined) return true;
  if (ifRange.startsWith('"') || ifRange.startsWith('W/')) return strongMatch(ifRange, current.etag);
  const when = date(ifRange);
  return when !== undefined && seconds(when) === seconds(current.modified);
}

/**
 * A write's conditions (PUT, DELETE): throws 412 when If-Match or If-None-Match fails against
 * the current file; when either is present, returns the generation the commit must find
 * (0: no file), so a version committed in between fails the commit instead of being overwritten.
 */
export function writeCondition(headers: ConditionHeaders, current: Current | undefined): number | undefined {
  const ifMatch = header(headers, 'if-match');
  const ifNoneMatch = header(headers, 'if-none-match');
  if (ifMatch === undefined && ifNoneMatch === undefined) return undefined;
  if (ifMatch !== undefined && (!current || !matchesAny(parseEtagList(ifMatch), current.etag, strongMatch))) {
    throw new DavError(412, 'If-Match does not name the current version');
  }
  if (
    ifNoneMatch !== undefined &&
    current &&
    matchesAny(parseEtagList(ifNoneMatch), current.etag, etagsMatch)
  ) {
    throw new DavError(412, 'If-None-Match names the current version');
  }
  return current?.generation ?? 0;
}
