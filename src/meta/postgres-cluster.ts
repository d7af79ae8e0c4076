// WebDAV locks, nodes, masters and leadership in the PostgreSQL metadata store: each method one
// statement (functions from postgres-sql-chunks.ts where a method needs more than one).

import { DfsError } from '../protocol/errors.js';
import type { PgDb } from './postgres-db.js';
import { type LockRow, lockOf } from './postgres-rows.js';
import { ancestorFolders } from './rules.js';
import type { MasterBeat } from './store.js';
import type { Leadership, LockRecord, MasterRecord, NodeRecord } from './types.js';

// The roots whose locks cover `path`: its ancestor folders, then itself.
const rootsOf = (path: string) => [...ancestorFolders(path).filter((a) => a !== path), path];

/** Takes a lock unless a conflicting unexpired one exists. */
export async function createLock(db: PgDb, lock: LockRecord, now: number): Promise<LockRecord> {
  await db.query({
    name: 'dfs_create_lock',
    text: 'SELECT dfs_create_lock($1, $2, $3, $4, $5, $6, $7, $8, $9)',
    values: [
      lock.token,
      lock.root,
      String(lock.depth),
      lock.scope,
      lock.owner,
      lock.timeoutSeconds,
      lock.expires,
      rootsOf(lock.root),
      now,
    ],
  });
  return lock;
}

/** Extends a lock; `not_found` when it is gone. */
export async function refreshLock(db: PgDb, token: string, timeoutSeconds: number, now: number) {
  const [row] = await db.query<LockRow>({
    name: 'dfs_refresh_lock',
    text: `UPDATE dfs_locks k SET timeout_seconds = $2, expires = $3::bigint + $2::bigint * 1000
             WHERE k.token = $1 AND k.expires > $3 RETURNING *`,
    values: [token, timeoutSeconds, now],
  });
  if (!row) throw new DfsError('not_found', 'no such lock');
  return lockOf(row);
}

/** Releases a lock; false when it was not held. */
export async function removeLock(db: PgDb, token: string): Promise<boolean> {
  const rows = await db.query({
    name: 'dfs_remove_lock',
    text: 'DELETE FROM dfs_locks k WHERE k.token = $1 RETURNING k.token',
    values: [token],
  });
  return rows.length > 0;
}

// Locks on the roots ($1), and below folder $4 when $2; expired ones found on the way are dropped
// (a write only when there are some).
const LOCKS_FOR = `
  WITH matching AS (
    SELECT k.token FROM dfs_locks k
      WHERE k.root = ANY ($1::text[]) OR ($2 AND k.root > $4 AND k.root < $4 || chr(1114111))
  ), gone AS (
    DELETE FROM dfs_locks k WHERE k.token IN (SELECT token FROM matching) AND k.expires <= $3
  )
  SELECT k.* FROM dfs_locks k JOIN matching m ON m.token = k.token
    WHERE k.expires > $3
    ORDER BY array_position($1::text[], k.root::text) NULLS LAST, k.root, k.token`;

/** Unexpired locks on `path`, on its ancestors, and (with `descendants`) below it. */
export async function locksFor(db: PgDb, path: string, descendants: boolean, now: number) {
  const rows = await db.query<LockRow>({
    name: 'dfs_locks_for',
    text: LOCKS_FOR,
    values: [rootsOf(path), descendants && path.endsWith('/'), now, path],
  });
  return rows.map(lockOf);
}

/** Records a node. */
export async function putNode(db: PgDb, node: NodeRecord): Promise<void> {
  await db.query({
    name: 'dfs_put_node',
    text: `INSERT INTO dfs_nodes AS n (id, url, capacity, registered) VALUES ($1, $2, $3, $4)
             ON CONFLICT (id) DO UPDATE SET url = excluded.url, capacity = excluded.capacity,
               registered = excluded.registered`,
    values: [node.id, node.url, node.capacity, node.registered],
  });
}

/** Every node, by id. */
export async function listNodes(db: PgDb): Promise<NodeRecord[]> {
  return db.query<NodeRecord>({
    name: 'dfs_list_nodes',
    text: 'SELECT n.id, n.url, n.capacity, n.registered FROM dfs_nodes n ORDER BY n.id',
    values: [],
  });
}

/** Forgets a node. */
export async function removeNode(db: PgDb, id: string): Promise<void> {
  await db.query({ name: 'dfs_remove_node', text: 'DELETE FROM dfs_nodes n WHERE n.id = $1', values: [id] });
}

/** Records that a master is alive; every master seen within `window`. */
export async function heartbeatMaster(db: PgDb, master: MasterBeat, window: number) {
  return db.query<MasterRecord>({
    name: 'dfs_heartbeat_master',
    text: 'SELECT m.id, m.url, m.last_seen AS "lastSeen" FROM dfs_heartbeat_master($1, $2, $3, $4) m',
    values: [master.id, master.url, master.lastSeen ?? null, window],
  });
}

/** Forgets a master that stops, and lets the leadership lease lapse if it holds it. */
export async function leaveCluster(db: PgDb, id: string): Promise<void> {
  await db.query({
    name: 'dfs_leave_cluster',
    text: `WITH gone AS (DELETE FROM dfs_masters m WHERE m.id = $1)
      UPDATE dfs_leadership l SET expires = 0 WHERE l.holder = $1`,
    values: [id],
  });
}

/** Takes or renews the leadership lease (judged by the database's clock without `now`). */
export async function claimLeadership(db: PgDb, holder: string, ttl: number, now?: number) {
  const [row] = await db.query<Leadership>({
    name: 'dfs_claim_leadership',
    text: 'SELECT l.holder, l.epoch, l.expires FROM dfs_claim_leadership($1, $2, $3) l',
    values: [holder, ttl, now ?? null],
  });
  if (!row) throw new DfsError('internal', 'claiming the leadership returned nothing');
  return row;
}
