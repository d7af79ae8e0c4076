// Migration 9 of the PostgreSQL metadata store: resendable calls (see Resendable in store.ts).
// Each `_once` function runs its call as the plain one does, in the same statement as the claim
// of the call's id and the answer it keeps, so one round trip still does it. Never edit a
// released migration: add one.

/** dfs_ops, dfs_op_claim and the `_once` forms of remove, removeTree, rmdir and move. */
export const OPS_SQL = `
-- The answers of resendable calls, forgotten after \`expires\` (MetaStore.expireLeases).
CREATE TABLE dfs_ops (
  id text COLLATE "C" PRIMARY KEY,
  what text NOT NULL,
  result jsonb,
  expires bigint NOT NULL
);
CREATE INDEX dfs_ops_expires ON dfs_ops (expires);

-- Claims id p_op for call p_what: NULL when this transaction is the first to run it (the caller
-- then keeps its answer in the claimed row), else {"result": the answer it gave}. A claim by a
-- transaction still running waits for its end. An id that came with another call is refused.
CREATE FUNCTION dfs_op_claim(p_op text, p_what text, p_expires bigint) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  v_done dfs_ops%ROWTYPE;
BEGIN
  INSERT INTO dfs_ops (id, what, expires) VALUES (p_op, p_what, p_expires) ON CONFLICT (id) DO NOTHING;
  IF FOUND THEN
    RETURN NULL;
  END IF;
  SELECT * INTO v_done FROM dfs_ops o WHERE o.id = p_op;
  IF v_done.what <> p_what THEN
    PERFORM dfs_fail('conflict', format('operation id %s was already used for another call', p_op));
  END IF;
  RETURN jsonb_build_object('result', v_done.result);
END $$;

CREATE FUNCTION dfs_remove_once(p_op text, p_what text, p_expires bigint, p_path text,
  p_if_generation bigint, p_now bigint) RETURNS SETOF dfs_entries LANGUAGE plpgsql AS $$
DECLARE
  v_done jsonb := dfs_op_claim(p_op, p_what, p_expires);
  v_row dfs_entries%ROWTYPE;
BEGIN
  IF v_done IS NOT NULL THEN
    RETURN QUERY SELECT * FROM jsonb_populate_record(NULL::dfs_entries, v_done->'result');
    RETURN;
  END IF;
  SELECT * INTO v_row FROM dfs_remove(p_path, p_if_generation, p_now);
  UPDATE dfs_ops o SET result = to_jsonb(v_row) WHERE o.id = p_op;
  RETURN NEXT v_row;
END $$;

CREATE FUNCTION dfs_remove_tree_once(p_op text, p_what text, p_expires bigint, p_prefix text, p_now bigint)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  v_done jsonb := dfs_op_claim(p_op, p_what, p_expires);
  v_files bigint;
BEGIN
  IF v_done IS NOT NULL THEN
    RETURN (v_done->>'result')::bigint;
  END IF;
  v_files := dfs_remove_tree(p_prefix, p_now);
  UPDATE dfs_ops o SET result = to_jsonb(v_files) WHERE o.id = p_op;
  RETURN v_files;
END $$;

-- rmdir, or with p_keep_contents only the folder's own entry.
CREATE FUNCTION dfs_rmdir_once(p_op text, p_what text, p_expires bigint, p_prefix text, p_keep_contents boolean)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF dfs_op_claim(p_op, p_what, p_expires) IS NOT NULL THEN
    RETURN;
  END IF;
  IF NOT p_keep_contents THEN
    PERFORM dfs_rmdir(p_prefix);
    RETURN;
  END IF;
  DELETE FROM dfs_entries e WHERE e.path = p_prefix;
  IF NOT FOUND THEN
    PERFORM dfs_fail('not_found', format('not found: %s', p_prefix));
  END IF;
END $$;

CREATE FUNCTION dfs_move_once(p_op text, p_what text, p_expires bigint, p_from text, p_to text,
  p_overwrite boolean, p_parents text[], p_max_bytes integer, p_now bigint) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  v_done jsonb := dfs_op_claim(p_op, p_what, p_expires);
  v_moved bigint;
BEGIN
  IF v_done IS NOT NULL THEN
    RETURN (v_done->>'result')::bigint;
  END IF;
  v_moved := dfs_move(p_from, p_to, p_overwrite, p_parents, p_max_bytes, p_now);
  UPDATE dfs_ops o SET result = to_jsonb(v_moved) WHERE o.id = p_op;
  RETURN v_moved;
END $$;
`;
