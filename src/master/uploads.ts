// Upload leases: the chunks an upload in progress has been allocated are pinned so that garbage
// collection never removes a chunk a commit is about to reference. Leases are persisted in the
// metadata database, so a restarted master keeps them pinned.

import { DfsError } from '../protocol/errors.js';
import type { MetaStore, UploadLease } from './meta.js';

/** Tracks each open upload's chunks and when it was last active; mirrors the persisted leases. */
export class UploadTracker {
  private readonly uploads = new Map<string, UploadLease>();
  /** How often each chunk is pinned by an open upload. */
  private readonly pins = new Map<string, number>();

  /** Uploads that expired (persisted tombstones), so that their late allocations and commits are refused. */
  private readonly lapsed = new Map<string, number>();

  constructor(
    private readonly meta: MetaStore,
    private readonly idleExpiry: number,
  ) {
    for (const { key, value } of meta.uploads.getRange({})) {
      if (value.expired) this.lapsed.set(key, value.expired);
      else this.add(key, value);
    }
  }

  private add(uploadId: string, lease: UploadLease): void {
    this.uploads.set(uploadId, lease);
    for (const id of lease.chunks) this.pins.set(id, (this.pins.get(id) ?? 0) + 1);
  }

  private drop(uploadId: string): void {
    const lease = this.uploads.get(uploadId);
    if (!lease) return;
    this.uploads.delete(uploadId);
    for (const id of lease.chunks) {
      const n = (this.pins.get(id) ?? 1) - 1;
      if (n <= 0) this.pins.delete(id);
      else this.pins.set(id, n);
    }
  }

  /**
   * Records that upload `uploadId` was allocated `chunkIds` just now; resolves once the lease is
   * committed. It need not be flushed: a lease lost to a crash makes the commit refuse, never
   * acknowledge a collected chunk.
   */
  async touch(uploadId: string, chunkIds: string[], now = Date.now()): Promise<void> {
    if (this.lapsed.has(uploadId)) throw expiredError();
    const current = this.uploads.get(uploadId);
    const added = chunkIds.filter((id) => !current?.chunks.includes(id));
    const lease = { lastActive: now, chunks: [...(current?.chunks ?? []), ...added] };
    this.drop(uploadId);
    this.add(uploadId, lease);
    await this.meta.uploads.put(uploadId, lease);
  }

  /** True while upload `uploadId` holds a lease on chunk `id`. */
  holds(uploadId: string | undefined, id: string): boolean {
    return uploadId !== undefined && this.uploads.get(uploadId)?.chunks.includes(id) === true;
  }

  /** True when upload `uploadId` went idle past the expiry: its chunks may have been collected. */
  expired(uploadId: string): boolean {
    return this.lapsed.has(uploadId);
  }

  /** Ends an upload inside a metadata write (its commit): its pins are released. */
  finishIn(uploadId: string): void {
    if (!this.uploads.has(uploadId)) return;
    this.meta.uploads.remove(uploadId);
    this.drop(uploadId);
  }

  /** True while an open upload holds chunk `id`. */
  pinned(id: string): boolean {
    return this.pins.has(id);
  }

  /**
   * Abandons uploads idle for longer than the expiry (their chunks become collectable); forgets
   * tombstones ten expiries old. Returns how many uploads were abandoned.
   */
  async expire(now = Date.now()): Promise<number> {
    const idle = [...this.uploads].filter(([, lease]) => now - lease.lastActive > this.idleExpiry);
    const old = [...this.lapsed].filter(([, when]) => now - when > 10 * this.idleExpiry);
    if (idle.length === 0 && old.length === 0) return 0;
    await this.meta.write(() => {
      for (const [id] of idle) this.meta.uploads.put(id, { lastActive: now, chunks: [], expired: now });
      for (const [id] of old) this.meta.uploads.remove(id);
    });
    for (const [id] of idle) {
      this.drop(id);
      this.lapsed.set(id, now);
    }
    for (const [id] of old) this.lapsed.delete(id);
    return idle.length;
  }

  /** How many uploads are open. */
  get open(): number {
    return this.uploads.size;
  }
}

/** The answer to an upload that went idle past its lease. */
export function expiredError(): DfsError {
  return new DfsError('conflict', 'the upload was idle for too long and expired; upload the file again');
}
