// The namespace methods of the PostgreSQL metadata store (commit is in postgres-commits.ts): each
// one statement (a plain query or a call of a function from postgres-sql-namespace.ts), so one
// round trip per method.

import { DfsError } from '../protocol/errors.js';
import { MAX_PATH_BYTES } from '../protocol/paths.js';
import { parentsOf } from './postgres-commits.js';
import type { PgDb } from './postgres-db.js';
import { type EntryRow, fileOf, folderOf, impliedFolder, summaryOf } from './postgres-rows.js';
import { COMMIT_REPLAY_WINDOW, callOf, checkMoveTarget } from './rules.js';
import type { AttributeChange } from './store.js';
import type { FileRecord, FolderRecord, ListEntry, ListPage, ListQuery, Totals } from './types.js';

const ROOT: FolderRecord = { path: '/', explicit: true, created: 0, attributes: {} };

const FILE = `SELECT * FROM dfs_entries e WHERE e.path = $1 AND right(e.path, 1) <> '/'`;

/** The file at `path`. */
export async function getFile(db: PgDb, path: string): Promise<FileRecord | undefined> {
  const [row] = await db.query<EntryRow>({ name: 'dfs_get_file', text: FILE, values: [path] });
  return row && fileOf(row);
}

// The explicit folder row, else (implied) whether anything lies below.
const FOLDER = `
  SELECT e.path, e.created, e.attributes, true AS explicit FROM dfs_entries e WHERE e.path = $1
  UNION ALL
  SELECT $1, 0, '{}'::jsonb, false FROM (
    SELECT 1 FROM dfs_entries e WHERE e.path > $1 AND e.path < $1 || chr(1114111) LIMIT 1) below
  LIMIT 1`;

/** The folder at `prefix`, explicit or implied. */
export async function getFolder(db: PgDb, prefix: string): Promise<FolderRecord | undefined> {
  if (prefix === '/') return ROOT;
  const [row] = await db.query<Pick<EntryRow, 'path' | 'created' | 'attributes'> & { explicit: boolean }>({
    name: 'dfs_get_folder',
    text: FOLDER,
    values: [prefix],
  });
  if (!row) return undefined;
  return row.explicit ? folderOf(row) : impliedFolder(prefix);
}

// Columns of a listing row; chunk lists only when asked for ($4), so huge manifests stay unread.
const LIST_COLUMNS = `e.size, e.sha256, e.generation, e.created, e.upload_id, e.content_type, e.metadata,
  e.attributes, e.chunk_count, CASE WHEN $4 THEN e.chunk_ids END AS chunk_ids,
  CASE WHEN $4 THEN e.chunk_sizes END AS chunk_sizes`;

const LIST_CHILDREN = `
  SELECT l.key AS path, l.kind, ${LIST_COLUMNS}
    FROM dfs_list_children($1, $2, $3) WITH ORDINALITY AS l(key, kind, n)
    LEFT JOIN dfs_entries e ON l.kind <> 'i' AND e.path = l.key
    ORDER BY l.n`;

const LIST_ALL = `
  SELECT e.path, CASE WHEN right(e.path, 1) = '/' THEN 'd' ELSE 'f' END AS kind, ${LIST_COLUMNS}
    FROM dfs_entries e
    WHERE e.path >= $1 AND e.path < $2 || chr(1114111) AND NOT (e.path = $2 AND right(e.path, 1) = '/')
      AND NOT ($5 AND right(e.path, 1) = '/')
    ORDER BY e.path LIMIT $3`;

/** A page of a listing (see MetaStore.list). */
export async function list(db: PgDb, q: ListQuery): Promise<ListPage> {
  const withChunks = q.withChunks === true;
  const rows = q.delimiter
    ? await db.query<EntryRow & { kind: string }>({
        name: 'dfs_list_children',
        text: LIST_CHILDREN,
        values: [q.prefix, q.after ?? null, q.limit, withChunks],
      })
    : await db.query<EntryRow & { kind: string }>({
        name: 'dfs_list_all',
        text: LIST_ALL,
        // The smallest key after `after` (paths hold no control characters).
        values: [
          q.after === undefined ? q.prefix : `${q.after}\u0001`,
          q.prefix,
          q.limit + 1,
          withChunks,
          q.filesOnly === true,
        ],
      });
  const entries: ListEntry[] = rows.slice(0, q.limit).map((row) => {
    if (row.kind === 'f') return { kind: 'file', file: summaryOf(row) };
    return { kind: 'folder', folder: row.kind === 'd' ? folderOf(row) : impliedFolder(row.path) };
  });
  const last = rows[q.limit - 1];
  return rows.length > q.limit && last ? { entries, next: last.path } : { entries };
}

// A resendable call's id, what it is, and when its answer is forgotten (the `_once` functions' first arguments).
const claim = (op: string, now: number, ...what: unknown[]) => [
  op,
  callOf(...what),
  now + COMMIT_REPLAY_WINDOW,
];

