// Migration 3 of the PostgreSQL metadata store: upload leases, collection, multipart parts, WebDAV
// locks, masters and leadership as PL/pgSQL functions (the rules of kv-chunks.ts and kv-locks.ts).
// Never edit a released migration: add one.

/** The functions behind lease (and its batches), expireLeases, doom, purge, putPart, createLock, heartbeatMaster, claimLeadership. */
export const CHUNKS_SQL = `
-- MetaStore.lease: creates or extends lease p_id and pins the chunks; returns those revived from
-- collection (first appearance order). Not flushed: a lease lost to a crash only refuses its
-- commit. Three statements as a rule: the lease (created or extended, and locked); the new pins,
-- rows for chunks the table does not know, and the lease's count; the pinned rows locked in id
-- order, pinned and revived.
CREATE FUNCTION dfs_lease(p_id text, p_ids text[], p_sizes bigint[], p_ttl bigint, p_now bigint)
RETURNS text[] LANGUAGE plpgsql AS $$
DECLARE
  v_state text;
  v_fresh text[];
  v_fresh_sizes bigint[];
  v_todo text[];
  v_done text[];
  v_revived text[] := '{}';
  v_more text[];
BEGIN
  PERFORM set_config('synchronous_commit', 'off', true);
  INSERT INTO dfs_leases AS l (id, state, expires, ttl) VALUES (p_id, 'open', p_now + p_ttl, p_ttl)
    ON CONFLICT (id) DO UPDATE SET expires = greatest(l.expires, p_now + l.ttl)
    RETURNING l.state INTO v_state;
  IF v_state <> 'open' THEN
    PERFORM dfs_fail('conflict', 'the upload was idle for too long and expired; upload the file again');
  END IF;
  WITH wanted AS (
    SELECT u.id, min(u.n) AS n, min(u.size) AS size FROM unnest(p_ids, p_sizes) WITH ORDINALITY u(id, size, n)
      GROUP BY u.id
  ), added AS (
    INSERT INTO dfs_lease_chunks (lease_id, chunk_id) SELECT p_id, w.id FROM wanted w ORDER BY w.id
      ON CONFLICT DO NOTHING RETURNING chunk_id
  ), fresh AS (
    SELECT w.id, w.size, w.n FROM wanted w JOIN added a ON a.chunk_id = w.id
  ), created AS (
    INSERT INTO dfs_chunks (id, size) SELECT f.id, f.size FROM fresh f ORDER BY f.id ON CONFLICT DO NOTHING
  ), counted AS (
    UPDATE dfs_leases l SET chunk_count = l.chunk_count + (SELECT count(*) FROM added) WHERE l.id = p_id
  )
  SELECT array_agg(f.id ORDER BY f.n), array_agg(f.size ORDER BY f.n) INTO v_fresh, v_fresh_sizes FROM fresh f;
  v_todo := v_fresh;
  WHILE cardinality(v_todo) > 0 LOOP
    WITH locked AS (
      SELECT c.id, c.doomed FROM dfs_chunks c WHERE c.id = ANY (v_todo) ORDER BY c.id FOR UPDATE
    ), pinned AS (
      UPDATE dfs_chunks c SET pins = c.pins + 1, zero_since = 0, doomed = false
        FROM locked WHERE c.id = locked.id RETURNING c.id, locked.doomed AS was_doomed
    )
    SELECT array_agg(p.id), array_agg(p.id) FILTER (WHERE p.was_doomed) INTO v_done, v_more FROM pinned p;
    v_revived := v_revived || coalesce(v_more, '{}');
    EXIT WHEN cardinality(v_done) = cardinality(v_todo);
    v_todo := ARRAY(SELECT t FROM unnest(v_todo) t WHERE NOT t = ANY (coalesce(v_done, '{}')));
    -- A row purged since it was created or found: create it again.
    INSERT INTO dfs_chunks (id, size) SELECT u.id, u.size FROM unnest(v_fresh, v_fresh_sizes) u(id, size)
      WHERE u.id = ANY (v_todo) ORDER BY u.id ON CONFLICT DO NOTHING;
  END LOOP;
  IF cardinality(v_revived) > 1 THEN
    v_revived := ARRAY(SELECT u FROM unnest(v_fresh) u WHERE u = ANY (v_revived));
  END IF;
  RETURN v_revived;
END $$;

-- Several leases in one transaction (one round trip): p_items is a JSON array of dfs_lease's
-- arguments. A lease that ended raises, failing the batch (the caller runs them one by one then).
-- Every chunk row of the batch is made and locked first, in key order, so two batches sharing
-- chunks queue instead of deadlocking.
CREATE FUNCTION dfs_lease_batch(p_items jsonb) RETURNS TABLE (item bigint, revived text[])
LANGUAGE plpgsql AS $$
DECLARE
  r record;
BEGIN
  INSERT INTO dfs_chunks (id, size)
    SELECT DISTINCT ON (c.id) c.id, c.size
      FROM jsonb_to_recordset(p_items) AS x(chunk_ids text[], chunk_sizes bigint[]),
           unnest(x.chunk_ids, x.chunk_sizes) AS c(id, size)
      ORDER BY c.id
    ON CONFLICT DO NOTHING;
  PERFORM 1 FROM dfs_chunks c
    WHERE c.id IN (SELECT i FROM jsonb_to_recordset(p_items) AS x(chunk_ids text[]), unnest(x.chunk_ids) i)
    ORDER BY c.id FOR UPDATE;
  FOR r IN SELECT * FROM ROWS FROM (jsonb_to_recordset(p_items) AS (id text, chunk_ids text[],
      chunk_sizes bigint[], ttl bigint, now bigint))
    WITH ORDINALITY AS x(id, chunk_ids, chunk_sizes, ttl, now, n) LOOP
    item := r.n;
    revived := dfs_lease(r.id, r.chunk_ids, r.chunk_sizes, r.ttl, r.now);
    RETURN NEXT;
  END LOOP;
END $$;

-- MetaStore.expireLeases: ends open leases past their expiry, forgets tombstones past theirs.
-- SKIP LOCKED: a lease being committed right now is left for the next round. The chunks of all
-- the leases ended are locked at once, in key order.
CREATE FUNCTION dfs_expire_leases(p_now bigint, p_limit integer) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  v_open text[];
  v_gone text[];
BEGIN
  SELECT array_agg(x.id) FILTER (WHERE x.state = 'open'), array_agg(x.id) FILTER (WHERE x.state <> 'open')
    INTO v_open, v_gone
    FROM (SELECT l.id, l.state FROM dfs_leases l WHERE l.expires < p_now ORDER BY l.expires
            LIMIT p_limit FOR UPDATE SKIP LOCKED) x;
  DELETE FROM dfs_leases l WHERE l.id = ANY (v_gone);
  PERFORM 1 FROM dfs_chunks c
    WHERE c.id IN (SELECT k.chunk_id FROM dfs_lease_chunks k WHERE k.lease_id = ANY (v_open))
    ORDER BY c.id FOR UPDATE;
  PERFORM dfs_end_lease(o, 'expired', p_now) FROM unnest(v_open) o;
  RETURN coalesce(cardinality(v_open), 0);
END $$;

-- Refuses a deposed leader's destructive change. FOR SHARE: a takeover waits for changes made
-- under the old epoch to commit, and a change waits for a takeover in flight, then sees its epoch.
CREATE FUNCTION dfs_fence(p_epoch bigint) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  v_epoch bigint;
BEGIN
  SELECT l.epoch INTO v_epoch FROM dfs_leadership l FOR SHARE;
  IF FOUND AND v_epoch <> p_epoch THEN
    PERFORM dfs_fail('conflict', format('epoch %s is no longer the leader''s (%s)', p_epoch, v_epoch));
  END IF;
END $$;

-- MetaStore.doom: condemns the candidates still collectable; returns them in candidate order.
CREATE FUNCTION dfs_doom(p_ids text[], p_sizes bigint[], p_absent boolean[], p_grace bigint,
  p_now bigint, p_epoch bigint) RETURNS text[] LANGUAGE plpgsql AS $$
DECLARE
  v_doomed text[];
BEGIN
  PERFORM dfs_fence(p_epoch);
  -- A chunk the table does not know becomes a condemned row at once.
  INSERT INTO dfs_chunks (id, size, zero_since, doomed)
    SELECT u.id, u.size, p_now, true FROM unnest(p_ids, p_sizes, p_absent) u(id, size, absent)
      WHERE u.absent ORDER BY u.id
    ON CONFLICT DO NOTHING;
  PERFORM 1 FROM dfs_chunks c WHERE c.id = ANY (p_ids) ORDER BY c.id FOR UPDATE;
  UPDATE dfs_chunks c SET doomed = true
    WHERE c.id = ANY (p_ids) AND NOT c.doomed AND c.refs = 0 AND c.pins = 0 AND p_now - c.zero_since >= p_grace;
  SELECT array_agg(u.id ORDER BY u.n) INTO v_doomed FROM unnest(p_ids) WITH ORDINALITY u(id, n)
    JOIN dfs_chunks c ON c.id = u.id WHERE c.doomed;
  RETURN coalesce(v_doomed, '{}');
END $$;

-- MetaStore.purge: forgets condemned chunks nothing claimed since.
CREATE FUNCTION dfs_purge(p_ids text[], p_epoch bigint) RETURNS text[] LANGUAGE plpgsql AS $$
DECLARE
  v_gone text[];
BEGIN
  PERFORM dfs_fence(p_epoch);
  PERFORM 1 FROM dfs_chunks c WHERE c.id = ANY (p_ids) ORDER BY c.id FOR UPDATE;
  WITH gone AS (
    DELETE FROM dfs_chunks c WHERE c.id = ANY (p_ids) AND c.doomed AND c.refs = 0 AND c.pins = 0
      RETURNING c.id
  ), firsts AS (
    SELECT u.id, min(u.n) AS n FROM unnest(p_ids) WITH ORDINALITY u(id, n) GROUP BY u.id
  )
  SELECT array_agg(f.id ORDER BY f.n) INTO v_gone FROM firsts f JOIN gone g ON g.id = f.id;
  RETURN coalesce(v_gone, '{}');
END $$;

-- MetaStore.putPart: records a part whose chunks the upload pins (or files reference).
CREATE FUNCTION dfs_put_part(p_id text, p_number integer, p_size bigint, p_etag text, p_ids text[],
  p_sizes bigint[], p_last_modified bigint, p_now bigint) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  v_lease dfs_leases%ROWTYPE;
BEGIN
  SELECT * INTO v_lease FROM dfs_leases l WHERE l.id = p_id FOR UPDATE;
  IF NOT FOUND OR v_lease.mp_path IS NULL OR v_lease.state <> 'open' THEN
    PERFORM dfs_fail('not_found', format('no such multipart upload: %s', p_id));
  END IF;
  PERFORM 1 FROM dfs_chunks c WHERE c.id = ANY (p_ids) ORDER BY c.id FOR SHARE;
  PERFORM dfs_check_chunks(p_ids, p_id);
  INSERT INTO dfs_parts AS p (lease_id, number, size, etag, chunk_ids, chunk_sizes, last_modified)
    VALUES (p_id, p_number, p_size, p_etag, p_ids, p_sizes, p_last_modified)
    ON CONFLICT (lease_id, number) DO UPDATE SET size = excluded.size, etag = excluded.etag,
      chunk_ids = excluded.chunk_ids, chunk_sizes = excluded.chunk_sizes, last_modified = excluded.last_modified;
  UPDATE dfs_leases l SET expires = greatest(l.expires, p_now + l.ttl) WHERE l.id = p_id;
END $$;

-- MetaStore.createLock. p_roots: the folder keys above p_root, then p_root. Lock creation is
-- rare, so one at a time (a transaction-scoped advisory lock) keeps the conflict check simple.
CREATE FUNCTION dfs_create_lock(p_token text, p_root text, p_depth text, p_scope text, p_owner text,
  p_timeout_seconds bigint, p_expires bigint, p_roots text[], p_now bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  v_below boolean := p_depth = 'infinity' AND right(p_root, 1) = '/';
  v_held text;
BEGIN
  PERFORM pg_advisory_xact_lock(1685417843, 1);
  DELETE FROM dfs_locks k WHERE k.expires <= p_now AND (k.root = ANY (p_roots)
    OR (v_below AND k.root > p_root AND k.root < p_root || chr(1114111)));
  -- An ancestor's lock covers this path only at depth infinity; any lock below it counts.
  SELECT k.root INTO v_held FROM dfs_locks k
    WHERE (k.root = ANY (p_roots) OR (v_below AND k.root > p_root AND k.root < p_root || chr(1114111)))
      AND (k.root = p_root OR k.depth = 'infinity' OR NOT starts_with(p_root, k.root))
      AND (k.scope = 'exclusive' OR p_scope = 'exclusive')
    ORDER BY k.root LIMIT 1;
  IF FOUND THEN
    PERFORM dfs_fail('locked', format('%s is locked by another lock (%s)', p_root, v_held));
  END IF;
  INSERT INTO dfs_locks AS k (token, root, depth, scope, owner, timeout_seconds, expires)
    VALUES (p_token, p_root, p_depth, p_scope, p_owner, p_timeout_seconds, p_expires)
    ON CONFLICT (token) DO UPDATE SET root = excluded.root, depth = excluded.depth, scope = excluded.scope,
      owner = excluded.owner, timeout_seconds = excluded.timeout_seconds, expires = excluded.expires;
END $$;

-- MetaStore.heartbeatMaster: records this master, forgets those silent past p_window, lists the
-- rest. Not flushed: a heartbeat lost to a crash is sent again.
CREATE FUNCTION dfs_heartbeat_master(p_id text, p_url text, p_last_seen bigint, p_window bigint)
RETURNS SETOF dfs_masters LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('synchronous_commit', 'off', true);
  INSERT INTO dfs_masters AS m (id, url, last_seen) VALUES (p_id, p_url, p_last_seen)
    ON CONFLICT (id) DO UPDATE SET url = excluded.url, last_seen = excluded.last_seen;
  DELETE FROM dfs_masters m WHERE p_last_seen - m.last_seen > p_window;
  RETURN QUERY SELECT * FROM dfs_masters m ORDER BY m.id;
END $$;

-- MetaStore.claimLeadership: takes or renews the lease; a takeover bumps the epoch.
CREATE FUNCTION dfs_claim_leadership(p_holder text, p_ttl bigint, p_now bigint)
RETURNS SETOF dfs_leadership LANGUAGE plpgsql AS $$
DECLARE
  v_cur dfs_leadership%ROWTYPE;
BEGIN
  INSERT INTO dfs_leadership (id, holder, epoch, expires) VALUES (true, p_holder, 1, p_now + p_ttl)
    ON CONFLICT (id) DO NOTHING RETURNING * INTO v_cur;
  IF NOT FOUND THEN
    SELECT * INTO v_cur FROM dfs_leadership l FOR UPDATE;
    IF v_cur.holder = p_holder OR v_cur.expires <= p_now THEN
      UPDATE dfs_leadership l
        SET epoch = l.epoch + CASE WHEN l.holder <> p_holder OR l.expires <= p_now THEN 1 ELSE 0 END,
            holder = p_holder, expires = p_now + p_ttl
        RETURNING * INTO v_cur;
    END IF;
  END IF;
  RETURN NEXT v_cur;
END $$;
`;

