// The metadata seam: everything the master persists, behind one asynchronous interface in the
// domain's own terms. Each method is one atomic transaction, durable before it resolves (unless
// it says otherwise). Backends: memory (tests), LMDB (the embedded default), PostgreSQL (several
// masters). All of them pass test/meta/conformance.ts.

import type { ChunkRef } from '../protocol/types.js';
import type {
  ChunkRecord,
  CommitIntent,
  CommitResult,
  DoomCandidate,
  FileRecord,
  FolderRecord,
  Leadership,
  LeaseRecord,
  ListPage,
  ListQuery,
  LockRecord,
  MasterRecord,
  MultipartInfo,
  NodeRecord,
  PartRecord,
  Totals,
} from './types.js';

/** What `lease` did to the chunks it pinned. */
export interface LeaseResult {
  /** Chunks that were condemned by collection (their copies may be going): write them afresh. */
  revived: string[];
}

/** How `setAttributes` changes an entry's attributes. */
export interface AttributeChange {
  set: Record<string, string>;
  remove: string[];
}

/** A master's heartbeat: its record, stamped by the store's clock unless `lastSeen` is given. */
export type MasterBeat = Omit<MasterRecord, 'lastSeen'> & { lastSeen?: number };

/** How MetaStore.mkdir treats missing ancestors. */
export interface MkdirOptions {
  /** Only the folder itself gets an entry; missing ancestors stay implied by it. */
  impliedParents?: boolean;
}

/**
 * A call its client may send again when the answer was lost (a master that died after doing it):
 * the id the client gave it. The store remembers the answer under that id for
 * COMMIT_REPLAY_WINDOW, in the call's own transaction; the call sent again is answered with it,
 * never applied twice. An id given with another call is refused (`conflict`).
 */
export interface Resendable {
  op?: string;
}

/** What MetaStore.rmdir removes. */
export interface RmdirOptions {
  /** Only the folder's own entry: what is below it stays, and implies the folder. */
  keepContents?: boolean;
}

/** The metadata store of a dfs cluster. */
export interface MetaStore {
  /** `memory`, `lmdb` or `postgres`. */
  readonly kind: string;

  // ---- the namespace ----

  /** The file at `path`, or undefined. */
  getFile(path: string): Promise<FileRecord | undefined>;
  /** The folder at `prefix` (ending in `/`) if one exists, explicit or implied by files below it. */
  getFolder(prefix: string): Promise<FolderRecord | undefined>;
  /**
   * A page of files and folders whose paths start with `query.prefix`, in UTF-8 byte order of
   * their keys (a folder's key ends in `/`). With `delimiter`, paths below a `/` after the
   * prefix are rolled up into one folder row.
   */
  list(query: ListQuery): Promise<ListPage>;
  /**
   * Makes a file visible at its path, atomically replacing the previous version. Refused when
   * a parent is a file or the path is a folder (`conflict`), when a generation condition fails
   * (`precondition_failed`), when the lease expired (`conflict`), or when a chunk is neither
   * referenced by a file nor pinned by the upload's lease (`conflict`). A commit sent again under
   * the same upload id within COMMIT_REPLAY_WINDOW answers the version it made (`replayed`),
   * even when another commit has replaced it since, and changes nothing.
   */
  commit(intent: CommitIntent, now: number): Promise<CommitResult>;
  /** Removes a file (its chunks' references drop); `not_found` if absent. */
  remove(path: string, options: { ifGeneration?: number } & Resendable, now: number): Promise<FileRecord>;
  /** Removes a folder and everything below it in one transaction; returns the files removed. */
  removeTree(prefix: string, now: number, options?: Resendable): Promise<number>;
  /**
   * Creates a folder and its missing ancestors (explicit, they stay when emptied); idempotent.
   * With `impliedParents` only the folder itself is made explicit (an S3 folder object).
   */
  mkdir(prefix: string, now: number, options?: MkdirOptions): Promise<FolderRecord>;
  /**
   * Removes an empty explicit folder: `not_found` if absent, `conflict` if anything is below it.
   * With `keepContents`, drops only the folder's own entry: what is below it stays, and implies
   * the folder (how an S3 folder object `a/` is deleted while objects below it remain). `now`
   * (default: the store's clock) dates the answer kept for a resendable call.
   */
  rmdir(prefix: string, options?: RmdirOptions & Resendable, now?: number): Promise<void>;
  /**
   * Renames a file, or a folder with everything below it, in one transaction. Refused when the
   * destination exists (unless `overwrite` and both are files), a parent of it is a file, or it
   * would lie below the source.
   */
  move(
    from: string,
    to: string,
    options: { overwrite: boolean } & Resendable,
    now: number,
  ): Promise<{ moved: number }>;
  /** Changes the attributes of a file or an explicit folder (`prefix` ending in `/`) atomically. */
  setAttributes(path: string, change: AttributeChange): Promise<void>;
  /** File count and logical bytes. */
  totals(): Promise<Totals>;

