// The PostgreSQL metadata store, for clusters of several masters sharing one database
// (`--meta postgres://…`). Each method is one round trip: a statement or a PL/pgSQL function
// (postgres-sql-*.ts) that does the whole transaction in the database.

import type { ChunkRef } from '../protocol/types.js';
import { Batcher } from './postgres-batch.js';
import * as chunks from './postgres-chunks.js';
import * as cluster from './postgres-cluster.js';
import { type CommitRequest, commitRunner } from './postgres-commits.js';
import { PgDb, type PgDbOptions } from './postgres-db.js';
import * as ns from './postgres-namespace.js';
import { migrate } from './postgres-schema.js';
import type {
  AttributeChange,
  LeaseResult,
  MasterBeat,
  MetaStore,
  MkdirOptions,
  Resendable,
  RmdirOptions,
} from './store.js';
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

/** How the store talks to PostgreSQL. */
export interface PostgresOptions extends PgDbOptions {
  /**
   * Commit (and lease) calls in flight at once unless one is slow; those arriving meanwhile are
   * batched (default 1: measured best at concurrency 16; see postgres-batch.ts).
   */
  parallelCalls?: number;
  /** Most commits (or leases) in one batch (default 32). */
  batch?: number;
}

/** A MetaStore in a PostgreSQL database. */
export class PostgresStore implements MetaStore {
  readonly kind = 'postgres';

  private readonly commits: Batcher<CommitRequest, CommitResult>;
  private readonly leases: Batcher<chunks.LeaseRequest, LeaseResult>;

  private constructor(
    private readonly db: PgDb,
    options: PostgresOptions,
  ) {
    const batching = { parallel: options.parallelCalls, max: options.batch };
    this.commits = new Batcher(commitRunner(db), batching);
    this.leases = new Batcher(chunks.leaseRunner(db), batching);
  }

  /**
   * Connects to the database at `url` (`postgres://user:pass@host:5432/db`), brings its schema up
   * to date and returns the store. Fails with DfsError 'unavailable' when the database cannot be
   * reached.
   */
  static async open(url: string, options: PostgresOptions = {}): Promise<PostgresStore> {
    const db = new PgDb(url, options);
    try {
      const client = await db.connect();
      try {
        await migrate(client);
      } finally {
        client.release();
      }
    } catch (err) {
      await db.close();
      throw err;
    }
    return new PostgresStore(db, options);
  }

  getFile(path: string): Promise<FileRecord | undefined> {
    return ns.getFile(this.db, path);
  }

  getFolder(prefix: string): Promise<FolderRecord | undefined> {
    return ns.getFolder(this.db, prefix);
  }

  list(query: ListQuery): Promise<ListPage> {
    return ns.list(this.db, query);
  }

  commit(intent: CommitIntent, now: number): Promise<CommitResult> {
    return this.commits.submit({ intent, now });
  }

  remove(path: string, options: { ifGeneration?: number } & Resendable, now: number): Promise<FileRecord> {
    return ns.remove(this.db, path, options.ifGeneration, now, options.op);
  }

  removeTree(prefix: string, now: number, options: Resendable = {}): Promise<number> {
    return ns.removeTree(this.db, prefix, now, options.op);
  }

  mkdir(prefix: string, now: number, options: MkdirOptions = {}): Promise<FolderRecord> {
    return ns.mkdir(this.db, prefix, now, options.impliedParents ?? false);
  }

  rmdir(prefix: string, options: RmdirOptions & Resendable = {}, now = Date.now()): Promise<void> {
    return ns.rmdir(this.db, prefix, options.keepContents ?? false, now, options.op);
  }

  move(
    from: string,
    to: string,
    options: { overwrite: boolean } & Resendable,
    now: number,
  ): Promise<{ moved: number }> {
    return ns.move(this.db, from, to, options.overwrite, now, options.op);
  }

  setAttributes(path: string, change: AttributeChange): Promise<void> {
    return ns.setAttributes(this.db, path, change, Date.now());
  }

  totals(): Promise<Totals> {
    return ns.totals(this.db);
  }

  getChunks(ids: string[]): Promise<Map<string, ChunkRecord>> {
    return chunks.getChunks(this.db, ids);
  }

  chunkPage(after: string | undefined, limit: number): Promise<{ id: string; record: ChunkRecord }[]> {
    return chunks.chunkPage(this.db, after, limit);
  }

  lease(uploadId: string, refs: ChunkRef[], ttl: number, now: number): Promise<LeaseResult> {
    return this.leases.submit({ id: uploadId, chunks: refs, ttl, now });
  }

  getLease(uploadId: string): Promise<LeaseRecord | undefined> {
    return chunks.getLease(this.db, uploadId);
  }

  abortLease(uploadId: string, now: number): Promise<void> {
    return chunks.abortLease(this.db, uploadId, now);
  }

  expireLeases(now: number): Promise<number> {
    return chunks.expireLeases(this.db, now);
  }

  doom(candidates: DoomCandidate[], grace: number, now: number, epoch: number): Promise<string[]> {
    return chunks.doom(this.db, candidates, grace, now, epoch);
  }

  stillDoomed(ids: string[]): Promise<Set<string>> {
    return chunks.stillDoomed(this.db, ids);
  }

  purge(ids: string[], epoch: number): Promise<string[]> {
    return chunks.purge(this.db, ids, epoch);
  }

  createMultipart(uploadId: string, info: MultipartInfo, ttl: number, now: number): Promise<void> {
    return chunks.createMultipart(this.db, uploadId, info, ttl, now);
  }

  putPart(uploadId: string, part: PartRecord, now: number): Promise<void> {
    return chunks.putPart(this.db, uploadId, part, now);
  }

  listParts(uploadId: string): Promise<PartRecord[]> {
    return chunks.listParts(this.db, uploadId);
  }

  listMultiparts(prefix: string, limit: number, from?: string): Promise<LeaseRecord[]> {
    return chunks.listMultiparts(this.db, prefix, limit, from);
  }

  createLock(lock: LockRecord, now: number): Promise<LockRecord> {
    return cluster.createLock(this.db, lock, now);
  }

  refreshLock(token: string, timeoutSeconds: number, now: number): Promise<LockRecord> {
    return cluster.refreshLock(this.db, token, timeoutSeconds, now);
  }

  removeLock(token: string): Promise<boolean> {
    return cluster.removeLock(this.db, token);
  }

  locksFor(path: string, descendants: boolean, now: number): Promise<LockRecord[]> {
    return cluster.locksFor(this.db, path, descendants, now);
  }

  putNode(node: NodeRecord): Promise<void> {
    return cluster.putNode(this.db, node);
  }

  listNodes(): Promise<NodeRecord[]> {
    return cluster.listNodes(this.db);
  }

  removeNode(id: string): Promise<void> {
    return cluster.removeNode(this.db, id);
  }

  heartbeatMaster(master: MasterBeat, window: number): Promise<MasterRecord[]> {
    return cluster.heartbeatMaster(this.db, master, window);
  }

  claimLeadership(holder: string, ttl: number, now?: number): Promise<Leadership> {
    return cluster.claimLeadership(this.db, holder, ttl, now);
  }

  leaveCluster(id: string): Promise<void> {
    return cluster.leaveCluster(this.db, id);
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
