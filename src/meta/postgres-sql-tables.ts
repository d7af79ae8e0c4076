// Migration 1 of the PostgreSQL metadata store: the tables. Keys are `text COLLATE "C"`, so
// they sort by UTF-8 bytes as every backend's keys do. Never edit a released migration: add one.

/** The tables, the generation sequence and the totals slots. */
export const TABLES_SQL = `
-- The namespace, laid out like the key-value backends: a file's key is its path, an explicit
-- folder's key is its path with a trailing '/', so a folder's contents are one key range.
CREATE TABLE dfs_entries (
  path text COLLATE "C" PRIMARY KEY,
  size bigint NOT NULL DEFAULT 0,
  sha256 text,
  generation bigint,
  created bigint NOT NULL,
  upload_id text,
  content_type text,
  metadata jsonb,
  attributes jsonb NOT NULL DEFAULT '{}',
  chunk_count integer NOT NULL DEFAULT 0,
  chunk_ids text[],
  chunk_sizes bigint[]
) WITH (fillfactor = 90);

-- Generations grow with every commit. CACHE 1 (the default) is required: with a per-session
-- cache two masters could hand a later version of a path a smaller generation.
CREATE SEQUENCE dfs_generation;

-- File count and bytes as 64 slots, each commit adding to the slot of its connection
-- (backend pid mod 64) and reads summing them: exact, and no single row that every commit
-- must lock until its WAL flush.
CREATE TABLE dfs_totals (
  slot integer PRIMARY KEY,
  files bigint NOT NULL DEFAULT 0,
  bytes bigint NOT NULL DEFAULT 0
) WITH (fillfactor = 50);
INSERT INTO dfs_totals (slot) SELECT generate_series(0, 63);

CREATE TABLE dfs_chunks (
  id text COLLATE "C" PRIMARY KEY,
  size bigint NOT NULL,
  refs integer NOT NULL DEFAULT 0 CHECK (refs >= 0),
  pins integer NOT NULL DEFAULT 0 CHECK (pins >= 0),
  zero_since bigint NOT NULL DEFAULT 0,
  doomed boolean NOT NULL DEFAULT false
) WITH (fillfactor = 80);

-- Upload leases, open or tombstones; an S3 multipart upload is a lease with its target (mp_*).
CREATE TABLE dfs_leases (
  id text COLLATE "C" PRIMARY KEY,
  state text NOT NULL,
  expires bigint NOT NULL,
  ttl bigint NOT NULL,
  chunk_count integer NOT NULL DEFAULT 0,
  mp_path text COLLATE "C",
  mp_initiated bigint,
  mp_content_type text,
  mp_metadata jsonb,
  mp_attributes jsonb
) WITH (fillfactor = 80);
CREATE INDEX dfs_leases_expires ON dfs_leases (expires);
CREATE INDEX dfs_leases_multipart ON dfs_leases (mp_path, mp_initiated, id)
  WHERE mp_path IS NOT NULL AND state = 'open';

CREATE TABLE dfs_lease_chunks (
  lease_id text COLLATE "C",
  chunk_id text COLLATE "C",
  PRIMARY KEY (lease_id, chunk_id)
);

CREATE TABLE dfs_parts (
  lease_id text COLLATE "C",
  number integer,
  size bigint NOT NULL,
  etag text NOT NULL,
  chunk_ids text[] NOT NULL,
  chunk_sizes bigint[] NOT NULL,
  last_modified bigint NOT NULL,
  PRIMARY KEY (lease_id, number)
);

CREATE TABLE dfs_locks (
  token text COLLATE "C" PRIMARY KEY,
  root text COLLATE "C" NOT NULL,
  depth text NOT NULL,
  scope text NOT NULL,
  owner text NOT NULL,
  timeout_seconds bigint NOT NULL,
  expires bigint NOT NULL
);
CREATE INDEX dfs_locks_root ON dfs_locks (root, token);

CREATE TABLE dfs_nodes (
  id text COLLATE "C" PRIMARY KEY,
  url text NOT NULL,
  capacity bigint NOT NULL,
  registered bigint NOT NULL
);

CREATE TABLE dfs_masters (
  id text COLLATE "C" PRIMARY KEY,
  url text NOT NULL,
  last_seen bigint NOT NULL
);

-- The leadership lease: at most one row.
CREATE TABLE dfs_leadership (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  holder text NOT NULL,
  epoch bigint NOT NULL,
  expires bigint NOT NULL
);
`;
