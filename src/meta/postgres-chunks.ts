// Chunks, upload leases, collection and multipart uploads in the PostgreSQL metadata store: each
// method one statement (functions from postgres-sql-namespace.ts and postgres-sql-chunks.ts);
// leases are batched under load like commits (postgres-batch.ts).

import { DfsError } from '../protocol/errors.js';
import type { ChunkRef } from '../protocol/types.js';
import type { BatchRunner } from './postgres-batch.js';
import type { PgDb } from './postgres-db.js';
import { type ChunkRow, chunkOf, type LeaseRow, leaseOf, type PartRow, partOf } from './postgres-rows.js';
import { EXPIRE_BATCH, openedAlready } from './rules.js';
import type { LeaseResult } from './store.js';
import type { ChunkRecord, DoomCandidate, LeaseRecord, MultipartInfo, PartRecord } from './types.js';

/** The chunk table's rows for `ids`. */
export async function getChunks(db: PgDb, ids: string[]): Promise<Map<string, ChunkRecord>> {
  const rows = await db.query<ChunkRow>({
    name: 'dfs_get_chunks',
    text: 'SELECT * FROM dfs_chunks c WHERE c.id = ANY ($1::text[])',
    values: [ids],
  });
  return new Map(rows.map((row) => [row.id, chunkOf(row)]));
}

/** A page of the chunk table in id order. */
export async function chunkPage(db: PgDb, after: string | undefined, limit: number) {
  const rows = await db.query<ChunkRow>({
    name: 'dfs_chunk_page',
    text: `SELECT * FROM dfs_chunks c WHERE c.id > $1 ORDER BY c.id LIMIT $2`,
    values: [after ?? '', limit],
  });
  return rows.map((row) => ({ id: row.id, record: chunkOf(row) }));
}

/** Of `ids`, those still condemned. */
export async function stillDoomed(db: PgDb, ids: string[]): Promise<Set<string>> {
  const rows = await db.query<{ id: string }>({
    name: 'dfs_still_doomed',
    text: 'SELECT c.id FROM dfs_chunks c WHERE c.id = ANY ($1::text[]) AND c.doomed',
    values: [ids],
  });
  return new Set(rows.map((row) => row.id));
}

/** A lease request (see MetaStore.lease). */
export interface LeaseRequest {
  id: string;
  chunks: ChunkRef[];
  ttl: number;
  now: number;
}

/** Runs leases through `db`: dfs_lease, or many in one dfs_lease_batch. */
export function leaseRunner(db: PgDb): BatchRunner<LeaseRequest, LeaseResult> {
  return {
    async one({ id, chunks, ttl, now }) {
      const [row] = await db.query<{ revived: string[] }>({
        name: 'dfs_lease',
        text: 'SELECT dfs_lease($1, $2, $3, $4, $5) AS revived',
        values: [id, chunks.map((c) => c.id), chunks.map((c) => c.size), ttl, now],
      });
      return { revived: row?.revived ?? [] };
    },
    async many(requests) {
      const items = requests.map((r) => ({
        id: r.id,
        chunk_ids: r.chunks.map((c) => c.id),
        chunk_sizes: r.chunks.map((c) => c.size),
        ttl: r.ttl,
        now: r.now,
      }));
      const rows = await db.query<{ item: number; revived: string[] }>({
        name: 'dfs_lease_batch',
        text: 'SELECT * FROM dfs_lease_batch($1)',
        values: [JSON.stringify(items)],
      });
      return requests.map((_, i) => ({ revived: rows.find((r) => r.item === i + 1)?.revived ?? [] }));
    },
  };
}

/** The lease, open or a tombstone. */
export async function getLease(db: PgDb, id: string): Promise<LeaseRecord | undefined> {
  const [row] = await db.query<LeaseRow>({
    name: 'dfs_get_lease',
    text: 'SELECT * FROM dfs_leases l WHERE l.id = $1',
    values: [id],
  });
  return row && leaseOf(row);
}

/** Ends an open lease at once. */
export async function abortLease(db: PgDb, id: string, now: number): Promise<void> {
  await db.query({
    name: 'dfs_abort_lease',
    text: `SELECT dfs_end_lease($1, 'aborted', $2)`,
    values: [id, now],
  });
}

/**
 * Ends leases past their expiry and forgets old tombstones and the answers of resendable calls
 * past their window; how many leases expired.
 */
