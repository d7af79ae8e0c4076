// The rows of the PostgreSQL metadata store and how they become the store's records.

import type { ChunkRef } from '../protocol/types.js';
import type {
  ChunkRecord,
  FileRecord,
  FileSummary,
  FolderRecord,
  LeaseRecord,
  LeaseState,
  LockRecord,
  PartRecord,
} from './types.js';

/** A row of dfs_entries: a file, or an explicit folder (path ending in `/`, file columns null). */
export interface EntryRow {
  path: string;
  size: number;
  sha256: string | null;
  generation: number | null;
  created: number;
  upload_id: string | null;
  content_type: string | null;
  metadata: Record<string, string> | null;
  attributes: Record<string, string>;
  chunk_count: number;
  chunk_ids: string[] | null;
  chunk_sizes: number[] | null;
}

/** A row of dfs_chunks. */
export interface ChunkRow {
  id: string;
  size: number;
  refs: number;
  pins: number;
  zero_since: number;
  doomed: boolean;
}

/** A row of dfs_leases. */
export interface LeaseRow {
  id: string;
  state: LeaseState;
  expires: number;
  ttl: number;
  chunk_count: number;
  mp_path: string | null;
  mp_initiated: number | null;
  mp_content_type: string | null;
  mp_metadata: Record<string, string> | null;
  mp_attributes: Record<string, string> | null;
}

/** A row of dfs_parts. */
export interface PartRow {
  number: number;
  size: number;
  etag: string;
  checksum: string | null;
  chunk_ids: string[];
  chunk_sizes: number[];
  last_modified: number;
}

/** A row of dfs_locks. */
export interface LockRow {
  token: string;
  root: string;
  depth: string;
  scope: string;
  owner: string;
  timeout_seconds: number;
  expires: number;
}

/** Chunk references from the two parallel arrays they are stored as. */
export function chunksOf(ids: string[] | null, sizes: number[] | null): ChunkRef[] {
  return (ids ?? []).map((id, i) => ({ id, size: sizes?.[i] ?? 0 }));
}

/** The file a row holds. */
export function fileOf(row: EntryRow): FileRecord {
  return { ...summaryOf(row), chunks: chunksOf(row.chunk_ids, row.chunk_sizes) };
}

/** The file a row holds, without its chunk list unless the row carries it. */
export function summaryOf(row: EntryRow): FileSummary {
  const summary: FileSummary = {
    path: row.path,
    size: row.size,
    sha256: row.sha256 ?? '',
    generation: row.generation ?? 0,
    created: row.created,
    contentType: row.content_type ?? 'application/octet-stream',
    metadata: row.metadata ?? {},
    attributes: row.attributes,
    chunkCount: row.chunk_count,
    ...(row.upload_id !== null && { uploadId: row.upload_id }),
  };
  if (row.chunk_ids) summary.chunks = chunksOf(row.chunk_ids, row.chunk_sizes);
  return summary;
}

/** An explicit folder's record. */
export function folderOf(row: Pick<EntryRow, 'path' | 'created' | 'attributes'>): FolderRecord {
  return { path: row.path, explicit: true, created: row.created, attributes: row.attributes ?? {} };
}

/** An implied folder's record. */
export function impliedFolder(path: string): FolderRecord {
  return { path, explicit: false, created: 0, attributes: {} };
}

/** A chunk row's record. */
export function chunkOf(row: ChunkRow): ChunkRecord {
  return { size: row.size, refs: row.refs, pins: row.pins, zeroSince: row.zero_since, doomed: row.doomed };
}

/** A lease row's record. */
export function leaseOf(row: LeaseRow): LeaseRecord {
  const lease: LeaseRecord = {
    id: row.id,
    state: row.state,
    expires: row.expires,
    ttl: row.ttl,
    chunkCount: row.chunk_count,
  };
  if (row.state === 'committed' && row.mp_path !== null) {
    // A committed upload's tombstone keeps the version it made in the multipart columns.
    const made = (row.mp_metadata ?? {}) as { generation?: number; created?: number; digest?: string };
    lease.committed = {
      path: row.mp_path,
      generation: Number(made.generation),
      created: Number(made.created),
      digest: String(made.digest),
    };
  } else if (row.mp_path !== null)
    lease.multipart = {
      path: row.mp_path,
      initiated: row.mp_initiated ?? 0,
      contentType: row.mp_content_type ?? 'application/octet-stream',
      metadata: row.mp_metadata ?? {},
      attributes: row.mp_attributes ?? {},
    };
  return lease;
}

/** A part row's record. */
export function partOf(row: PartRow): PartRecord {
  return {
    number: row.number,
    size: row.size,
    etag: row.etag,
    ...(row.checksum !== null && { checksum: row.checksum }),
    chunks: chunksOf(row.chunk_ids, row.chunk_sizes),
    lastModified: row.last_modified,
  };
}

/** A lock row's record. */
export function lockOf(row: LockRow): LockRecord {
  return {
    token: row.token,
    root: row.root,
    depth: row.depth === 'infinity' ? 'infinity' : 0,
    scope: row.scope === 'shared' ? 'shared' : 'exclusive',
    owner: row.owner,
    timeoutSeconds: row.timeout_seconds,
    expires: row.expires,
  };
}
