// Migration 2 of the PostgreSQL metadata store, part 1: the helpers the namespace and lease
// functions share. Functions run at READ COMMITTED, each statement with a fresh snapshot; what
// that alone would let race is ordered by row locks (taken in key order) and by advisory locks on
// names (dfs_lock_names). Never edit a released migration: add one.

/** dfs_fail, name locks, parent and folder checks, totals, chunk counts, the end of a lease. */
export const HELPERS_SQL = `
-- Every refusal the caller must tell apart: SQLSTATE DF000, the DfsError code in DETAIL.
CREATE FUNCTION dfs_fail(p_code text, p_message text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION USING ERRCODE = 'DF000', MESSAGE = p_message, DETAIL = p_code;
END $$;

-- Creating an entry conflicts with creating anything at its ancestors' names (a file /a against
-- a file /a/b, never both), which no row lock can catch because neither row exists yet. So a
-- change takes a shared advisory lock on every name that must stay a folder (p_folders: names,
-- no trailing '/') and an exclusive one on each name it makes a file or moves a folder to:
-- commits into one folder never wait on each other; /a and /a/b do, and the second one sees the
-- first. Names are locked in byte order (exclusive where both are asked for), and rows likewise
-- in key order everywhere: names, then entries, leases and chunks. So transactions that want the
-- same things queue instead of deadlocking (a deadlock costs a second to detect).
CREATE FUNCTION dfs_lock_names(p_folders text[], p_exclusive text[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM CASE WHEN k.exclusive THEN pg_advisory_xact_lock(hashtextextended(k.name, 0))
               ELSE pg_advisory_xact_lock_shared(hashtextextended(k.name, 0)) END
    FROM (
      SELECT n.name, bool_or(n.exclusive) AS exclusive FROM (
        SELECT f AS name, false AS exclusive FROM unnest(p_folders) f
        UNION ALL SELECT x, true FROM unnest(p_exclusive) x
      ) n GROUP BY n.name ORDER BY n.name COLLATE "C" OFFSET 0
    ) k;
END $$;

-- Refuses a path whose ancestor (p_folders: names, no trailing '/') is a file. There is at most
-- one: a file never lies below another.
CREATE FUNCTION dfs_check_parents(p_folders text[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  v_file text;
BEGIN
  SELECT e.path INTO v_file FROM dfs_entries e WHERE e.path = ANY (p_folders) LIMIT 1;
  IF v_file IS NOT NULL THEN
    PERFORM dfs_fail('conflict', format('%s is a file, not a folder', v_file));
  END IF;
END $$;

-- True when anything lies at or below folder key p_prefix.
CREATE FUNCTION dfs_folder_exists(p_prefix text) RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT EXISTS (SELECT 1 FROM dfs_entries e WHERE e.path >= p_prefix AND e.path < p_prefix || chr(1114111))
$$;

-- Adds to this connection's totals slot.
CREATE FUNCTION dfs_count(p_files bigint, p_bytes bigint) RETURNS void LANGUAGE sql AS $$
  UPDATE dfs_totals SET files = files + p_files, bytes = bytes + p_bytes
    WHERE slot = pg_backend_pid() % 64 AND (p_files <> 0 OR p_bytes <> 0)
$$;

-- Applies reference and pin changes to chunk rows, with the result of kv-chunks applying addRefs
-- (p_add), dropRefs (p_drop) and endLease's unpinning (p_unpin) one after the other: counts never
-- go negative; a chunk left with neither references nor pins starts its grace period now.
-- Rows are locked in id order, as everywhere, so concurrent changes cannot deadlock on them.
CREATE FUNCTION dfs_chunk_delta(p_add text[], p_drop text[], p_unpin text[], p_now bigint)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM dfs_chunks c
    WHERE c.id = ANY (coalesce(p_add, '{}') || coalesce(p_drop, '{}') || coalesce(p_unpin, '{}'))
    ORDER BY c.id FOR UPDATE;
  WITH d AS (
    SELECT x.id, sum(x.a)::integer AS a, sum(x.d)::integer AS d, max(x.u) AS u FROM (
      SELECT i AS id, 1 AS a, 0 AS d, 0 AS u FROM unnest(p_add) i
      UNION ALL SELECT i, 0, 1, 0 FROM unnest(p_drop) i
      UNION ALL SELECT i, 0, 0, 1 FROM unnest(p_unpin) i
    ) x GROUP BY x.id
  ), n AS (
    SELECT c.id, greatest(0, c.refs + d.a - d.d) AS refs, greatest(0, c.pins - d.u) AS pins,
           d.a > 0 OR d.d > 0 OR c.zero_since = 0 AS restart
      FROM dfs_chunks c JOIN d ON c.id = d.id
  )
  UPDATE dfs_chunks c SET refs = n.refs, pins = n.pins,
    zero_since = CASE WHEN n.refs = 0 AND n.pins = 0 THEN CASE WHEN n.restart THEN p_now ELSE c.zero_since END ELSE 0 END
    FROM n WHERE c.id = n.id;
END $$;

-- The first of p_ids neither referenced by a file nor pinned by lease p_lease (collection may
-- have taken it), or condemned; NULL when all are usable. The caller holds their rows locked.
CREATE FUNCTION dfs_unusable_chunk(p_ids text[], p_lease text) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT u.id FROM unnest(p_ids) WITH ORDINALITY u(id, n)
    WHERE NOT EXISTS (
      SELECT 1 FROM dfs_chunks c WHERE c.id = u.id AND NOT c.doomed AND (c.refs > 0 OR EXISTS (
        SELECT 1 FROM dfs_lease_chunks lc WHERE lc.lease_id = p_lease AND lc.chunk_id = u.id)))
    ORDER BY u.n LIMIT 1
$$;

-- Refuses chunks that dfs_unusable_chunk finds.
CREATE FUNCTION dfs_check_chunks(p_ids text[], p_lease text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  v_bad text := dfs_unusable_chunk(p_ids, p_lease);
BEGIN
  IF v_bad IS NOT NULL THEN
    PERFORM dfs_fail('conflict', format('chunk %s is no longer stored; upload the file again', v_bad));
  END IF;
END $$;

-- Ends an open lease: unpins its chunks, drops its parts; a committed lease is forgotten, an
-- expired or aborted one stays as a tombstone for ten lease lifetimes. False if it was not open.
CREATE FUNCTION dfs_end_lease(p_id text, p_state text, p_now bigint) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
  v_lease dfs_leases%ROWTYPE;
  v_ids text[];
BEGIN
  SELECT * INTO v_lease FROM dfs_leases l WHERE l.id = p_id FOR UPDATE;
  IF NOT FOUND OR v_lease.state <> 'open' THEN RETURN false; END IF;
  WITH gone AS (DELETE FROM dfs_lease_chunks lc WHERE lc.lease_id = p_id RETURNING lc.chunk_id)
    SELECT array_agg(gone.chunk_id) INTO v_ids FROM gone;
  PERFORM dfs_chunk_delta(NULL, NULL, v_ids, p_now);
  DELETE FROM dfs_parts p WHERE p.lease_id = p_id;
  IF p_state = 'committed' THEN
    DELETE FROM dfs_leases l WHERE l.id = p_id;
  ELSE
    UPDATE dfs_leases l SET state = p_state, expires = p_now + 10 * l.ttl, chunk_count = 0 WHERE l.id = p_id;
  END IF;
  RETURN true;
END $$;
`;
