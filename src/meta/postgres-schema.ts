// Versioned migrations of the PostgreSQL metadata store: each a numbered SQL string applied in its
// own transaction under an advisory lock, so several masters starting at once apply each exactly once.

import type pg from 'pg';
import { DfsError } from '../protocol/errors.js';
import { CHUNKS_SQL, PART_CHECKSUM_SQL } from './postgres-sql-chunks.js';
import { CLOCK_SQL, HEARTBEAT_CLOCK_SQL } from './postgres-sql-clock.js';
import { COMMIT_SQL, REMEMBER_COMMITS_SQL } from './postgres-sql-commit.js';
import { FOLDERS_SQL } from './postgres-sql-folders.js';
import { HELPERS_SQL } from './postgres-sql-helpers.js';
import { NAMESPACE_SQL } from './postgres-sql-namespace.js';
import { OPS_SQL } from './postgres-sql-ops.js';
import { TABLES_SQL } from './postgres-sql-tables.js';

/** A schema change: applied once, in order, never edited after release. */
export interface Migration {
  version: number;
  description: string;
  sql: string;
}

/** Every migration, oldest first. */
export const MIGRATIONS: readonly Migration[] = [
  { version: 1, description: 'tables', sql: TABLES_SQL },
  { version: 2, description: 'namespace functions', sql: HELPERS_SQL + COMMIT_SQL + NAMESPACE_SQL },
  { version: 3, description: 'lease, collection, lock and leadership functions', sql: CHUNKS_SQL },
  {
    version: 4,
    description: "leadership judged by the database's clock",
    sql: CLOCK_SQL,
  },
  { version: 5, description: 'a folder made explicit without its ancestors', sql: FOLDERS_SQL },
  { version: 6, description: "master heartbeats judged by the database's clock", sql: HEARTBEAT_CLOCK_SQL },
  { version: 7, description: 'a committed upload remembers the version it made', sql: REMEMBER_COMMITS_SQL },
  { version: 8, description: "a multipart upload's part keeps its checksum", sql: PART_CHECKSUM_SQL },
  {
    version: 9,
    description: 'remove, move and rmdir sent again are answered, not applied twice',
    sql: OPS_SQL,
  },
];

/** The schema version this build writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

// The advisory lock (two-int form, apart from the one-bigint name locks) guarding migrations.
const MIGRATION_LOCK = [1685417843, 0] as const;

async function appliedVersion(client: pg.ClientBase): Promise<number> {
  const { rows } = await client.query<{ version: number | null }>(
    'SELECT max(version) AS version FROM dfs_schema_version',
  );
  return rows[0]?.version ?? 0;
}

/**
 * Brings the database to SCHEMA_VERSION. Refuses a database that is not UTF-8 (keys must sort by
 * UTF-8 bytes) or whose schema is newer than this build's.
 */
export async function migrate(client: pg.ClientBase): Promise<void> {
  const { rows } = await client.query<{ encoding: string }>(
    `SELECT current_setting('server_encoding') AS encoding`,
  );
  const encoding = rows[0]?.encoding;
  if (encoding !== 'UTF8')
    throw new DfsError('unavailable', `the metadata database must use UTF8 encoding, not ${encoding}`);
  for (const migration of MIGRATIONS) {
    await client.query('BEGIN');
    try {
      await client.query('SELECT pg_advisory_xact_lock($1, $2)', [...MIGRATION_LOCK]);
      await client.query(
        `CREATE TABLE IF NOT EXISTS dfs_schema_version (
           version integer PRIMARY KEY,
           description text NOT NULL,
           applied timestamptz NOT NULL DEFAULT now())`,
      );
      const applied = await appliedVersion(client);
      if (applied > SCHEMA_VERSION)
        throw new DfsError(
          'unavailable',
          `the metadata database has schema version ${applied}, newer than this dfs (${SCHEMA_VERSION}); upgrade dfs`,
        );
      if (applied < migration.version) {
        await client.query(migration.sql);
        await client.query('INSERT INTO dfs_schema_version (version, description) VALUES ($1, $2)', [
          migration.version,
          migration.description,
        ]);
      }
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }
}
