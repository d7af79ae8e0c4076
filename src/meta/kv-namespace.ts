// The namespace over an ordered key-value engine: one `entries` table in which a file's key is
// its path and an explicit folder's key is its path with a trailing `/`, so a range scan yields
// files and folders merged in byte order and a folder's contents are one key range.

import { DfsError } from '../protocol/errors.js';
import { prefixEnd, type Txn } from './engine.js';
import { dropRefs, leaseOf, rememberCommit, takeChunks } from './kv-chunks.js';
import {
  ancestorFolders,
  checkMoveTarget,
  committedOtherError,
  expiredError,
  fileOfIntent,
  folderKey,
  movedPath,
  notOpenError,
  parentIsFileError,
  preconditionError,
  versionDigest,
} from './rules.js';
import type { AttributeChange } from './store.js';
import type {
  CommitIntent,
  CommitResult,
  FileRecord,
  FileSummary,
  FolderRecord,
  ListEntry,
  ListPage,
  ListQuery,
  Totals,
} from './types.js';

/** What an explicit folder's row holds. */
interface FolderRow {
  created: number;
  attributes: Record<string, string>;
}

// The smallest key after `key` (paths hold no control characters, so nothing sorts between).
const after = (key: string) => `${key}\u0001`;

/** The file at `path`. */
export function getFile(txn: Txn, path: string): FileRecord | undefined {
  return txn.get<FileRecord>('entries', path);
}

/** The folder at `prefix` (ending in `/`): explicit, implied by something below it, or undefined. */
export function getFolder(txn: Txn, prefix: string): FolderRecord | undefined {
  if (prefix === '/') return { path: '/', explicit: true, created: 0, attributes: {} };
  const row = txn.get<FolderRow>('entries', prefix);
  if (row) return { path: prefix, explicit: true, ...folderFields(row) };
  for (const _ of txn.range('entries', { start: prefix, end: prefixEnd(prefix), limit: 1 }))
    return { path: prefix, explicit: false, created: 0, attributes: {} };
  return undefined;
}

function summary(file: FileRecord, withChunks: boolean | undefined): FileSummary {
  const { chunks, ...rest } = file;
  return withChunks ? { ...rest, chunkCount: chunks.length, chunks } : { ...rest, chunkCount: chunks.length };
}

function firstFrom(txn: Txn, start: string, end: string): { key: string; value: unknown } | undefined {
  for (const row of txn.range<unknown>('entries', { start, end, limit: 1 })) return row;
  return undefined;
}

// The rows from `start` on, below `end`, read by one cursor.
function scan(txn: Txn, start: string, end: string): Iterator<{ key: string; value: unknown }> {
  return txn.range<unknown>('entries', { start, end })[Symbol.iterator]();
}

/** A page of a listing (see MetaStore.list). */
export function list(txn: Txn, q: ListQuery): ListPage {
  const end = prefixEnd(q.prefix);
  const entries: ListEntry[] = [];
  let last = '';
  // One scan, opened again only to jump over a folder's subtree (a delimited listing).
  let rows = scan(
    txn,
    q.after ? (q.delimiter && q.after.endsWith('/') ? prefixEnd(q.after) : after(q.after)) : q.prefix,
    end,
  );
  try {
    for (;;) {
      const next = rows.next();
      if (next.done) return { entries };
      const row = next.value;
      const rest = row.key.slice(q.prefix.length);
      if (rest === '' && row.key.endsWith('/')) continue; // the prefix's own folder row is not below it
      // A folder row a files-only listing skips is no entry: it ends no page.
      if (!q.delimiter && q.filesOnly && row.key.endsWith('/')) continue;
      if (entries.length === q.limit) return { entries, next: last };
      const slash = rest.indexOf('/');
      let key = row.key;
      if (!row.key.endsWith('/') && (!q.delimiter || slash === -1)) {
        entries.push({ kind: 'file', file: summary(row.value as FileRecord, q.withChunks) });
      } else if (!q.delimiter || slash === rest.length - 1) {
        const folder = row.value as FolderRow;
        entries.push({ kind: 'folder', folder: { path: key, explicit: true, ...folderFields(folder) } });
      } else {
        // Deeper than one level: the folder is implied (an explicit one would have sorted first).
        key = `${q.prefix}${rest.slice(0, slash + 1)}`;
        entries.push({ kind: 'folder', folder: { path: key, explicit: false, created: 0, attributes: {} } });
      }
      last = key;
      if (q.delimiter && key.endsWith('/')) {
        rows.return?.();
        rows = scan(txn, prefixEnd(key), end);
      }
    }
  } finally {
    rows.return?.();
  }
}

