// The metadata store over an embedded ordered key-value engine (memory for tests, LMDB by
// default): each method one transaction of the shared rules in kv-namespace, kv-chunks and kv-locks.

import { DfsError } from '../protocol/errors.js';
import type { ChunkRef } from '../protocol/types.js';
import type { Engine, Txn } from './engine.js';
import * as chunks from './kv-chunks.js';
import * as locks from './kv-locks.js';
import * as ns from './kv-namespace.js';
import { forgetOps, once } from './kv-ops.js';
import { callOf, EXPIRE_BATCH } from './rules.js';
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

/** A MetaStore over `engine`. */
export class KvStore implements MetaStore {
  constructor(private readonly engine: Engine) {}

  get kind(): string {
    return this.engine.kind;
  }

  // Destructive maintenance runs only for the current leader's epoch.
  private fence(txn: Txn, epoch: number): void {
    const leader = txn.get<Leadership>('state', 'leader');
    if (leader && leader.epoch !== epoch)
      throw new DfsError('conflict', `epoch ${epoch} is no longer the leader's (${leader.epoch})`);
  }

  getFile(path: string): Promise<FileRecord | undefined> {
    return this.engine.read((txn) => ns.getFile(txn, path));
  }

  getFolder(prefix: string): Promise<FolderRecord | undefined> {
    return this.engine.read((txn) => ns.getFolder(txn, prefix));
  }

  list(query: ListQuery): Promise<ListPage> {
    return this.engine.read((txn) => ns.list(txn, query));
  }

  commit(intent: CommitIntent, now: number): Promise<CommitResult> {
    return this.engine.write((txn) => ns.commit(txn, intent, now));
  }

  remove(path: string, options: { ifGeneration?: number } & Resendable, now: number): Promise<FileRecord> {
    const what = callOf('remove', path, options.ifGeneration);
    return this.engine.write((txn) =>
      once(txn, options.op, what, now, () => ns.remove(txn, path, options.ifGeneration, now)),
    );
  }

  removeTree(prefix: string, now: number, options: Resendable = {}): Promise<number> {
    const what = callOf('removeTree', prefix);
    return this.engine.write((txn) =>
      once(txn, options.op, what, now, () => ns.removeTree(txn, prefix, now)),
    );
  }

  mkdir(prefix: string, now: number, options: MkdirOptions = {}): Promise<FolderRecord> {
    return this.engine.write((txn) => ns.mkdir(txn, prefix, now, options.impliedParents ?? false));
  }

  rmdir(prefix: string, options: RmdirOptions & Resendable = {}, now = Date.now()): Promise<void> {
    const keep = options.keepContents ?? false;
    const what = callOf('rmdir', prefix, keep);
    return this.engine.write((txn) => once(txn, options.op, what, now, () => ns.rmdir(txn, prefix, keep)));
  }

  move(
    from: string,
    to: string,
    options: { overwrite: boolean } & Resendable,
    now: number,
  ): Promise<{ moved: number }> {
    const what = callOf('move', from, to, options.overwrite);
    return this.engine.write((txn) =>
      once(txn, options.op, what, now, () => ns.move(txn, from, to, options.overwrite, now)),
    );
  }

  setAttributes(path: string, change: AttributeChange): Promise<void> {
    return this.engine.write((txn) => ns.setAttributes(txn, path, change, Date.now()));
  }

  totals(): Promise<Totals> {
    return this.engine.read((txn) => ns.totals(txn));
  }

  getChunks(ids: string[]): Promise<Map<string, ChunkRecord>> {
    return this.engine.read((txn) => {
      const out = new Map<string, ChunkRecord>();
      for (const id of ids) {
        const record = txn.get<ChunkRecord>('chunks', id);
        if (record) out.set(id, record);
      }
      return out;
    });
  }

  chunkPage(after: string | undefined, limit: number): Promise<{ id: string; record: ChunkRecord }[]> {
    return this.engine.read((txn) =>
      [...txn.range<ChunkRecord>('chunks', { start: after ? `${after}\u0001` : undefined, limit })].map(
        ({ key, value }) => ({ id: key, record: value }),
      ),
    );
  }

  async lease(uploadId: string, refs: ChunkRef[], ttl: number, now: number): Promise<LeaseResult> {
    // Not flushed: a lease lost to a crash only makes its commit refuse.
    const revived = await this.engine.write((txn) => chunks.lease(txn, uploadId, refs, ttl, now), {
      durable: false,
    });
    return { revived };
  }