  // ---- chunks and upload leases ----

  /** The chunk table's rows for `ids` (absent ids are missing from the map). */
  getChunks(ids: string[]): Promise<Map<string, ChunkRecord>>;
  /** A page of the chunk table in id order, after `after`. */
  chunkPage(after: string | undefined, limit: number): Promise<{ id: string; record: ChunkRecord }[]>;
  /**
   * Creates or extends lease `uploadId` to `now + ttl` and pins `chunks` with it (creating
   * their rows). A condemned chunk is revived (the caller must write it afresh). Committed and
   * need not be flushed: a lease lost to a crash only makes its commit refuse. `conflict` if
   * the lease already ended.
   */
  lease(uploadId: string, chunks: ChunkRef[], ttl: number, now: number): Promise<LeaseResult>;
  /** The lease, open or ended (a tombstone), or undefined. */
  getLease(uploadId: string): Promise<LeaseRecord | undefined>;
  /** Ends an open lease at once (the upload was abandoned): its chunks are unpinned. */
  abortLease(uploadId: string, now: number): Promise<void>;
  /**
   * Ends open leases past their expiry and forgets old tombstones and the answers of resendable
   * calls past their window; returns how many leases expired.
   */
  expireLeases(now: number): Promise<number>;
  /**
   * Condemns the candidates still collectable (no references, no pins, unreferenced for at
   * least `grace`, or absent from the table) so nothing de-duplicates against them while their
   * copies are deleted; returns the ids condemned. `epoch` fences a deposed leader.
   */
  doom(candidates: DoomCandidate[], grace: number, now: number, epoch: number): Promise<string[]>;
  /** Of `ids`, those still condemned (a delete may still be handed out). */
  stillDoomed(ids: string[]): Promise<Set<string>>;
  /** Forgets condemned chunks whose copies are all gone; returns the ids removed. */
  purge(ids: string[], epoch: number): Promise<string[]>;

  // ---- S3 multipart uploads (a lease with parts) ----

  /**
   * Opens a multipart upload: a lease that lives `ttl` past each part. The same call sent again
   * (its answer lost) finds it open and changes nothing; another under its id is a conflict.
   */
  createMultipart(uploadId: string, info: MultipartInfo, ttl: number, now: number): Promise<void>;
  /** Records (or replaces) a part whose chunks the upload's lease already pins. */
  putPart(uploadId: string, part: PartRecord, now: number): Promise<void>;
  /** The parts of an open multipart upload, by number; `not_found` when it is not open. */
  listParts(uploadId: string): Promise<PartRecord[]>;
  /**
   * Open multipart uploads whose path starts with `prefix`, by path then initiation; with
   * `from` (any string), only those whose path sorts at or after it: where a page goes on.
   */
  listMultiparts(prefix: string, limit: number, from?: string): Promise<LeaseRecord[]>;

  // ---- WebDAV locks ----

  /** Takes a lock unless a conflicting unexpired one exists (`locked`); returns it. */
  createLock(lock: LockRecord, now: number): Promise<LockRecord>;
  /** Extends lock `token` to `now + timeoutSeconds`; `not_found` when it is gone. */
  refreshLock(token: string, timeoutSeconds: number, now: number): Promise<LockRecord>;
  /** Releases lock `token`; false when it was not held. */
  removeLock(token: string): Promise<boolean>;
  /** Unexpired locks on `path`, on its ancestors, and (with `descendants`) below it. */
  locksFor(path: string, descendants: boolean, now: number): Promise<LockRecord[]>;

  // ---- nodes, masters, leadership ----

  putNode(node: NodeRecord): Promise<void>;
  listNodes(): Promise<NodeRecord[]>;
  removeNode(id: string): Promise<void>;
  /**
   * Records that master `id` is alive at `url`; returns every master seen within `window`.
   * Without `lastSeen` the store's own clock stamps it (see claimLeadership).
   */
  heartbeatMaster(master: MasterBeat, window: number): Promise<MasterRecord[]>;
  /**
   * Takes or renews the leadership lease for `holder` until `now + ttl`; a takeover (the lease
   * lapsed, or another holder) bumps the epoch. Returns the lease as it stands after the call.
   * Without `now` the store's own clock judges it: a shared store's (PostgreSQL's), which every
   * master agrees on however far their clocks drift apart.
   */
  claimLeadership(holder: string, ttl: number, now?: number): Promise<Leadership>;
  /**
   * Master `id` stops: its record is forgotten and the leadership lease, when it holds it, lapses
   * at once (the next claimant takes it over with a new epoch), rather than both lingering until
   * they time out.
   */
  leaveCluster(id: string): Promise<void>;

  close(): Promise<void>;
}
