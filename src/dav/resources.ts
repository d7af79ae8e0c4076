// What a DAV path names in the cluster — a file, a folder or nothing — found with one listing of
// its parent, and the live-property view of listing entries.

import { type ConditionHeaders, versionEtag } from '../http/conditional.js';
import { compareUtf8 } from '../protocol/byte-order.js';
import { DfsError } from '../protocol/errors.js';
import { fileEntry } from '../protocol/list-entry.js';
import type { FileInfo, ListEntry } from '../protocol/types.js';
import type { DfsClient } from '../sdk/client.js';
import { type Current, folderCondition, writeCondition } from './conditional.js';
import { lastSegment, parentPath, ROOT_PATH } from './paths.js';
import type { DavResource } from './props.js';

/** A DAV path as the cluster has it. */
export type Resolved =
  /** `info` is the file's manifest when its stat found it (the common case; not by a listing). */
  | { kind: 'file'; path: string; entry: ListEntry; info?: FileInfo }
  /** `entry` is the parent's listing row of the folder (the root has none). */
  | { kind: 'folder'; path: string; entry?: ListEntry }
  /** Nothing there; `parent` says whether a file could be created (PUT, MKCOL need a folder). */
  | { kind: 'missing'; path: string; parent: 'folder' | 'missing' | 'file' };

/** The part of the SDK resolving needs. */
export type Lister = Pick<DfsClient, 'list' | 'stat'>;

// Names that start with the wanted one sort between it and its folder row (`a b`, `a.txt`, `a-1`
// come before `a/`): one page usually holds them all.
const PAGE = 100;

/**
 * Finds what `path` is: a file by its manifest (one round trip, the common case), else a folder
 * by a listing of its parent limited to names that begin with its own — the folder row (`name/`)
 * sorts after any longer names below `/` in byte order. (A listing would find the file too, but
 * the master leaves out a file whose path equals the listed prefix.)
 */
export async function resolvePath(sdk: Lister, path: string, signal?: AbortSignal): Promise<Resolved> {
  const parent = parentPath(path);
  if (parent === undefined) return { kind: 'folder', path };
  try {
    const info = await sdk.stat(path, { signal });
    return { kind: 'file', path, entry: fileEntry(info), info };
  } catch (err) {
    if (!(err instanceof DfsError && err.code === 'not_found')) throw err;
  }
  const name = lastSegment(path);
  const folderKey = `${path}/`;
  let after: string | undefined;
  do {
    let page: Awaited<ReturnType<Lister['list']>>;
    try {
      page = await sdk.list(parent === ROOT_PATH ? '/' : `${parent}/`, {
        begins: name,
        delimiter: true,
        limit: PAGE,
        after,
        signal,
      });
    } catch (err) {
      if (err instanceof DfsError && err.code === 'not_found')
        return { kind: 'missing', path, parent: 'missing' };
      // The parent is a file: nothing can be below it.
      if (err instanceof DfsError && err.code === 'conflict')
        return { kind: 'missing', path, parent: 'file' };
      throw err;
    }
    for (const entry of page.entries) {
      if (entry.type === 'file' && entry.path === path) return { kind: 'file', path, entry };
      if (entry.type === 'dir' && entry.path === folderKey) return { kind: 'folder', path, entry };
      if (compareUtf8(entry.path, folderKey) > 0) {
        return { kind: 'missing', path, parent: 'folder' };
      }
    }
    after = page.next;
  } while (after);
  return { kind: 'missing', path, parent: 'folder' };
}

/** A file version's entity tag (see versionEtag); undefined for a folder row, which has no generation. */
export function etagOf(generation: number | undefined): string | undefined {
  return generation === undefined ? undefined : versionEtag(generation);
}

/** A file's version as conditional requests judge it: its ETag, generation and commit time. */
export function currentOf(file: Pick<ListEntry, 'generation' | 'created'>): Current {
  // Every file has a generation (only folder rows lack one).
  const generation = file.generation as number;
  return { etag: versionEtag(generation), generation, modified: file.created };
}

/**
 * A request's If-Match / If-None-Match / If-Unmodified-Since checked against the resource it acts on (a MOVE's or
 * COPY's source, a PROPPATCH's or DELETE's target): 412 when they fail.
 */
export function checkConditions(headers: ConditionHeaders, found: Resolved): void {
  if (found.kind === 'file') writeCondition(headers, currentOf(found.entry));
  else if (found.kind === 'folder') folderCondition(headers, found.entry?.created);
}

/** The live-property view of a listing entry (a file, or a folder row whose path ends in `/`). */
export function entryResource(entry: ListEntry): DavResource {
  if (entry.type === 'dir') {
    const path = entry.path.slice(0, -1);
    // An implied folder (only files below it) has no creation time.
    return entry.created > 0
      ? { path, collection: true, created: entry.created, modified: entry.created }
      : { path, collection: true };
  }
  return {
    path: entry.path,
    collection: false,
    size: entry.size,
    contentType: entry.contentType,
    etag: etagOf(entry.generation),
    modified: entry.created,
    created: entry.created,
  };
}

/** The live-property view of a resolved path that exists. */
export function resolvedResource(resolved: Resolved): DavResource | undefined {
  if (resolved.kind === 'missing') return undefined;
  if (resolved.entry) return entryResource(resolved.entry);
  return { path: resolved.path, collection: true };
}
