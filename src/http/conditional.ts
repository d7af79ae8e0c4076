// HTTP conditional requests (RFC 9110 §13) on a file's entity tag and modification time: what
// the web client's downloads and WebDAV share. (S3 has its own rules: unquoted tags, `*`-only
// writes, its error codes; see s3/conditional.ts.)

/** The request headers conditions read (lower-case names, as Node gives them). */
export type ConditionHeaders = Readonly<Record<string, string | string[] | undefined>>;

/** The version a request's conditions are checked against. */
export interface Validators {
  /** Quoted entity tag, `W/` in front when weak. */
  etag: string;
  /** Last modification, ms. */
  modified: number;
}

/** The entity tag of a file version: its generation, which every commit changes (attributes do not). */
export function versionEtag(generation: number): string {
  return `"g${generation}"`;
}

/** A header's value, trimmed; undefined when absent or blank. */
export function conditionHeader(headers: ConditionHeaders, name: string): string | undefined {
  const value = headers[name];
  const text = Array.isArray(value) ? value.join(', ') : value;
  return text === undefined || text.trim() === '' ? undefined : text.trim();
}

/** The entity tags of an If-Match / If-None-Match list ('*' stays '*'). */
export function parseEtagList(value: string): string[] {
  if (value === '*') return ['*'];
  return (value.match(/(W\/)?"[^"]*"/g) ?? []).map((tag) => tag.trim());
}

/** Strong entity-tag comparison (RFC 9110 §8.8.3.2): equal, and neither weak. */
export const strongMatch = (a: string, b: string) => !a.startsWith('W/') && !b.startsWith('W/') && a === b;

/** Weak entity-tag comparison (RFC 9110 §8.8.3.2): equal once any `W/` is dropped. */
export function etagsMatch(a: string, b: string): boolean {
  const opaque = (tag: string) => (tag.startsWith('W/') ? tag.slice(2) : tag);
  return opaque(a) === opaque(b);
}

/** True when an If-Match / If-None-Match list names `etag` (or is `*`). */
export function listMatches(list: string, etag: string, compare: (a: string, b: string) => boolean): boolean {
  return parseEtagList(list).some((tag) => tag === '*' || compare(tag, etag));
}

function date(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

// HTTP dates have whole seconds.
const seconds = (ms: number) => Math.floor(ms / 1000);

/**
 * False when If-Unmodified-Since names a time before `modified` (RFC 9110 §13.1.4: heeded only
 * without If-Match, and only when it is a date).
 */
export function unmodifiedSince(headers: ConditionHeaders, modified: number): boolean {
  if (conditionHeader(headers, 'if-match') !== undefined) return true;
  const since = date(conditionHeader(headers, 'if-unmodified-since'));
  return since === undefined || seconds(modified) <= seconds(since);
}

/**
 * A read's conditions (GET, HEAD): 'ok', 304 Not Modified or 412 Precondition Failed, in the
 * order of RFC 9110 §13.2.2.
 */
export function readCondition(headers: ConditionHeaders, current: Validators): 'ok' | 304 | 412 {
  const ifMatch = conditionHeader(headers, 'if-match');
  if (ifMatch !== undefined && !listMatches(ifMatch, current.etag, strongMatch)) return 412;
  if (!unmodifiedSince(headers, current.modified)) return 412;
  const ifNoneMatch = conditionHeader(headers, 'if-none-match');
  if (ifNoneMatch !== undefined) return listMatches(ifNoneMatch, current.etag, etagsMatch) ? 304 : 'ok';
  const modifiedSince = date(conditionHeader(headers, 'if-modified-since'));
  if (modifiedSince !== undefined && seconds(current.modified) <= seconds(modifiedSince)) return 304;
  return 'ok';
}

/**
 * True when a Range may be honoured: no If-Range, or one naming the current version by its
 * entity tag. A date never does (RFC 9110 §13.1.5): two versions committed within one second
 * share a Last-Modified, so a part of one could be joined to the start of the other.
 */
export function rangeApplies(headers: ConditionHeaders, current: Validators): boolean {
  const ifRange = conditionHeader(headers, 'if-range');
  return ifRange === undefined || strongMatch(ifRange, current.etag);
}
