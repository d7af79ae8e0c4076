// Commit in the PostgreSQL metadata store, alone and in batches — the hottest path, written to run
// as few statements as it can: migration 2 (part 2) and migration 7, which replaces dfs_commit
// from the same template. Never edit a released migration.

import { COMMIT_REPLAY_WINDOW, NOT_OPEN } from './rules.js';

// The totals change of a commit whose entry write is CTE `w` (dfs_count, inline).
const COUNT_WRITE = `totals AS (
        UPDATE dfs_totals t SET files = t.files + CASE WHEN v_found THEN 0 ELSE 1 END,
          bytes = t.bytes + p_size - coalesce(v_cur.size, 0)
          WHERE t.slot = pg_backend_pid() % 64 AND (NOT v_found OR p_size <> v_cur.size) AND EXISTS (SELECT 1 FROM w)
      )`;

// What migration 7 adds to dfs_commit: the lease row of an upload that committed stays for
// COMMIT_REPLAY_WINDOW as a tombstone remembering the version it made, so the same commit sent
// again is answered with that version and not applied again, even after another replaced it; and
// a different commit under that upload id (two S3 completes with different part lists) is
// refused, not answered as if it were the same. The tombstone keeps the version in the columns
// a multipart upload keeps its target in (mp_path: its path; mp_metadata: its generation,
// creation time and a fingerprint of its size, hash and chunks): dfs_leases keeps its shape, so
// masters of the previous version, whose prepared statements read whole rows, still run.
const DIGEST = "md5(p_size || '/' || coalesce(p_sha256, '') || '/' || array_to_string(p_chunk_ids, ','))";
const MADE_DECLARE = `
  v_made_path text;
  v_made jsonb;`;
const MADE_COLUMNS = ', l.mp_path, l.mp_metadata';
const MADE_LEASE_COLUMNS = ', k.mp_path, k.mp_metadata';
const MADE_INTO = ', v_made_path, v_made';
// Refuses a commit under an upload id that committed a different file (at `path`, an expression).
const committedOther = (condition: string, path: string) => `
      IF ${condition} THEN
        role := 'conflict';
        message := format('upload %s already committed a different file at %s', p_upload_id, ${path});
        RETURN NEXT;
        RETURN;
      END IF;`;
const OTHER_VERSION = committedOther(
  'v_cur.size <> p_size OR v_cur.sha256 IS DISTINCT FROM p_sha256 OR v_cur.chunk_ids <> p_chunk_ids',
  'p_path',
);
const MADE_REPLAYED = `
    -- Or it made a version that another commit has replaced since.
    IF v_lease_state = 'committed' THEN${committedOther(`v_made_path IS DISTINCT FROM p_path OR v_made->>'digest' IS DISTINCT FROM ${DIGEST}`, 'v_made_path')}
      RETURN QUERY SELECT 'replayed'::text, NULL::text, p_path, p_size, p_sha256, (v_made->>'generation')::bigint,
        (v_made->>'created')::bigint, p_upload_id, p_content_type, p_metadata, p_attributes, cardinality(p_chunk_ids),
        p_chunk_ids, p_chunk_sizes;
      RETURN;
    END IF;
    -- An upload with no lease was never begun, or is forgotten: a commit held up that long is not applied.
    IF p_upload_id IS NOT NULL AND v_lease_state IS NULL THEN
      role := 'conflict';
      message := format('upload %s ${NOT_OPEN}', p_upload_id);
      RETURN NEXT;
      RETURN;
    END IF;`;
const REMEMBER_STEP = `;
-- then the tombstone that remembers what the upload made`;
const FORGET_LEASE = `, lease AS (
        DELETE FROM dfs_leases k WHERE v_lease_open AND k.id = p_upload_id
      )`;
const REMEMBER = `
    IF p_upload_id IS NOT NULL THEN
      INSERT INTO dfs_leases AS k (id, state, expires, ttl, mp_path, mp_metadata)
        VALUES (p_upload_id, 'committed', p_now + ${COMMIT_REPLAY_WINDOW}, ${COMMIT_REPLAY_WINDOW}, p_path,
          jsonb_build_object('generation', v_generation, 'created', p_now, 'digest', ${DIGEST}))
        ON CONFLICT (id) DO UPDATE SET state = 'committed', expires = excluded.expires, ttl = excluded.ttl,
          chunk_count = 0, mp_path = excluded.mp_path, mp_initiated = NULL, mp_content_type = NULL,
          mp_metadata = excluded.mp_metadata, mp_attributes = NULL;
    END IF;`;