/** Migration 8: a part keeps its checksum (an S3 multipart upload with a checksum algorithm). */
export const PART_CHECKSUM_SQL = `
ALTER TABLE dfs_parts ADD COLUMN checksum text;

-- MetaStore.putPart: records a part whose chunks the upload pins (or files reference), with the
-- part's checksum in its upload's algorithm (NULL: none).
CREATE FUNCTION dfs_put_part(p_id text, p_number integer, p_size bigint, p_etag text, p_ids text[],
  p_sizes bigint[], p_last_modified bigint, p_now bigint, p_checksum text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  v_lease dfs_leases%ROWTYPE;
BEGIN
  SELECT * INTO v_lease FROM dfs_leases l WHERE l.id = p_id FOR UPDATE;
  IF NOT FOUND OR v_lease.mp_path IS NULL OR v_lease.state <> 'open' THEN
    PERFORM dfs_fail('not_found', format('no such multipart upload: %s', p_id));
  END IF;
  PERFORM 1 FROM dfs_chunks c WHERE c.id = ANY (p_ids) ORDER BY c.id FOR SHARE;
  PERFORM dfs_check_chunks(p_ids, p_id);
  INSERT INTO dfs_parts AS p (lease_id, number, size, etag, checksum, chunk_ids, chunk_sizes, last_modified)
    VALUES (p_id, p_number, p_size, p_etag, p_checksum, p_ids, p_sizes, p_last_modified)
    ON CONFLICT (lease_id, number) DO UPDATE SET size = excluded.size, etag = excluded.etag,
      checksum = excluded.checksum, chunk_ids = excluded.chunk_ids, chunk_sizes = excluded.chunk_sizes,
      last_modified = excluded.last_modified;
  UPDATE dfs_leases l SET expires = greatest(l.expires, p_now + l.ttl) WHERE l.id = p_id;
END $$;

-- The previous version's call (a master not upgraded yet): a part it records has no checksum.
CREATE OR REPLACE FUNCTION dfs_put_part(p_id text, p_number integer, p_size bigint, p_etag text, p_ids text[],
  p_sizes bigint[], p_last_modified bigint, p_now bigint) RETURNS void LANGUAGE sql AS $$
  SELECT dfs_put_part(p_id, p_number, p_size, p_etag, p_ids, p_sizes, p_last_modified, p_now, NULL);
$$;
`;
