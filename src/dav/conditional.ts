// HTTP conditional requests on /dav/: reads use the shared rules (http/conditional.ts) against a
// file's generation ETag; a write pins the version it checked, so the check and the commit are
// one atomic step in the metadata store.

import {
  type ConditionHeaders,
  conditionHeader,
  etagsMatch,
  listMatches,
  strongMatch,
  unmodifiedSince,
  type Validators,
} from '../http/conditional.js';
import { DavError } from './errors.js';

/** The state of the addressed file: undefined when there is none. */
export interface Current extends Validators {
  generation: number;
}

/**
 * A write's conditions (PUT, DELETE, MOVE, PROPPATCH): throws 412 when If-Match, If-None-Match or
 * If-Unmodified-Since fails against the current file; when one is present, returns the
 * generation the commit must find (0: no file), so a version committed in between fails the
 * commit instead of being overwritten.
 */
export function writeCondition(headers: ConditionHeaders, current: Current | undefined): number | undefined {
  const ifMatch = conditionHeader(headers, 'if-match');
  const ifNoneMatch = conditionHeader(headers, 'if-none-match');
  const since = current && conditionHeader(headers, 'if-unmodified-since') !== undefined;
  if (current && !unmodifiedSince(headers, current.modified))
    throw new DavError(412, 'the file was modified after If-Unmodified-Since');
  if (ifMatch === undefined && ifNoneMatch === undefined && !since) return undefined;
  if (ifMatch !== undefined && (!current || !listMatches(ifMatch, current.etag, strongMatch))) {
    throw new DavError(412, 'If-Match does not name the current version');
  }
  if (ifNoneMatch !== undefined && current && listMatches(ifNoneMatch, current.etag, etagsMatch)) {
    throw new DavError(412, 'If-None-Match names the current version');
  }
  return current?.generation ?? 0;
}

/**
 * A write's conditions on a folder, which has no entity tag (RFC 9110 §13.1.1): If-Match holds
 * only as `*`, and `If-None-Match: *` fails because the folder exists; If-Unmodified-Since is
 * judged by the folder's creation, its getlastmodified (an implied folder has none, and ignores
 * it, §13.1.4). 412 when they fail.
 */
export function folderCondition(headers: ConditionHeaders, created: number | undefined): void {
  const ifMatch = conditionHeader(headers, 'if-match');
  if (ifMatch !== undefined && ifMatch !== '*')
    throw new DavError(412, 'If-Match names a version, and a folder has none');
  if (conditionHeader(headers, 'if-none-match') === '*')
    throw new DavError(412, 'If-None-Match is * and the folder exists');
  if (created && !unmodifiedSince(headers, created))
    throw new DavError(412, 'the folder was created after If-Unmodified-Since');
}