function folderFields(row: FolderRow): { created: number; attributes: Record<string, string> } {
  return { created: row.created, attributes: row.attributes ?? {} };
}

// A file cannot live below another file.
function checkParents(txn: Txn, path: string): void {
  for (const folder of ancestorFolders(path).slice(1)) {
    const parent = folder.slice(0, -1);
    if (txn.get('entries', parent)) throw parentIsFileError(parent);
  }
}

// A folder, explicit or implied: its own row sorts first among the keys it prefixes.
function isFolder(txn: Txn, path: string): boolean {
  const prefix = folderKey(path);
  return firstFrom(txn, prefix, prefixEnd(prefix)) !== undefined;
}

function nextGeneration(txn: Txn): number {
  const generation = (txn.get<number>('state', 'generation') ?? 0) + 1;
  txn.put('state', 'generation', generation);
  return generation;
}

/** File count and logical bytes. */
export function totals(txn: Txn): Totals {
  return txn.get<Totals>('state', 'totals') ?? { files: 0, logicalBytes: 0 };
}

function count(txn: Txn, files: number, bytes: number): void {
  const t = totals(txn);
  txn.put('state', 'totals', { files: t.files + files, logicalBytes: t.logicalBytes + bytes });
}

/** Makes a file visible (see MetaStore.commit). */
export function commit(txn: Txn, intent: CommitIntent, now: number): CommitResult {
  const { path } = intent;
  const lease = intent.uploadId ? leaseOf(txn, intent.uploadId) : undefined;
  const current = getFile(txn, path);
  // A commit sent again (its answer was lost): the upload is the current version, or made one
  // that another commit has replaced since.
  if (intent.uploadId && current?.uploadId === intent.uploadId) {
    if (versionDigest(current) !== versionDigest(intent)) throw committedOtherError(intent.uploadId, path);
    return { file: current, replayed: true };
  }
  if (intent.uploadId && lease?.committed) {
    const made = lease.committed;
    if (made.path !== path || made.digest !== versionDigest(intent))
      throw committedOtherError(intent.uploadId, made.path);
    return { file: fileOfIntent(intent, made.generation, made.created), replayed: true };
  }
  if (lease && lease.state !== 'open') throw expiredError();
  if (intent.uploadId && !lease) throw notOpenError(intent.uploadId);
  if (intent.ifGeneration !== undefined && (current?.generation ?? 0) !== intent.ifGeneration)
    throw preconditionError(path);
  if (intent.ifNotGeneration !== undefined && (current?.generation ?? 0) === intent.ifNotGeneration)
    throw preconditionError(path);
  checkParents(txn, path);
  if (isFolder(txn, path)) throw new DfsError('conflict', `${path} is a folder`);
  const taken = takeChunks(txn, intent.chunks, lease);
  const file = fileOfIntent(intent, nextGeneration(txn), now);
  if (current) dropRefs(txn, current.chunks, now);
  txn.put('entries', path, file);
  if (intent.uploadId) rememberCommit(txn, intent.uploadId, lease, file, now, taken);
  count(txn, current ? 0 : 1, file.size - (current?.size ?? 0));
  return { file, previous: current, replayed: false };
}

/** Removes a file (see MetaStore.remove). */
export function remove(txn: Txn, path: string, ifGeneration: number | undefined, now: number): FileRecord {
  const file = getFile(txn, path);
  if (!file) {
    if (getFolder(txn, folderKey(path))) throw new DfsError('conflict', `${path} is a folder, not a file`);
    throw new DfsError('not_found', `not found: ${path}`);
  }
  if (ifGeneration !== undefined && file.generation !== ifGeneration) throw preconditionError(path);
  dropRefs(txn, file.chunks, now);
  txn.del('entries', path);
  count(txn, -1, -file.size);
  return file;
}