/** dfs_commit as migration 2 made it (it forgot a committed lease), or as migration 7 made it (\`remember\`). */
function commitSql(remember: boolean): string {
  return `
-- MetaStore.commit. p_parents: the names above the path ('/' excluded). Answers the new
-- version's generation (role 'file') and the version it replaced ('previous'), or only the
-- version this upload already committed ('replayed'), or a refusal (role: the DfsError code,
-- with its message) made before anything was written, so a batch of commits goes on with the
-- next one (dfs_commit_batch). The hottest function, so it runs as few
-- statements as it can, each touching only the tables it needs (a backend takes up to 16
-- relation locks on a fast path; more go through the shared lock table, which 16 concurrent
-- commits then fight over): name locks; one read of everything the checks need; the entry and
-- the totals in one write; and only for a file with chunks or an upload with a lease, one
-- lock-and-check of the chunk rows and one write of their counts and of the lease's end${remember ? REMEMBER_STEP : ''}.
${remember ? 'CREATE OR REPLACE' : 'CREATE'} FUNCTION dfs_commit(
  p_path text, p_size bigint, p_sha256 text, p_content_type text, p_metadata jsonb,
  p_attributes jsonb, p_chunk_ids text[], p_chunk_sizes bigint[], p_upload_id text,
  p_if_generation bigint, p_if_not_generation bigint, p_parents text[], p_now bigint,
  p_names_locked boolean DEFAULT false)
RETURNS TABLE (role text, message text, path text, size bigint, sha256 text, generation bigint, created bigint,
  upload_id text, content_type text, metadata jsonb, attributes jsonb, chunk_count integer,
  chunk_ids text[], chunk_sizes bigint[])
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  v_cur dfs_entries%ROWTYPE;
  v_found boolean;
  v_is_folder boolean;
  v_blocker text;
  v_lease_state text;
  v_lease_open boolean;
  v_lease_chunks text[];
  v_ok bigint;
  v_wanted bigint;
  v_generation bigint;${remember ? MADE_DECLARE : ''}
BEGIN
  -- dfs_lock_names(p_parents, ARRAY[p_path]), inline, before anything is read (unless a batch
  -- took them all): the parents are prefixes of the path, outermost first, so in byte order.
  IF NOT p_names_locked THEN
    PERFORM 1 FROM (
      SELECT pg_advisory_xact_lock_shared(hashtextextended(n, 0)) FROM unnest(p_parents) n
      UNION ALL
      SELECT pg_advisory_xact_lock(hashtextextended(p_path, 0))
    ) locks;
  END IF;
  LOOP
    -- The current version (locked), whether a folder or an ancestor file is in the way
    -- (creations there are ordered by the name locks, so this snapshot is recent enough), and
    -- the upload's lease (locked).
    IF p_upload_id IS NULL THEN
      SELECT c.path, c.size, c.sha256, c.generation, c.created, c.upload_id, c.content_type, c.metadata,
             c.attributes, c.chunk_count, c.chunk_ids, c.chunk_sizes,
             EXISTS (SELECT 1 FROM dfs_entries f WHERE f.path >= p_path || '/' AND f.path < p_path || '/' || chr(1114111)),
             (SELECT a.path FROM dfs_entries a WHERE a.path = ANY (p_parents) LIMIT 1)
        INTO v_cur.path, v_cur.size, v_cur.sha256, v_cur.generation, v_cur.created, v_cur.upload_id,
             v_cur.content_type, v_cur.metadata, v_cur.attributes, v_cur.chunk_count, v_cur.chunk_ids,
             v_cur.chunk_sizes, v_is_folder, v_blocker
        FROM (SELECT 1) one
        LEFT JOIN LATERAL (SELECT * FROM dfs_entries e WHERE e.path = p_path FOR UPDATE) c ON true;
    ELSE
      SELECT c.path, c.size, c.sha256, c.generation, c.created, c.upload_id, c.content_type, c.metadata,
             c.attributes, c.chunk_count, c.chunk_ids, c.chunk_sizes,
             EXISTS (SELECT 1 FROM dfs_entries f WHERE f.path >= p_path || '/' AND f.path < p_path || '/' || chr(1114111)),
             (SELECT a.path FROM dfs_entries a WHERE a.path = ANY (p_parents) LIMIT 1), l.state${remember ? MADE_COLUMNS : ''}
        INTO v_cur.path, v_cur.size, v_cur.sha256, v_cur.generation, v_cur.created, v_cur.upload_id,
             v_cur.content_type, v_cur.metadata, v_cur.attributes, v_cur.chunk_count, v_cur.chunk_ids,
             v_cur.chunk_sizes, v_is_folder, v_blocker, v_lease_state${remember ? MADE_INTO : ''}
        FROM (SELECT 1) one
        LEFT JOIN LATERAL (SELECT * FROM dfs_entries e WHERE e.path = p_path FOR UPDATE) c ON true
        LEFT JOIN LATERAL (SELECT k.state${remember ? MADE_LEASE_COLUMNS : ''} FROM dfs_leases k WHERE k.id = p_upload_id FOR UPDATE) l ON true;
    END IF;
    v_found := v_cur.path IS NOT NULL;
    -- A ${remember ? 'commit sent again' : 'retried commit'} (its answer was lost): the upload is ${remember ? 'the current version' : 'already the current version'}.
    IF v_found AND p_upload_id IS NOT NULL AND v_cur.upload_id = p_upload_id THEN${remember ? OTHER_VERSION : ''}
      RETURN QUERY SELECT 'replayed'::text, NULL::text, (v_cur).*;
      RETURN;
    END IF;${remember ? MADE_REPLAYED : ''}
    IF v_lease_state <> 'open' THEN
      role := 'conflict';
      message := 'the upload was idle for too long and expired; upload the file again';
      RETURN NEXT;
      RETURN;
    END IF;
    v_lease_open := v_lease_state IS NOT NULL;
    IF (p_if_generation IS NOT NULL AND coalesce(v_cur.generation, 0) <> p_if_generation)
       OR (p_if_not_generation IS NOT NULL AND coalesce(v_cur.generation, 0) = p_if_not_generation) THEN
      role := 'precondition_failed';
      message := format('%s was changed by someone else', p_path);
      RETURN NEXT;
      RETURN;
    END IF;
    IF v_blocker IS NOT NULL THEN
      role := 'conflict';
      message := format('%s is a file, not a folder', v_blocker);
      RETURN NEXT;
      RETURN;
    END IF;
    IF v_is_folder THEN
      role := 'conflict';
      message := format('%s is a folder', p_path);
      RETURN NEXT;
      RETURN;
    END IF;
    IF cardinality(p_chunk_ids) > 0 OR v_cur.chunk_count > 0 OR v_lease_open THEN
      -- Every chunk row this commit changes, locked at once in id order; the lease's chunks are
      -- read only now, after the lease row was locked; and how many of the new chunks are usable:
      -- referenced by a file or pinned by this upload, and not condemned.
      WITH lc AS (
        SELECT array_agg(k.chunk_id) AS ids FROM dfs_lease_chunks k WHERE v_lease_open AND k.lease_id = p_upload_id
      ), locked AS (
        SELECT c.id, c.doomed, c.refs FROM dfs_chunks c, lc
          WHERE c.id = ANY (p_chunk_ids || coalesce(v_cur.chunk_ids, '{}') || coalesce(lc.ids, '{}'))
          ORDER BY c.id FOR UPDATE OF c
      )
      SELECT lc.ids,
             (SELECT count(*) FROM locked WHERE locked.id = ANY (p_chunk_ids) AND NOT locked.doomed
                AND (locked.refs > 0 OR locked.id = ANY (lc.ids))),
             (SELECT count(DISTINCT u) FROM unnest(p_chunk_ids) u)
        INTO v_lease_chunks, v_ok, v_wanted FROM lc;
      IF v_ok < v_wanted THEN
        role := 'conflict';
        message := format('chunk %s is no longer stored; upload the file again', dfs_unusable_chunk(p_chunk_ids, p_upload_id));
        RETURN NEXT;
        RETURN;
      END IF;
    END IF;
    IF v_found THEN
      WITH w AS (
        UPDATE dfs_entries e SET size = p_size, sha256 = p_sha256, generation = nextval('dfs_generation'),
          created = p_now, upload_id = p_upload_id, content_type = p_content_type, metadata = p_metadata,
          attributes = p_attributes, chunk_count = cardinality(p_chunk_ids), chunk_ids = p_chunk_ids,
          chunk_sizes = p_chunk_sizes
          WHERE e.path = p_path RETURNING e.generation
      ), ${COUNT_WRITE}
      SELECT w.generation INTO v_generation FROM w;
    ELSE
      WITH w AS (
        INSERT INTO dfs_entries AS e (path, size, sha256, generation, created, upload_id, content_type,
            metadata, attributes, chunk_count, chunk_ids, chunk_sizes)
          VALUES (p_path, p_size, p_sha256, nextval('dfs_generation'), p_now, p_upload_id, p_content_type,
            p_metadata, p_attributes, cardinality(p_chunk_ids), p_chunk_ids, p_chunk_sizes)
          ON CONFLICT (path) DO NOTHING RETURNING e.generation
      ), ${COUNT_WRITE}
      SELECT w.generation INTO v_generation FROM w;
      -- Someone else created the path since we looked (nothing was written): look again.
      CONTINUE WHEN v_generation IS NULL;
    END IF;
    IF cardinality(p_chunk_ids) > 0 OR v_cur.chunk_count > 0 OR v_lease_open THEN
      -- dfs_chunk_delta(p_chunk_ids, v_cur.chunk_ids, v_lease_chunks) and dfs_end_lease${remember ? "'s unpinning" : "('committed')"}.
      WITH d AS (
        SELECT x.id, sum(x.a)::integer AS a, sum(x.d)::integer AS d, max(x.u) AS u FROM (
          SELECT i AS id, 1 AS a, 0 AS d, 0 AS u FROM unnest(p_chunk_ids) i
          UNION ALL SELECT i, 0, 1, 0 FROM unnest(v_cur.chunk_ids) i
          UNION ALL SELECT i, 0, 0, 1 FROM unnest(v_lease_chunks) i
        ) x GROUP BY x.id
      ), n AS (
        SELECT c.id, greatest(0, c.refs + d.a - d.d) AS refs, greatest(0, c.pins - d.u) AS pins,
               d.a > 0 OR d.d > 0 OR c.zero_since = 0 AS restart
          FROM dfs_chunks c JOIN d ON c.id = d.id
      ), unpinned AS (
        DELETE FROM dfs_lease_chunks k WHERE v_lease_open AND k.lease_id = p_upload_id
      ), parts AS (
        DELETE FROM dfs_parts k WHERE v_lease_open AND k.lease_id = p_upload_id
      )${remember ? '' : FORGET_LEASE}
      UPDATE dfs_chunks c SET refs = n.refs, pins = n.pins,
        zero_since = CASE WHEN n.refs = 0 AND n.pins = 0 THEN CASE WHEN n.restart THEN p_now ELSE c.zero_since END ELSE 0 END
        FROM n WHERE c.id = n.id;
    END IF;${remember ? REMEMBER : ''}
    role := 'file';
    generation := v_generation;
    RETURN NEXT;
    IF v_found THEN
      RETURN QUERY SELECT 'previous'::text, NULL::text, (v_cur).*;
    END IF;
    RETURN;
  END LOOP;
END $$;
`;
}

