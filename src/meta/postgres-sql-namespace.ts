// Migration 2 of the PostgreSQL metadata store, part 3: the rest of the namespace as PL/pgSQL
// functions, one call per MetaStore method (the rules of kv-namespace.ts). Never edit a released
// migration: add one.

/** remove, removeTree, mkdir, rmdir, move, folder attributes and listing. */
export const NAMESPACE_SQL = `
-- MetaStore.remove.
CREATE FUNCTION dfs_remove(p_path text, p_if_generation bigint, p_now bigint)
RETURNS SETOF dfs_entries LANGUAGE plpgsql AS $$
DECLARE
  v_cur dfs_entries%ROWTYPE;
BEGIN
  SELECT * INTO v_cur FROM dfs_entries e WHERE e.path = p_path AND right(e.path, 1) <> '/' FOR UPDATE;
  IF NOT FOUND THEN
    IF dfs_folder_exists(p_path || '/') THEN
      PERFORM dfs_fail('conflict', format('%s is a folder, not a file', p_path));
    END IF;
    PERFORM dfs_fail('not_found', format('not found: %s', p_path));
  END IF;
  IF p_if_generation IS NOT NULL AND v_cur.generation <> p_if_generation THEN
    PERFORM dfs_fail('precondition_failed', format('%s was changed by someone else', p_path));
  END IF;
  DELETE FROM dfs_entries e WHERE e.path = p_path;
  PERFORM dfs_chunk_delta(NULL, v_cur.chunk_ids, NULL, p_now);
  PERFORM dfs_count(-1, -v_cur.size);
  RETURN NEXT v_cur;
END $$;

-- MetaStore.removeTree: the files removed.
CREATE FUNCTION dfs_remove_tree(p_prefix text, p_now bigint) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  v_rows bigint;
  v_files bigint;
  v_bytes bigint;
  v_ids text[];
BEGIN
  -- Rows in key order first: the DELETE may visit them in the order they lie on disk.
  PERFORM 1 FROM dfs_entries e WHERE e.path >= p_prefix AND e.path < p_prefix || chr(1114111)
    ORDER BY e.path FOR UPDATE;
  WITH gone AS (
    DELETE FROM dfs_entries e WHERE e.path >= p_prefix AND e.path < p_prefix || chr(1114111)
      RETURNING e.path, e.size, e.chunk_ids
  )
  SELECT count(*), count(*) FILTER (WHERE right(gone.path, 1) <> '/'), coalesce(sum(gone.size), 0),
         (SELECT array_agg(i) FROM gone g, unnest(g.chunk_ids) i)
    INTO v_rows, v_files, v_bytes, v_ids FROM gone;
  IF v_rows = 0 THEN
    PERFORM dfs_fail('not_found', format('not found: %s', p_prefix));
  END IF;
  PERFORM dfs_chunk_delta(NULL, v_ids, NULL, p_now);
  PERFORM dfs_count(-v_files, -v_bytes);
  RETURN v_files;
END $$;

-- MetaStore.mkdir: creates p_prefix and the folders above it (p_parents: their names, '/' excluded).
CREATE FUNCTION dfs_mkdir(p_prefix text, p_parents text[], p_now bigint)
RETURNS SETOF dfs_entries LANGUAGE plpgsql AS $$
DECLARE
  v_name text := left(p_prefix, -1);
BEGIN
  PERFORM dfs_lock_names(p_parents || v_name, NULL);
  PERFORM dfs_check_parents(p_parents);
  IF EXISTS (SELECT 1 FROM dfs_entries e WHERE e.path = v_name) THEN
    PERFORM dfs_fail('conflict', format('%s is a file', v_name));
  END IF;
  INSERT INTO dfs_entries (path, created) SELECT n || '/', p_now FROM unnest(p_parents || v_name) n
    ON CONFLICT (path) DO NOTHING;
  RETURN QUERY SELECT * FROM dfs_entries e WHERE e.path = p_prefix;
END $$;

-- MetaStore.rmdir.
CREATE FUNCTION dfs_rmdir(p_prefix text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM dfs_entries e WHERE e.path > p_prefix AND e.path < p_prefix || chr(1114111)) THEN
    PERFORM dfs_fail('conflict', format('%s is not empty', p_prefix));
  END IF;
  DELETE FROM dfs_entries e WHERE e.path = p_prefix;
  IF NOT FOUND THEN
    PERFORM dfs_fail('not_found', format('not found: %s', p_prefix));
  END IF;
END $$;

-- MetaStore.move (the caller refused a move below itself and handles from = to): a file, or a
-- folder with everything below it in one UPDATE of the key range. p_parents: the names above
-- p_to ('/' excluded). Returns the files moved.
CREATE FUNCTION dfs_move(p_from text, p_to text, p_overwrite boolean, p_parents text[],
  p_max_bytes integer, p_now bigint) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  v_file dfs_entries%ROWTYPE;
  v_existing dfs_entries%ROWTYPE;
  v_source text := CASE WHEN right(p_from, 1) = '/' THEN p_from ELSE p_from || '/' END;
  v_target text := CASE WHEN right(p_to, 1) = '/' THEN p_to ELSE p_to || '/' END;
  v_longest text;
  v_moved bigint;
BEGIN
  -- Both names exclusively: moves that share a name queue on these (in key order) before they
  -- lock rows whose keys they change, and commits below a folder being moved wait for it.
  PERFORM dfs_lock_names(p_parents, ARRAY[p_from, p_to]);
  PERFORM dfs_check_parents(p_parents);
  -- A file move's two rows in key order, as removeTree takes them.
  PERFORM 1 FROM dfs_entries e WHERE e.path IN (p_from, p_to) ORDER BY e.path FOR UPDATE;
  SELECT * INTO v_file FROM dfs_entries e WHERE e.path = p_from FOR UPDATE;
  IF FOUND THEN
    IF dfs_folder_exists(p_to || '/') THEN
      PERFORM dfs_fail('conflict', format('%s is a folder', p_to));
    END IF;
    SELECT * INTO v_existing FROM dfs_entries e WHERE e.path = p_to FOR UPDATE;
    IF FOUND THEN
      IF NOT p_overwrite THEN
        PERFORM dfs_fail('conflict', format('%s already exists', p_to));
      END IF;
      DELETE FROM dfs_entries e WHERE e.path = p_to;
      PERFORM dfs_chunk_delta(NULL, v_existing.chunk_ids, NULL, p_now);
      PERFORM dfs_count(-1, -v_existing.size);
    END IF;
    UPDATE dfs_entries e SET path = p_to WHERE e.path = p_from;
    RETURN 1;
  END IF;
  -- Rows in key order first: the UPDATE may visit them in the order they lie on disk.
  PERFORM 1 FROM dfs_entries e WHERE e.path >= v_source AND e.path < v_source || chr(1114111)
    ORDER BY e.path FOR UPDATE;
  SELECT e.path INTO v_longest FROM dfs_entries e
    WHERE e.path >= v_source AND e.path < v_source || chr(1114111)
    ORDER BY octet_length(e.path) DESC LIMIT 1;
  IF v_longest IS NULL THEN
    PERFORM dfs_fail('not_found', format('not found: %s', p_from));
  END IF;
  IF EXISTS (SELECT 1 FROM dfs_entries e WHERE e.path = p_to) OR dfs_folder_exists(v_target) THEN
    PERFORM dfs_fail('conflict', format('%s already exists', p_to));
  END IF;
  v_longest := v_target || substr(v_longest, length(v_source) + 1);
  IF octet_length(v_longest) > p_max_bytes THEN
    PERFORM dfs_fail('bad_request', format('the move would make %s… longer than %s bytes; nothing was moved',
      left(v_longest, 60), p_max_bytes));
  END IF;
  WITH moved AS (
    UPDATE dfs_entries e SET path = v_target || substr(e.path, length(v_source) + 1)
      WHERE e.path >= v_source AND e.path < v_source || chr(1114111)
      RETURNING e.path
  )
  SELECT count(*) FILTER (WHERE right(moved.path, 1) <> '/') INTO v_moved FROM moved;
  RETURN v_moved;
END $$;

-- MetaStore.setAttributes of a folder (key ending in '/'): an implied folder becomes explicit.
CREATE FUNCTION dfs_set_folder_attributes(p_prefix text, p_set jsonb, p_remove text[], p_now bigint)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM dfs_lock_names(ARRAY[left(p_prefix, -1)], NULL);
  IF p_prefix <> '/' AND NOT dfs_folder_exists(p_prefix) THEN
    PERFORM dfs_fail('not_found', format('not found: %s', p_prefix));
  END IF;
  INSERT INTO dfs_entries AS e (path, created, attributes) VALUES (p_prefix, p_now, ('{}'::jsonb || p_set) - p_remove)
    ON CONFLICT (path) DO UPDATE
    SET created = CASE WHEN e.created = 0 THEN p_now ELSE e.created END,
        attributes = (e.attributes || p_set) - p_remove;
END $$;

-- The keys of a page of a delimiter listing (kind 'f' file, 'd' explicit folder, 'i' implied
-- folder), at most p_limit + 1 so the caller knows whether more follow. A loose index scan: runs
-- of files come from one range scan, and each sub-folder costs one row and one new index probe
-- past everything below it, so a page costs the same in a folder of 100,000 files as in one of
-- 100,000 sub-folders. STABLE: it reads the caller's snapshot, so the join on its keys agrees.
CREATE FUNCTION dfs_list_children(p_prefix text, p_after text, p_limit integer)
RETURNS TABLE (key text, kind "char") LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_end text := p_prefix || chr(1114111);
  v_cursor text;
  v_emitted integer := 0;
  v_batch integer;
  v_seen integer;
  v_last text;
  v_jump boolean;
  v_rest text;
  v_slash integer;
  r record;
BEGIN
  v_cursor := CASE WHEN p_after IS NULL THEN p_prefix
                   WHEN right(p_after, 1) = '/' THEN p_after || chr(1114111)
                   ELSE p_after || chr(1) END;
  LOOP
    v_batch := p_limit + 1 - v_emitted;
    v_seen := 0;
    v_jump := false;
    FOR r IN SELECT e.path FROM dfs_entries e WHERE e.path >= v_cursor AND e.path < v_end
               ORDER BY e.path LIMIT v_batch LOOP
      v_seen := v_seen + 1;
      v_last := r.path;
      v_rest := substr(r.path, length(p_prefix) + 1);
      -- The prefix's own folder row is not below it (a file of exactly that name is listed).
      CONTINUE WHEN v_rest = '' AND right(r.path, 1) = '/';
      v_slash := strpos(v_rest, '/');
      IF v_slash = 0 THEN
        key := r.path; kind := 'f';
      ELSIF v_slash = length(v_rest) THEN
        key := r.path; kind := 'd'; v_jump := true;
      ELSE
        -- Deeper than one level: the folder is implied (an explicit one would have sorted first).
        key := p_prefix || left(v_rest, v_slash); kind := 'i'; v_jump := true;
      END IF;
      RETURN NEXT;
      v_emitted := v_emitted + 1;
      IF v_emitted > p_limit THEN RETURN; END IF;
      IF v_jump THEN
        v_cursor := key || chr(1114111);
        EXIT;
      END IF;
    END LOOP;
    IF NOT v_jump THEN
      IF v_seen < v_batch THEN RETURN; END IF;
      v_cursor := v_last || chr(1);
    END IF;
  END LOOP;
END $$;
`;