/** Removes a folder and everything below it; returns the files removed. */
export function removeTree(txn: Txn, prefix: string, now: number): number {
  const rows = [...txn.range<FileRecord | FolderRow>('entries', { start: prefix, end: prefixEnd(prefix) })];
  if (rows.length === 0) throw new DfsError('not_found', `not found: ${prefix}`);
  let files = 0;
  let bytes = 0;
  for (const { key, value } of rows) {
    if (!key.endsWith('/')) {
      const file = value as FileRecord;
      dropRefs(txn, file.chunks, now);
      files++;
      bytes += file.size;
    }
    txn.del('entries', key);
  }
  count(txn, -files, -bytes);
  return files;
}

/** Creates a folder and, unless `impliedParents`, its ancestors (see MetaStore.mkdir). */
export function mkdir(txn: Txn, prefix: string, now: number, impliedParents: boolean): FolderRecord {
  const path = prefix.slice(0, -1);
  checkParents(txn, path);
  if (getFile(txn, path)) throw new DfsError('conflict', `${path} is a file`);
  for (const folder of impliedParents ? [prefix] : [...ancestorFolders(path).slice(1), prefix]) {
    if (!txn.get('entries', folder)) txn.put<FolderRow>('entries', folder, { created: now, attributes: {} });
  }
  return getFolder(txn, prefix) as FolderRecord;
}

/** Removes an empty explicit folder, or with `keepContents` only its own entry (see MetaStore.rmdir). */
export function rmdir(txn: Txn, prefix: string, keepContents: boolean): void {
  const below = !keepContents && firstFrom(txn, after(prefix), prefixEnd(prefix));
  if (!txn.get('entries', prefix)) {
    if (below) throw new DfsError('conflict', `${prefix} is not empty`);
    throw new DfsError('not_found', `not found: ${prefix}`);
  }
  if (below) throw new DfsError('conflict', `${prefix} is not empty`);
  txn.del('entries', prefix);
}

/** Renames a file or a whole folder (see MetaStore.move). */
export function move(txn: Txn, from: string, to: string, overwrite: boolean, now: number): { moved: number } {
  if (from === to) return { moved: 0 };
  checkMoveTarget(from, to);
  checkParents(txn, to);
  const file = getFile(txn, from);
  if (file) {
    if (isFolder(txn, to)) throw new DfsError('conflict', `${to} is a folder`);
    const existing = getFile(txn, to);
    if (existing && !overwrite) throw new DfsError('conflict', `${to} already exists`);
    if (existing) {
      dropRefs(txn, existing.chunks, now);
      count(txn, -1, -existing.size);
    }
    txn.put('entries', to, { ...file, path: to });
    txn.del('entries', from);
    return { moved: 1 };
  }
  const source = folderKey(from);
  const rows = [...txn.range<FileRecord | FolderRow>('entries', { start: source, end: prefixEnd(source) })];
  if (rows.length === 0) throw new DfsError('not_found', `not found: ${from}`);
  if (getFile(txn, to) || isFolder(txn, to)) throw new DfsError('conflict', `${to} already exists`);
  const target = folderKey(to);
  let moved = 0;
  for (const { key, value } of rows) {
    const next = movedPath(key, source, target);
    if (key.endsWith('/')) txn.put('entries', next, value);
    else {
      txn.put('entries', next, { ...(value as FileRecord), path: next });
      moved++;
    }
    txn.del('entries', key);
  }
  return { moved };
}

/** Changes the attributes of a file or an explicit folder (an implied one becomes explicit). */
export function setAttributes(txn: Txn, path: string, change: AttributeChange, now: number): void {
  const apply = (attributes: Record<string, string>) => {
    const next = { ...attributes, ...change.set };
    for (const name of change.remove) delete next[name];
    return next;
  };
  if (path.endsWith('/')) {
    const folder = getFolder(txn, path);
    if (!folder) throw new DfsError('not_found', `not found: ${path}`);
    txn.put<FolderRow>('entries', path, {
      created: folder.created || now,
      attributes: apply(folder.attributes),
    });
    return;
  }
  const file = getFile(txn, path);
  if (!file) throw new DfsError('not_found', `not found: ${path}`);
  txn.put('entries', path, { ...file, attributes: apply(file.attributes) });
}
