// Where the WebDAV handler keeps locks: a narrow asynchronous interface in the terms of the lock
// rules, so a metadata store can hold them (locks must outlive one web client and be seen by
// all of them), plus the one query every request makes.

import { type DavLock, lockConflicts } from './locks.js';
import { isWithin, selfAndAncestors } from './paths.js';

/**
 * A lock store. Expired locks are never returned (`now` is passed in so tests drive the clock);
 * a backend may purge them whenever it likes. Paths are DAV paths (`/` or `/a/b`): a backend
 * keyed by prefixes queries `locksUnder('/a')` as the prefix `/a/`.
 */
export interface LockStore {
  /** The active locks rooted exactly at any of `paths`. */
  locksOn(paths: readonly string[], now: number): Promise<DavLock[]>;
  /** The active locks rooted strictly below `path` (under `/`: every lock). */
  locksUnder(path: string, now: number): Promise<DavLock[]>;
  /**
   * Stores `lock` unless an active lock conflicts with it (the pure `lockConflicts`, over the
   * locks on its root, its ancestors and below it), in one atomic step — two racing LOCKs must
   * not both win. Returns the conflicting locks: empty means stored.
   */
  acquire(lock: DavLock, now: number): Promise<DavLock[]>;
  /** Replaces the lock with the same token (a refresh); false when it no longer exists. */
  putLock(lock: DavLock): Promise<boolean>;
  /** Removes the lock with `token` (UNLOCK); false when there was none. */
  removeLock(token: string): Promise<boolean>;
  /** Removes every lock rooted at `path` or below it (DELETE, a MOVE's source); returns how many. */
  removeLocksWithin(path: string): Promise<number>;
  /**
   * The active locks rooted at any of `paths`, at an ancestor of one, or below one — what
   * locksAround answers. A backend that can fetch them in fewer round trips than locksOn plus
   * one locksUnder per path implements this; gatherLocksAround is the plain way.
   */
  locksAround?(paths: readonly string[], now: number): Promise<DavLock[]>;
}

/**
 * Every active lock that can bear on a request touching `paths`: rooted at one of them or an
 * ancestor (they cover it or its parent), or below one (a DELETE or MOVE takes those along, and
 * a PROPFIND's lockdiscovery of members needs them). The lock rules filter from there.
 */
export async function locksAround(
  store: LockStore,
  paths: readonly string[],
  now: number,
): Promise<DavLock[]> {
  if (store.locksAround) return store.locksAround(paths, now);
  return gatherLocksAround(store, paths, now);
}

/** locksAround from locksOn and locksUnder. */
export async function gatherLocksAround(
  store: LockStore,
  paths: readonly string[],
  now: number,
): Promise<DavLock[]> {
  const chain = new Set(paths.flatMap(selfAndAncestors));
  const found = new Map<string, DavLock>();
  for (const lock of await store.locksOn([...chain], now)) found.set(lock.token, lock);
  for (const path of new Set(paths)) {
    for (const lock of await store.locksUnder(path, now)) found.set(lock.token, lock);
  }
  return [...found.values()];
}

/** An in-memory lock store for tests (and a single process); not shared between web clients. */
export class MemoryLockStore implements LockStore {
  readonly #locks = new Map<string, DavLock>();

  async locksOn(paths: readonly string[], now: number): Promise<DavLock[]> {
    const wanted = new Set(paths);
    return this.#active(now).filter((lock) => wanted.has(lock.root));
  }

  async locksUnder(path: string, now: number): Promise<DavLock[]> {
    return this.#active(now).filter((lock) => lock.root !== path && isWithin(lock.root, path));
  }

  async acquire(lock: DavLock, now: number): Promise<DavLock[]> {
    const conflicts = lockConflicts(this.#active(now), lock, now);
    if (conflicts.length === 0) this.#locks.set(lock.token, lock);
    return conflicts;
  }

  async putLock(lock: DavLock): Promise<boolean> {
    if (!this.#locks.has(lock.token)) return false;
    this.#locks.set(lock.token, lock);
    return true;
  }

  async removeLock(token: string): Promise<boolean> {
    return this.#locks.delete(token);
  }

  async removeLocksWithin(path: string): Promise<number> {
    let removed = 0;
    for (const lock of [...this.#locks.values()]) {
      if (isWithin(lock.root, path) && this.#locks.delete(lock.token)) removed++;
    }
    return removed;
  }

  #active(now: number): DavLock[] {
    for (const lock of [...this.#locks.values()]) if (now >= lock.expires) this.#locks.delete(lock.token);
    return [...this.#locks.values()];
  }
}
