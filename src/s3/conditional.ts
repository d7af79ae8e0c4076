// Conditional requests as S3 evaluates them: If-Match, If-None-Match, If-(Un)Modified-Since, copy-source variants.

import { S3Error } from './errors.js';
import { type HeaderMap, headerValue } from './headers.js';
import { findObject } from './objects.js';
import type { S3Request } from './request.js';
import { quoteEtag } from './xml-writer.js';

/** The current version of an object, as conditions see it. */
export interface ObjectVersion {
  /** Quoted or not. */
  etag: string;
  lastModified: Date;
}

/** What a request's conditions decide. */
export type ConditionOutcome = 'proceed' | 'not-modified' | 'precondition-failed' | 'no-such-key';

interface EntityTag {
  weak: boolean;
  value: string;
}

/** Parses an If-Match / If-None-Match value: `*`, or a list of tags, quoted or not, weak or not. */
export function parseEtagList(header: string): { any: boolean; tags: EntityTag[] } {
  const tags: EntityTag[] = [];
  let any = false;
  let i = 0;
  while (i < header.length) {
    const c = header[i] as string;
    if (c === ',' || c === ' ' || c === '\t') {
      i++;
    } else if (c === '*') {
      any = true;
      i++;
    } else {
      const weak = header.startsWith('W/"', i);
      const start = weak ? i + 3 : c === '"' ? i + 1 : i;
      const quoted = weak || c === '"';
      const end = quoted ? header.indexOf('"', start) : header.indexOf(',', start);
      const stop = end < 0 ? header.length : end;
      tags.push({ weak, value: header.slice(start, stop).trim() });
      i = quoted && end >= 0 ? end + 1 : stop;
    }
  }
  return { any, tags };
}

function bareEtag(etag: string): string {
  const e = etag.startsWith('W/') ? etag.slice(2) : etag;
  return e.length >= 2 && e.startsWith('"') && e.endsWith('"') ? e.slice(1, -1) : e;
}

/** If-Match semantics: strong comparison (a weak tag never matches). */
function matchesStrong(header: string, etag: string): boolean {
  const { any, tags } = parseEtagList(header);
  return any || tags.some((t) => !t.weak && t.value === bareEtag(etag));
}

/** If-None-Match semantics: weak comparison. */
function matchesWeak(header: string, etag: string): boolean {
  const { any, tags } = parseEtagList(header);
  return any || tags.some((t) => t.value === bareEtag(etag));
}

/** An HTTP date in whole seconds, or undefined when the header is absent or not a date. */
function httpDate(headers: HeaderMap, name: string): number | undefined {
  const value = headerValue(headers, name);
  if (value === undefined) return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : Math.floor(time / 1000);
}

function seconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

/**
 * RFC 7232's order, which S3 follows: If-Match (else If-Unmodified-Since) can fail with 412;
 * then If-None-Match (else If-Modified-Since) gives `notModified`. A true If-Match makes
 * If-Unmodified-Since irrelevant; a present If-None-Match makes If-Modified-Since irrelevant.
 */
function evaluate(
  headers: HeaderMap,
  prefix: string,
  object: ObjectVersion,
  notModified: ConditionOutcome,
): ConditionOutcome {
  const ifMatch = headerValue(headers, `${prefix}if-match`);
  if (ifMatch !== undefined) {
    if (!matchesStrong(ifMatch, object.etag)) return 'precondition-failed';
  } else {
    const since = httpDate(headers, `${prefix}if-unmodified-since`);
    if (since !== undefined && seconds(object.lastModified) > since) {
      return 'precondition-failed';
    }
  }
  const ifNoneMatch = headerValue(headers, `${prefix}if-none-match`);
  if (ifNoneMatch !== undefined) {
    if (matchesWeak(ifNoneMatch, object.etag)) return notModified;
  } else {
    const since = httpDate(headers, `${prefix}if-modified-since`);
    if (since !== undefined && seconds(object.lastModified) <= since) {
      return notModified;
    }
  }
  return 'proceed';
}

/** GET/HEAD: 412 or 304 from the object's conditions; `proceed` when there is no object. */
export function readConditions(headers: HeaderMap, object: ObjectVersion | undefined): ConditionOutcome {
  return object ? evaluate(headers, '', object, 'not-modified') : 'proceed';
}

/**
 * PUT, CompleteMultipartUpload, DELETE and a copy's destination: `If-None-Match: *` fails when the
 * object exists; If-Match fails on another ETag, and answers NoSuchKey when there is no object.
 * NotImplemented for an If-None-Match other than `*`, as S3 answers.
 */
export function writeConditions(headers: HeaderMap, object: ObjectVersion | undefined): ConditionOutcome {
  const ifNoneMatch = headerValue(headers, 'if-none-match');
  if (ifNoneMatch !== undefined && ifNoneMatch.trim() !== '*') {
    throw new S3Error('NotImplemented', 'If-None-Match on a write is implemented only for "*"');
  }
  const ifMatch = headerValue(headers, 'if-match');
  if (ifMatch !== undefined) {
    if (!object) return 'no-such-key';
    if (!matchesStrong(ifMatch, object.etag)) return 'precondition-failed';
  }
  if (ifNoneMatch !== undefined && object) return 'precondition-failed';
  return 'proceed';
}

/** The `x-amz-copy-source-if-*` conditions on a copy's source: every failure is a 412. */
export function copySourceConditions(headers: HeaderMap, source: ObjectVersion): ConditionOutcome {
  return evaluate(headers, 'x-amz-copy-source-', source, 'precondition-failed');
}

/** Throws what S3 answers for an outcome: 304 (with ETag and Last-Modified), 412 or NoSuchKey. */
export function enforceOutcome(outcome: ConditionOutcome, object: ObjectVersion | undefined): void {
  if (outcome === 'not-modified') {
    throw new S3Error('NotModified', undefined, {
      headers: object
        ? { ETag: quoteEtag(object.etag), 'Last-Modified': object.lastModified.toUTCString() }
        : {},
    });
  }
  if (outcome === 'precondition-failed') throw new S3Error('PreconditionFailed');
  if (outcome === 'no-such-key') throw new S3Error('NoSuchKey');
}

/**
 * The generation a conditional write must find: `If-None-Match: *` is "no object yet" (0);
 * `If-Match` is checked against the current object and pins its generation. Undefined when the
 * request has no condition.
 */
export async function writeGeneration(request: S3Request, path: string): Promise<number | undefined> {
  const { headers } = request;
  const ifMatch = headerValue(headers, 'if-match');
  const ifNoneMatch = headerValue(headers, 'if-none-match');
  if (ifMatch === undefined && ifNoneMatch === undefined) return undefined;
  if (ifMatch === undefined) {
    enforceOutcome(writeConditions(headers, undefined), undefined);
    return 0;
  }
  return ifMatchGeneration(request, path, headers);
}

/**
 * A write or delete with If-Match: the conditions checked against the current object at `path`
 * (NoSuchKey when there is none), and its generation, which the change must still find.
 */
export async function ifMatchGeneration(
  scope: Pick<S3Request, 'deps' | 'signal'>,
  path: string,
  headers: HeaderMap,
): Promise<number> {
  const current = (await findObject(scope, path))?.object;
  enforceOutcome(writeConditions(headers, current), current);
  return current?.generation ?? 0;
}
