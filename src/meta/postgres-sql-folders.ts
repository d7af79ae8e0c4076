// Migration 5 of the PostgreSQL metadata store: a folder made explicit on its own, its missing
// ancestors left implied by it (an S3 folder object makes no objects of its parents).
// Never edit a released migration: add one.

/** dfs_mkdir_leaf: dfs_mkdir without making the ancestors explicit. */
export const FOLDERS_SQL = `
-- MetaStore.mkdir with impliedParents: the same checks as dfs_mkdir; only p_prefix gets a row.
CREATE FUNCTION dfs_mkdir_leaf(p_prefix text, p_parents text[], p_now bigint)
RETURNS SETOF dfs_entries LANGUAGE plpgsql AS $$
DECLARE
  v_name text := left(p_prefix, -1);
BEGIN
  PERFORM dfs_lock_names(p_parents || v_name, NULL);
  PERFORM dfs_check_parents(p_parents);
  IF EXISTS (SELECT 1 FROM dfs_entries e WHERE e.path = v_name) THEN
    PERFORM dfs_fail('conflict', format('%s is a file', v_name));
  END IF;
  INSERT INTO dfs_entries (path, created) VALUES (p_prefix, p_now) ON CONFLICT (path) DO NOTHING;
  RETURN QUERY SELECT * FROM dfs_entries e WHERE e.path = p_prefix;
END $$;
`;