/**
 * Migration 7: dfs_commit remembers what each upload committed, and dfs_expire_leases forgets
 * those tombstones in larger batches than it ends open leases (one per commit, and cheap).
 */
export const REMEMBER_COMMITS_SQL = `${commitSql(true)}
-- MetaStore.expireLeases: forgets tombstones past their time (up to 50 × p_limit: every commit
-- leaves one), then ends up to p_limit open leases past their expiry. SKIP LOCKED: a lease being
-- committed right now is left for the next round. The chunks of all the leases ended are locked
-- at once, in key order.
CREATE OR REPLACE FUNCTION dfs_expire_leases(p_now bigint, p_limit integer) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  v_open text[];
BEGIN
  DELETE FROM dfs_leases l WHERE l.id IN (
    SELECT k.id FROM dfs_leases k WHERE k.expires < p_now AND k.state <> 'open' ORDER BY k.expires
      LIMIT 50 * p_limit FOR UPDATE SKIP LOCKED);
  SELECT array_agg(x.id) INTO v_open
    FROM (SELECT l.id FROM dfs_leases l WHERE l.expires < p_now AND l.state = 'open' ORDER BY l.expires
            LIMIT p_limit FOR UPDATE SKIP LOCKED) x;
  PERFORM 1 FROM dfs_chunks c
    WHERE c.id IN (SELECT k.chunk_id FROM dfs_lease_chunks k WHERE k.lease_id = ANY (v_open))
    ORDER BY c.id FOR UPDATE;
  PERFORM dfs_end_lease(o, 'expired', p_now) FROM unnest(v_open) o;
  RETURN coalesce(cardinality(v_open), 0);
END $$;
`;

