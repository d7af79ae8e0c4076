// One page of an S3 object listing over dfs folder listings: prefixes, delimiters and markers.

import { compareUtf8 } from '../protocol/byte-order.js';
import { normalisePrefix } from '../protocol/paths.js';
import type { ListEntry } from '../protocol/types.js';
import { isDfs } from './dfs-errors.js';
import { afterToken, explicitFolder } from './folders.js';
import { etagOf, folderObjectInfo, storedChecksum } from './object-meta.js';
import { bucketState, noSuchBucket, type S3Request } from './request.js';
import type { ObjectEntry } from './xml-listing.js';

/** What a listing asks for, in S3's terms. */
export interface ListingQuery {
  bucket: string;
  /** The bucket's folder, `/bucket/`. */
  folder: string;
  prefix: string;
  /** '' for none. */
  delimiter: string;
  /** List keys after this one (a marker, start-after or continuation). */
  startAfter?: string;
  maxKeys: number;
}

/** One page of a listing. */
export interface ListingPage {
  contents: ObjectEntry[];
  commonPrefixes: string[];
  isTruncated: boolean;
  /** The last key or common prefix of the page: where the next page starts. */
  last?: string;
}

type Item = { kind: 'object'; key: string; entry: ListEntry } | { kind: 'prefix'; key: string };

// biome-ignore lint/suspicious/noControlCharactersInRegex: names with control characters cannot exist in dfs
const CONTROL = /[\u0000-\u001f\u007f]/;

// True when dfs can hold names below folder `folder` (`/bucket/a/b/`) as it is written.
function holdsNames(folder: string): boolean {
  try {
    return normalisePrefix(folder) === folder;
  } catch {
    return false;
  }
}

/**
 * The listing's items in key order. A `/` delimiter is dfs's own folder listing; with another
 * delimiter (or none) the folder is listed flat, explicit folders included as `name/` objects.
 */
async function* items(scope: Pick<S3Request, 'deps' | 'signal'>, q: ListingQuery): AsyncGenerator<Item> {
  const slash = q.prefix.lastIndexOf('/');
  const listFolder = `${q.folder}${q.prefix.slice(0, slash + 1)}`;
  const begins = q.prefix.slice(slash + 1);
  // A prefix dfs could not hold a name under matches nothing: no key has it (an empty listing,
  // as S3 answers, not an error).
  if (CONTROL.test(q.prefix) || !holdsNames(listFolder)) {
    if ((await bucketState(scope, q.folder)) !== 'exists') throw noSuchBucket(q.bucket);
    return;
  }
  const native = q.delimiter === '/';
  const start = `${listFolder}${begins}`;
  let after: string | undefined;
  if (q.startAfter !== undefined) {
    const from = `${q.folder}${q.startAfter}`;
    // (After the listed folder itself is its whole listing: as a token it would skip it all.)
    if (from.startsWith(start) && from !== listFolder) after = afterToken(from);
    else if (compareUtf8(from, start) > 0) return;
  }
  // The folder object a prefix like `photos/` names is listed first: dfs lists only what is below it.
  if (
    begins === '' &&
    q.prefix !== '' &&
    (q.startAfter === undefined || compareUtf8(q.startAfter, q.prefix) < 0)
  ) {
    const marker = await explicitFolder(scope, listFolder);
    if (marker) yield { kind: 'object', key: q.prefix, entry: marker };
  }
  const limit = native ? Math.min(q.maxKeys + 2, 1000) : 1000;
  const pages = scope.deps.sdk.pages(listFolder, {
    begins,
    delimiter: native,
    folders: !native,
    after,
    limit,
    signal: scope.signal,
  });
  try {
    for await (const page of pages) {
      for (const entry of page.entries) {
        const key = entry.path.slice(q.folder.length);
        yield native && entry.type === 'dir' ? { kind: 'prefix', key } : { kind: 'object', key, entry };
      }
    }
  } catch (err) {
    // The folder listed is gone (or a file): no keys below it, or no bucket at all.
    if (!isDfs(err, 'not_found') && !isDfs(err, 'conflict')) throw err;
    if (listFolder === q.folder || (await bucketState(scope, q.folder)) !== 'exists')
      throw noSuchBucket(q.bucket);
  }
}

/** An entry as a listing shows it: a file, or an explicit folder as an empty `name/` object. */
function objectEntry(key: string, entry: ListEntry): ObjectEntry {
  const { lastModified, etag, size, attributes } =
    entry.type === 'dir'
      ? { ...folderObjectInfo(entry), size: 0 }
      : {
          lastModified: new Date(entry.created),
          etag: etagOf(entry),
          size: entry.size,
          attributes: entry.attributes ?? {},
        };
  const checksum = storedChecksum(attributes);
  return {
    key,
    lastModified,
    etag,
    size,
    ...(checksum && { checksumAlgorithm: checksum.algorithm, checksumType: checksum.type }),
  };
}

/**
 * Whether `marker` (a start-after, marker or continuation) is a common prefix a listing by
 * `prefix` and `delimiter` rolls keys into: its first delimiter after the prefix ends it. Only
 * then does a page starting after it skip every key below it; a key that merely ends in the
 * delimiter (`log-`, listed by prefix `log-`) skips nothing.
 */
export function rolledUp(marker: string, prefix: string, delimiter: string): boolean {
  return (
    delimiter !== '' &&
    marker.endsWith(delimiter) &&
    marker.indexOf(delimiter, prefix.length) === marker.length - delimiter.length
  );
}

/**
 * One page of at most `maxKeys` keys and common prefixes after `startAfter`. Keys sharing a
 * common prefix are contiguous in key order, so rolling them up needs only the last prefix; a
 * start that is itself a common prefix skips everything below it, as S3 does.
 */
export async function listPage(
  scope: Pick<S3Request, 'deps' | 'signal'>,
  q: ListingQuery,
): Promise<ListingPage> {
  const page: ListingPage = { contents: [], commonPrefixes: [], isTruncated: false };
  if (q.maxKeys === 0) {
    if ((await bucketState(scope, q.folder)) !== 'exists') throw noSuchBucket(q.bucket);
    return page;
  }
  const rollUp = q.delimiter !== '' && q.delimiter !== '/';
  let skip =
    rollUp && q.startAfter !== undefined && rolledUp(q.startAfter, q.prefix, q.delimiter)
      ? q.startAfter
      : undefined;
  let count = 0;
  for await (const item of items(scope, q)) {
    let next: Item = item;
    if (rollUp && item.kind === 'object') {
      if (skip !== undefined && item.key.startsWith(skip)) continue;
      const at = item.key.indexOf(q.delimiter, q.prefix.length);
      if (at >= 0) {
        next = { kind: 'prefix', key: item.key.slice(0, at + q.delimiter.length) };
        skip = next.key;
      }
    }
    if (count === q.maxKeys) {
      page.isTruncated = true;
      break;
    }
    if (next.kind === 'prefix') page.commonPrefixes.push(next.key);
    else page.contents.push(objectEntry(next.key, next.entry));
    page.last = next.key;
    count++;
  }
  return page;
}
