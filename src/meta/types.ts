// The records the metadata store keeps, and the shapes of its queries and answers.

import type { ChunkRef, Manifest } from '../protocol/types.js';

/** A committed file version: an immutable manifest over content-addressed chunks, stored as served. */
export type FileRecord = Manifest;

/** A file without its chunk list, as listings return it unless asked for chunks. */
export type FileSummary = Omit<FileRecord, 'chunks'> & { chunkCount: number; chunks?: ChunkRef[] };

/** A folder: created explicitly (`mkdir`, it stays when emptied) or implied by the files below it. */
export interface FolderRecord {
  /** Ends in `/`. */
  path: string;
  explicit: boolean;
  /** When it was created (explicit), or 0. */
  created: number;
  /** WebDAV dead properties of an explicit folder. */
  attributes: Record<string, string>;
}

/** A row of the chunk table: how many files reference a chunk and how many uploads pin it. */
export interface ChunkRecord {
  size: number;
  /** Manifests referencing the chunk, counting repeats; never negative. */
  refs: number;
  /** Open upload leases holding the chunk. */
  pins: number;
  /** When refs and pins both last dropped to 0 (0 while either is positive). */
  zeroSince: number;
  /** Condemned by collection: its copies are being deleted; never de-duplicated against. */
  doomed: boolean;
}

/** The state of an upload lease (a committed one remembers what it made for a while: COMMIT_REPLAY_WINDOW). */
export type LeaseState = 'open' | 'expired' | 'committed' | 'aborted';

/** An S3 multipart upload's part: chunks written now, committed with the others later. */
export interface PartRecord {
  number: number;
  size: number;
  /** Quoted MD5 of the part's bytes, as S3 reports it. */
  etag: string;
  /** The part's checksum (base64) in its upload's checksum algorithm, when the upload has one. */
  checksum?: string;
  chunks: ChunkRef[];
  lastModified: number;
}

/** What a multipart upload will commit, fixed when it is created. */
export interface MultipartInfo {
  path: string;
  initiated: number;
  contentType: string;
  metadata: Record<string, string>;
  attributes: Record<string, string>;
}

/**
 * An upload lease: the chunks an upload in progress was allocated (pinned against collection
 * until it commits, aborts or goes idle past `expires`). An expired or aborted lease stays a
 * while as a tombstone (`expires` is then when it is forgotten), so a late commit is refused
 * with a clear reason.
 */
export interface LeaseRecord {
  id: string;
  state: LeaseState;
  /** While open: when it expires unless extended. A tombstone: when it is forgotten. */
  expires: number;
  /** How long each allocation extends it, ms. */
  ttl: number;
  /** How many chunks it pins (while open). */
  chunkCount: number;
  /** Set for an S3 multipart upload. */
  multipart?: MultipartInfo;
  /**
   * Set for a committed one: the version the upload made, with the store's own fingerprint of
   * its size, hash and chunks (a commit sent again has the same; another commit does not).
   */
  committed?: { path: string; generation: number; created: number; digest: string };
}

/** A storage node as the store remembers it across restarts. */
export interface NodeRecord {
  id: string;
  url: string;
  capacity: number;
  registered: number;
}

/** A WebDAV lock (RFC 4918), kept in the store so every web client sees it and it survives restarts. */
export interface LockRecord {
  /** `urn:uuid:…` */
  token: string;
  /** The locked resource: a file path, or a folder path ending in `/`. */
  root: string;
  depth: 0 | 'infinity';
  scope: 'exclusive' | 'shared';
  /** The client's `<owner>` XML, verbatim. */
  owner: string;
  timeoutSeconds: number;
  expires: number;
}

/** A master known to the store (several share a PostgreSQL store). */
export interface MasterRecord {
  id: string;
  url: string;
  lastSeen: number;
}

/** The leadership lease: one master at a time runs repairs and collection. */
export interface Leadership {
  holder: string;
  epoch: number;
  expires: number;
}

/** Totals kept in the same transactions as the changes they count. */
export interface Totals {
  files: number;
  logicalBytes: number;
}

/** A query for a page of a listing. */
export interface ListQuery {
  /** Every returned path starts with this string (a folder ending in `/`, or any name prefix). */
  prefix: string;
  /** Direct children only: deeper paths are rolled up into their folder below the prefix. */
  delimiter: boolean;
  /** Continue after this key (the `next` of the previous page). */
  after?: string;
  limit: number;
  /** Include each file's chunk list (costly for huge files). */
  withChunks?: boolean;
  /** Without a delimiter: skip explicit folders, list files only. */
  filesOnly?: boolean;
}

/** One row of a listing: a file, or a folder (explicit, or implied by files below it). */
export type ListEntry = { kind: 'file'; file: FileSummary } | { kind: 'folder'; folder: FolderRecord };

/** A page of a listing; `next` is set when more rows follow. */
export interface ListPage {
  entries: ListEntry[];
  next?: string;
}

/** What a commit makes visible. */
export interface CommitIntent {
  path: string;
  size: number;
  sha256: string;
  contentType: string;
  metadata: Record<string, string>;
  attributes: Record<string, string>;
  chunks: ChunkRef[];
  /** The upload whose lease pins the fresh chunks; ended by the commit. */
  uploadId?: string;
  /** Commit only if the current version has this generation (0: only if the path is free). */
  ifGeneration?: number;
  /** Commit only if the current version does not have this generation (S3 If-None-Match). */
  ifNotGeneration?: number;
}

/** What a commit did. */
export interface CommitResult {
  file: FileRecord;
  previous?: FileRecord;
  /** True when this commit had already happened (a retried request): nothing changed now. */
  replayed: boolean;
}

/** A collection candidate: a chunk row, or a chunk the table does not know (`absent`). */
export interface DoomCandidate {
  id: string;
  size: number;
  absent: boolean;
}