/** dfs_commit and dfs_commit_batch. */
export const COMMIT_SQL = `${commitSql(false)}
-- Several commits in one transaction (one round trip, one WAL flush): p_items is a JSON array
-- of dfs_commit's arguments. Each item sees the ones before it; a refused item writes nothing
-- and the others go on. Answers dfs_commit's rows, each with its item's number. Everything the
-- items will lock is locked first, in the order dfs_lock_names explains, so two batches wanting
-- the same rows queue instead of deadlocking: the names (p_names in byte order, exclusive where
-- p_exclusive says), then the entries at p_paths, the leases p_uploads and the chunks p_chunks
-- names, with those of the current versions and of the leases.
CREATE FUNCTION dfs_commit_batch(p_items jsonb, p_names text[], p_exclusive boolean[], p_paths text[],
  p_uploads text[], p_chunks text[])
RETURNS TABLE (item bigint, role text, message text, path text, size bigint, sha256 text,
  generation bigint, created bigint, upload_id text, content_type text, metadata jsonb,
  attributes jsonb, chunk_count integer, chunk_ids text[], chunk_sizes bigint[])
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM CASE WHEN u.x THEN pg_advisory_xact_lock(hashtextextended(u.n, 0))
               ELSE pg_advisory_xact_lock_shared(hashtextextended(u.n, 0)) END
    FROM unnest(p_names, p_exclusive) AS u(n, x);
  PERFORM 1 FROM dfs_entries e WHERE e.path = ANY (p_paths) ORDER BY e.path FOR UPDATE;
  IF cardinality(p_uploads) > 0 THEN
    PERFORM 1 FROM dfs_leases l WHERE l.id = ANY (p_uploads) ORDER BY l.id FOR UPDATE;
  END IF;
  PERFORM 1 FROM dfs_chunks c WHERE c.id = ANY (p_chunks
      || ARRAY(SELECT i FROM dfs_entries e, unnest(e.chunk_ids) i WHERE e.path = ANY (p_paths))
      || ARRAY(SELECT k.chunk_id FROM dfs_lease_chunks k WHERE k.lease_id = ANY (p_uploads)))
    ORDER BY c.id FOR UPDATE;
  -- The items one after the other (a nested loop over them in order); dfs_commit is volatile, so
  -- each of its statements sees what the items before it wrote.
  RETURN QUERY SELECT x.n, c.*
    FROM ROWS FROM (jsonb_to_recordset(p_items) AS (path text, size bigint, sha256 text, content_type text,
        metadata jsonb, attributes jsonb, chunk_ids text[], chunk_sizes bigint[], upload_id text,
        if_generation bigint, if_not_generation bigint, parents text[], now bigint))
      WITH ORDINALITY AS x(path, size, sha256, content_type, metadata, attributes, chunk_ids, chunk_sizes,
        upload_id, if_generation, if_not_generation, parents, now, n)
    CROSS JOIN LATERAL dfs_commit(x.path, x.size, x.sha256, x.content_type, x.metadata, x.attributes,
      x.chunk_ids, x.chunk_sizes, x.upload_id, x.if_generation, x.if_not_generation, x.parents, x.now,
      true) c;
END $$;
`;
