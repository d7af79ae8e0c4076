// Commits to PostgreSQL: one call of dfs_commit, or under load many commits in one call of
// dfs_commit_batch (see postgres-batch.ts).

import { compareUtf8 } from '../protocol/byte-order.js';
import { DfsError, isErrorCode } from '../protocol/errors.js';
import type { BatchRunner } from './postgres-batch.js';
import type { PgDb } from './postgres-db.js';
import { type EntryRow, fileOf } from './postgres-rows.js';
import { ancestorFolders, fileOfIntent } from './rules.js';
import type { CommitIntent, CommitResult } from './types.js';

/** A row of dfs_commit: the new generation ('file'), the replaced or replayed version, or a refusal. */
type CommitRow = EntryRow & { role: string; message: string | null; item?: number };

/** A commit request. */
export interface CommitRequest {
  intent: CommitIntent;
  now: number;
}

/** The names above a path that must stay folders ('/' always is one): `/a/b/c` → `/a`, `/a/b`. */
export function parentsOf(path: string): string[] {
  return ancestorFolders(path)
    .slice(1)
    .map((key) => key.slice(0, -1));
}

// One commit as dfs_commit_batch takes it (a JSON object named like dfs_commit's parameters).
function itemOf(intent: CommitIntent, now: number) {
  return {
    path: intent.path,
    size: intent.size,
    sha256: intent.sha256,
    content_type: intent.contentType,
    metadata: intent.metadata,
    attributes: intent.attributes,
    chunk_ids: intent.chunks.map((c) => c.id),
    chunk_sizes: intent.chunks.map((c) => c.size),
    upload_id: intent.uploadId ?? null,
    if_generation: intent.ifGeneration ?? null,
    if_not_generation: intent.ifNotGeneration ?? null,
    parents: parentsOf(intent.path),
    now,
  };
}

// dfs_commit's arguments, in order.
function argumentsOf(intent: CommitIntent, now: number): unknown[] {
  const item = itemOf(intent, now);
  return [
    item.path,
    item.size,
    item.sha256,
    item.content_type,
    JSON.stringify(item.metadata),
    JSON.stringify(item.attributes),
    item.chunk_ids,
    item.chunk_sizes,
    item.upload_id,
    item.if_generation,
    item.if_not_generation,
    item.parents,
    item.now,
  ];
}

/** What dfs_commit's rows for one commit mean. */
function resultOf(intent: CommitIntent, now: number, rows: CommitRow[]): CommitResult {
  const first = rows[0];
  if (!first) throw new DfsError('internal', `committing ${intent.path} returned nothing`);
  if (first.role === 'replayed') return { file: fileOf(first), replayed: true };
  if (first.role !== 'file')
    throw isErrorCode(first.role)
      ? new DfsError(first.role, first.message ?? first.role)
      : new DfsError('internal', `committing ${intent.path} answered ${first.role}`);
  const previous = rows.find((r) => r.role === 'previous');
  const file = fileOfIntent(intent, first.generation ?? 0, now);
  return { file, previous: previous && fileOf(previous), replayed: false };
}

/**
 * The names a batch locks, each once, in byte order (the order every function locks names in):
 * exclusive for the paths it commits, shared for their parents.
 */
function lockNames(items: ReturnType<typeof itemOf>[]): [string, boolean][] {
  const names = new Map<string, boolean>();
  for (const item of items) {
    for (const parent of item.parents) names.set(parent, names.get(parent) ?? false);
    names.set(item.path, true);
  }
  return [...names].sort(([a], [b]) => compareUtf8(a, b));
}

/** Runs commits through `db`. */
export function commitRunner(db: PgDb): BatchRunner<CommitRequest, CommitResult> {
  return {
    async one({ intent, now }) {
      const rows = await db.query<CommitRow>({
        name: 'dfs_commit',
        text: 'SELECT * FROM dfs_commit($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)',
        values: argumentsOf(intent, now),
      });
      return resultOf(intent, now, rows);
    },
    async many(requests) {
      const items = requests.map((r) => itemOf(r.intent, r.now));
      const names = lockNames(items);
      const rows = await db.query<CommitRow>({
        name: 'dfs_commit_batch',
        text: 'SELECT * FROM dfs_commit_batch($1, $2, $3, $4, $5, $6)',
        values: [
          JSON.stringify(items),
          names.map(([name]) => name),
          names.map(([, exclusive]) => exclusive),
          items.map((i) => i.path),
          items.flatMap((i) => (i.upload_id === null ? [] : [i.upload_id])),
          items.flatMap((i) => i.chunk_ids),
        ],
      });
      return requests.map(({ intent, now }, i) => {
        try {
          return resultOf(
            intent,
            now,
            rows.filter((r) => r.item === i + 1),
          );
        } catch (err) {
          return err instanceof DfsError ? err : new DfsError('internal', String(err));
        }
      });
    },
  };
}