export async function expireLeases(db: PgDb, now: number): Promise<number> {
  await db.query({
    name: 'dfs_forget_ops',
    text: `DELETE FROM dfs_ops o WHERE o.id IN (
      SELECT k.id FROM dfs_ops k WHERE k.expires < $1 ORDER BY k.expires LIMIT $2 FOR UPDATE SKIP LOCKED)`,
    values: [now, 50 * EXPIRE_BATCH],
  });
  const [row] = await db.query<{ expired: number }>({
    name: 'dfs_expire_leases',
    text: 'SELECT dfs_expire_leases($1, $2) AS expired',
    values: [now, EXPIRE_BATCH],
  });
  return row?.expired ?? 0;
}

/** Condemns the candidates still collectable, fenced by `epoch`. */
export async function doom(db: PgDb, candidates: DoomCandidate[], grace: number, now: number, epoch: number) {
  const [row] = await db.query<{ doomed: string[] }>({
    name: 'dfs_doom',
    text: 'SELECT dfs_doom($1, $2, $3, $4, $5, $6) AS doomed',
    values: [
      candidates.map((c) => c.id),
      candidates.map((c) => c.size),
      candidates.map((c) => c.absent),
      grace,
      now,
      epoch,
    ],
  });
  return row?.doomed ?? [];
}

/** Forgets condemned chunks nothing claimed since, fenced by `epoch`. */
export async function purge(db: PgDb, ids: string[], epoch: number): Promise<string[]> {
  const [row] = await db.query<{ gone: string[] }>({
    name: 'dfs_purge',
    text: 'SELECT dfs_purge($1, $2) AS gone',
    values: [ids, epoch],
  });
  return row?.gone ?? [];
}

const CREATE_MULTIPART = `
  INSERT INTO dfs_leases (id, state, expires, ttl, mp_path, mp_initiated, mp_content_type, mp_metadata, mp_attributes)
    VALUES ($1, 'open', $2, $3, $4, $5, $6, $7, $8)
    ON CONFLICT (id) DO NOTHING RETURNING id`;

/** Opens a multipart upload (see MetaStore.createMultipart). */
export async function createMultipart(db: PgDb, id: string, info: MultipartInfo, ttl: number, now: number) {
  const rows = await db.query({
    name: 'dfs_create_multipart',
    text: CREATE_MULTIPART,
    values: [
      id,
      now + ttl,
      ttl,
      info.path,
      info.initiated,
      info.contentType,
      JSON.stringify(info.metadata),
      JSON.stringify(info.attributes),
    ],
  });
  if (rows.length > 0) return;
  openedAlready(id, await getLease(db, id), info);
}

/** Records (or replaces) a part. */
export async function putPart(db: PgDb, id: string, part: PartRecord, now: number): Promise<void> {
  await db.query({
    name: 'dfs_put_part',
    text: 'SELECT dfs_put_part($1, $2, $3, $4, $5, $6, $7, $8, $9)',
    values: [
      id,
      part.number,
      part.size,
      part.etag,
      part.chunks.map((c) => c.id),
      part.chunks.map((c) => c.size),
      part.lastModified,
      now,
      part.checksum ?? null,
    ],
  });
}

// The lease's state and its parts in one query: a row per part, or one row of nulls.
const LIST_PARTS = `
  SELECT l.state, l.mp_path, p.number, p.size, p.etag, p.checksum, p.chunk_ids, p.chunk_sizes, p.last_modified
    FROM dfs_leases l LEFT JOIN dfs_parts p ON p.lease_id = l.id
    WHERE l.id = $1 ORDER BY p.number`;

/** The parts of an open multipart upload. */
export async function listParts(db: PgDb, id: string): Promise<PartRecord[]> {
  const rows = await db.query<Partial<PartRow> & { state: string; mp_path: string | null }>({
    name: 'dfs_list_parts',
    text: LIST_PARTS,
    values: [id],
  });
  const first = rows[0];
  if (first?.state !== 'open' || first.mp_path === null)
    throw new DfsError('not_found', `no such multipart upload: ${id}`);
  return rows.filter((row) => row.number !== null).map((row) => partOf(row as PartRow));
}

/** Open multipart uploads below `prefix` whose path sorts at or after `from`, by path then initiation. */
export async function listMultiparts(
  db: PgDb,
  prefix: string,
  limit: number,
  from = prefix,
): Promise<LeaseRecord[]> {
  const rows = await db.query<LeaseRow>({
    name: 'dfs_list_multiparts',
    text: `SELECT * FROM dfs_leases l
             WHERE l.mp_path >= $1 AND l.mp_path < $1 || chr(1114111) AND l.mp_path >= $3
               AND l.mp_path IS NOT NULL AND l.state = 'open'
             ORDER BY l.mp_path, l.mp_initiated, l.id LIMIT $2`,
    values: [prefix, limit, from],
  });
  return rows.map(leaseOf);
}
