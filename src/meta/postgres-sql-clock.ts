// Migrations 4 and 6 of the PostgreSQL metadata store: the leadership lease (4) and the masters'
// heartbeats (6) are judged by PostgreSQL's clock, the one clock every master sharing the
// database agrees on. Each master's own clock still times how long it may act on a lease it won
// (a duration, which skew does not change). Never edit a released migration: add one.

/** dfs_claim_leadership with p_now optional: NULL takes the database's clock. */
export const CLOCK_SQL = `
-- MetaStore.claimLeadership: takes or renews the lease; a takeover bumps the epoch. With p_now
-- NULL (as masters call it) the lease is judged by this database's clock: a master whose clock
-- runs ahead cannot take over a lease its holder still renews.
CREATE OR REPLACE FUNCTION dfs_claim_leadership(p_holder text, p_ttl bigint, p_now bigint)
RETURNS SETOF dfs_leadership LANGUAGE plpgsql AS $$
DECLARE
  v_cur dfs_leadership%ROWTYPE;
BEGIN
  p_now := coalesce(p_now, floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint);
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

/** dfs_heartbeat_master with p_last_seen optional: NULL takes the database's clock. */
export const HEARTBEAT_CLOCK_SQL = `
-- MetaStore.heartbeatMaster: records this master, forgets those silent past p_window, lists the
-- rest. With p_last_seen NULL (as masters call it) by this database's clock: a master whose
-- clock runs ahead does not forget the others. Not flushed: a lost heartbeat is sent again.
CREATE OR REPLACE FUNCTION dfs_heartbeat_master(p_id text, p_url text, p_last_seen bigint, p_window bigint)
RETURNS SETOF dfs_masters LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('synchronous_commit', 'off', true);
  p_last_seen := coalesce(p_last_seen, floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint);
  INSERT INTO dfs_masters AS m (id, url, last_seen) VALUES (p_id, p_url, p_last_seen)
    ON CONFLICT (id) DO UPDATE SET url = excluded.url, last_seen = excluded.last_seen;
  DELETE FROM dfs_masters m WHERE p_last_seen - m.last_seen > p_window;
  RETURN QUERY SELECT * FROM dfs_masters m ORDER BY m.id;
END $$;
`;