/** Removes a file; with `op`, a resendable call. */
export async function remove(
  db: PgDb,
  path: string,
  ifGeneration: number | undefined,
  now: number,
  op?: string,
) {
  const values = [path, ifGeneration ?? null, now];
  const [row] = await db.query<EntryRow>(
    op === undefined
      ? { name: 'dfs_remove', text: 'SELECT * FROM dfs_remove($1, $2, $3)', values }
      : {
          name: 'dfs_remove_once',
          text: 'SELECT * FROM dfs_remove_once($1, $2, $3, $4, $5, $6)',
          values: [...claim(op, now, 'remove', path, ifGeneration), ...values],
        },
  );
  if (!row) throw notFound(path);
  return fileOf(row);
}

/** Removes a folder and everything below it; the files removed. With `op`, a resendable call. */
export async function removeTree(db: PgDb, prefix: string, now: number, op?: string): Promise<number> {
  const [row] = await db.query<{ files: number }>(
    op === undefined
      ? { name: 'dfs_remove_tree', text: 'SELECT dfs_remove_tree($1, $2) AS files', values: [prefix, now] }
      : {
          name: 'dfs_remove_tree_once',
          text: 'SELECT dfs_remove_tree_once($1, $2, $3, $4, $5) AS files',
          values: [...claim(op, now, 'removeTree', prefix), prefix, now],
        },
  );
  return row?.files ?? 0;
}

/** Creates a folder and, unless `impliedParents`, its ancestors (see MetaStore.mkdir). */
export async function mkdir(
  db: PgDb,
  prefix: string,
  now: number,
  impliedParents: boolean,
): Promise<FolderRecord> {
  const fn = impliedParents ? 'dfs_mkdir_leaf' : 'dfs_mkdir';
  const [row] = await db.query<EntryRow>({
    name: fn,
    text: `SELECT * FROM ${fn}($1, $2, $3)`,
    values: [prefix, parentsOf(prefix.slice(0, -1)), now],
  });
  return prefix === '/' || !row ? ROOT : folderOf(row);
}

/**
 * Removes an empty explicit folder, or with `keepContents` only its own entry (see
 * MetaStore.rmdir). With `op`, a resendable call.
 */
export async function rmdir(db: PgDb, prefix: string, keepContents: boolean, now: number, op?: string) {
  if (op !== undefined) {
    await db.query({
      name: 'dfs_rmdir_once',
      text: 'SELECT dfs_rmdir_once($1, $2, $3, $4, $5)',
      values: [...claim(op, now, 'rmdir', prefix, keepContents), prefix, keepContents],
    });
    return;
  }
  if (!keepContents) {
    await db.query({ name: 'dfs_rmdir', text: 'SELECT dfs_rmdir($1)', values: [prefix] });
    return;
  }
  const dropped = await db.query({
    name: 'dfs_drop_folder_entry',
    text: 'DELETE FROM dfs_entries e WHERE e.path = $1 RETURNING e.path',
    values: [prefix],
  });
  if (dropped.length === 0) throw new DfsError('not_found', `not found: ${prefix}`);
}

/** Renames a file or a whole folder; with `op`, a resendable call. */
export async function move(db: PgDb, from: string, to: string, overwrite: boolean, now: number, op?: string) {
  if (from === to) return { moved: 0 };
  checkMoveTarget(from, to);
  const values = [from, to, overwrite, parentsOf(to), MAX_PATH_BYTES, now];
  const [row] = await db.query<{ moved: number }>(
    op === undefined
      ? { name: 'dfs_move', text: 'SELECT dfs_move($1, $2, $3, $4, $5, $6) AS moved', values }
      : {
          name: 'dfs_move_once',
          text: 'SELECT dfs_move_once($1, $2, $3, $4, $5, $6, $7, $8, $9) AS moved',
          values: [...claim(op, now, 'move', from, to, overwrite), ...values],
        },
  );
  return { moved: row?.moved ?? 0 };
}

const FILE_ATTRIBUTES = `
  UPDATE dfs_entries e SET attributes = (e.attributes || $2::jsonb) - $3::text[]
    WHERE e.path = $1 AND right(e.path, 1) <> '/' RETURNING e.path`;

/** Changes the attributes of a file or a folder; `not_found` when neither exists. */
export async function setAttributes(db: PgDb, path: string, change: AttributeChange, now: number) {
  const values = [path, JSON.stringify(change.set), change.remove];
  if (path.endsWith('/')) {
    await db.query({
      name: 'dfs_set_folder_attributes',
      text: 'SELECT dfs_set_folder_attributes($1, $2, $3, $4)',
      values: [...values, now],
    });
    return;
  }
  const rows = await db.query({ name: 'dfs_set_file_attributes', text: FILE_ATTRIBUTES, values });
  if (rows.length === 0) throw notFound(path);
}

function notFound(path: string) {
  return new DfsError('not_found', `not found: ${path}`);
}

/** File count and logical bytes: the sum of the totals slots. */
export async function totals(db: PgDb): Promise<Totals> {
  const [row] = await db.query<Totals>({
    name: 'dfs_totals',
    text: 'SELECT sum(files)::bigint AS files, sum(bytes)::bigint AS "logicalBytes" FROM dfs_totals',
    values: [],
  });
  return { files: row?.files ?? 0, logicalBytes: row?.logicalBytes ?? 0 };
}