  getLease(uploadId: string): Promise<LeaseRecord | undefined> {
    return this.engine.read((txn) => chunks.leaseOf(txn, uploadId));
  }

  abortLease(uploadId: string, now: number): Promise<void> {
    return this.engine.write((txn) => chunks.endLease(txn, uploadId, 'aborted', now));
  }

  expireLeases(now: number): Promise<number> {
    return this.engine.write((txn) => {
      forgetOps(txn, now, 50 * EXPIRE_BATCH);
      return chunks.expireLeases(txn, now);
    });
  }

  doom(candidates: DoomCandidate[], grace: number, now: number, epoch: number): Promise<string[]> {
    return this.engine.write((txn) => {
      this.fence(txn, epoch);
      return chunks.doom(txn, candidates, grace, now);
    });
  }

  stillDoomed(ids: string[]): Promise<Set<string>> {
    return this.engine.read(
      (txn) => new Set(ids.filter((id) => txn.get<ChunkRecord>('chunks', id)?.doomed === true)),
    );
  }

  purge(ids: string[], epoch: number): Promise<string[]> {
    return this.engine.write((txn) => {
      this.fence(txn, epoch);
      return chunks.purge(txn, ids);
    });
  }

  createMultipart(uploadId: string, info: MultipartInfo, ttl: number, now: number): Promise<void> {
    return this.engine.write((txn) => chunks.createMultipart(txn, uploadId, info, ttl, now));
  }

  putPart(uploadId: string, part: PartRecord, now: number): Promise<void> {
    return this.engine.write((txn) => chunks.putPart(txn, uploadId, part, now));
  }

  listParts(uploadId: string): Promise<PartRecord[]> {
    return this.engine.read((txn) => chunks.listParts(txn, uploadId));
  }

  listMultiparts(prefix: string, limit: number, from?: string): Promise<LeaseRecord[]> {
    return this.engine.read((txn) => chunks.listMultiparts(txn, prefix, limit, from));
  }

  createLock(lock: LockRecord, now: number): Promise<LockRecord> {
    return this.engine.write((txn) => locks.createLock(txn, lock, now));
  }

  refreshLock(token: string, timeoutSeconds: number, now: number): Promise<LockRecord> {
    return this.engine.write((txn) => locks.refreshLock(txn, token, timeoutSeconds, now));
  }

  removeLock(token: string): Promise<boolean> {
    return this.engine.write((txn) => locks.removeLock(txn, token));
  }

  locksFor(path: string, descendants: boolean, now: number): Promise<LockRecord[]> {
    // Expired locks found on the way are dropped, so this is a (small) write.
    return this.engine.write((txn) => locks.locksFor(txn, path, descendants, now), { durable: false });
  }

  putNode(node: NodeRecord): Promise<void> {
    return this.engine.write((txn) => txn.put('nodes', node.id, node));
  }

  listNodes(): Promise<NodeRecord[]> {
    return this.engine.read((txn) => [...txn.range<NodeRecord>('nodes', {})].map((r) => r.value));
  }

  removeNode(id: string): Promise<void> {
    return this.engine.write((txn) => txn.del('nodes', id));
  }

  heartbeatMaster(beat: MasterBeat, window: number): Promise<MasterRecord[]> {
    const master = { ...beat, lastSeen: beat.lastSeen ?? Date.now() };
    return this.engine.write(
      (txn) => {
        txn.put('masters', master.id, master);
        const live: MasterRecord[] = [];
        for (const { key, value } of [...txn.range<MasterRecord>('masters', {})]) {
          if (master.lastSeen - value.lastSeen <= window) live.push(value);
          else txn.del('masters', key);
        }
        return live;
      },
      { durable: false },
    );
  }

  claimLeadership(holder: string, ttl: number, now = Date.now()): Promise<Leadership> {
    return this.engine.write((txn) => {
      const current = txn.get<Leadership>('state', 'leader');
      if (current && current.holder !== holder && current.expires > now) return current;
      const takeover = !current || current.holder !== holder || current.expires <= now;
      const next = { holder, epoch: (current?.epoch ?? 0) + (takeover ? 1 : 0), expires: now + ttl };
      txn.put('state', 'leader', next);
      return next;
    });
  }

  async leaveCluster(id: string): Promise<void> {
    await this.engine.write((txn) => {
      txn.del('masters', id);
      const lease = txn.get<Leadership>('state', 'leader');
      if (lease?.holder === id) txn.put('state', 'leader', { ...lease, expires: 0 });
    });
  }

  close(): Promise<void> {
    return this.engine.close();
  }
}
