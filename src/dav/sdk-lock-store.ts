// The lock store over the cluster's metadata store (through the SDK): locks outlive a web client
// and every web client of a cluster sees the same ones; the store checks conflicts atomically.

import { DfsError } from '../protocol/errors.js';
import type { MasterApi } from '../sdk/master-api.js';
import { DavError } from './errors.js';
import type { LockStore } from './lock-store.js';
import { type DavLock, lockConflicts } from './locks.js';
import { isBelow, isWithin, ROOT_PATH } from './paths.js';

/** The part of the SDK's master API that keeps locks. */
export type LockApi = Pick<MasterApi, 'createLock' | 'refreshLock' | 'removeLock' | 'locksFor'>;

/** A lock as the metadata store returns it. */
type LockRecord = Awaited<ReturnType<LockApi['createLock']>>;

/**
 * The store's key for a DAV path. Every lock root is stored in folder form (`/a/b/`), a file's
 * too: the store then sees the DAV tree as the nest of prefixes it is, so its conflict checks
 * (ancestors, and descendants for depth infinity) are exactly RFC 4918's, whether the locked
 * URL is a file, a folder or not mapped yet (a LOCK that creates a file).
 */
export function storeRoot(path: string): string {
  return path === ROOT_PATH ? ROOT_PATH : `${path}/`;
}

/** The DAV path of a store key. */
export function davRoot(root: string): string {
  return root === ROOT_PATH || !root.endsWith('/') ? root : root.slice(0, -1);
}

function fromRecord(record: LockRecord): DavLock {
  const { token, root, depth, scope, owner, timeoutSeconds, expires } = record;
  return { token, root: davRoot(root), depth, scope, owner, timeoutSeconds, expires };
}

/** Keeps only the paths no other one contains: a query of a folder with its descendants covers those below it. */
function outermost(paths: readonly string[]): string[] {
  const unique = [...new Set(paths)];
  return unique.filter((p) => !unique.some((q) => q !== p && isWithin(p, q)));
}

/** Implements LockStore with `sdk.api`'s lock routes. */
export class SdkLockStore implements LockStore {
  constructor(private readonly api: LockApi) {}

  async locksOn(paths: readonly string[], now: number): Promise<DavLock[]> {
    // A query returns the locks on a path and on all its ancestors: only the deepest paths are asked.
    const deepest = [...new Set(paths)].filter((p) => !paths.some((q) => q !== p && isBelow(q, p)));
    const wanted = new Set(paths);
    const found = await this.#query(deepest, false, now);
    return found.filter((lock) => wanted.has(lock.root));
  }

  async locksUnder(path: string, now: number): Promise<DavLock[]> {
    return (await this.#query([path], true, now)).filter((lock) => isBelow(lock.root, path));
  }

  async locksAround(paths: readonly string[], now: number): Promise<DavLock[]> {
    return this.#query(outermost(paths), true, now);
  }

  async acquire(lock: DavLock, now: number): Promise<DavLock[]> {
    const { token, root, depth, scope, owner, timeoutSeconds } = lock;
    // A conflicting lock may lapse between the refusal and the look at it: then try again.
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await this.api.createLock({ token, root: storeRoot(root), depth, scope, owner, timeoutSeconds });
        return [];
      } catch (err) {
        if (!(err instanceof DfsError) || err.code !== 'locked') throw err;
      }
      const around = await this.#query([root], depth === 'infinity', now);
      const conflicts = lockConflicts(around, lock, now);
      if (conflicts.length > 0) return conflicts;
    }
    throw new DavError(423, `${root} is locked`);
  }

  async putLock(lock: DavLock): Promise<boolean> {
    try {
      await this.api.refreshLock(lock.token, lock.timeoutSeconds);
      return true;
    } catch (err) {
      if (err instanceof DfsError && err.code === 'not_found') return false;
      throw err;
    }
  }

  removeLock(token: string): Promise<boolean> {
    return this.api.removeLock(token);
  }

  async removeLocksWithin(path: string): Promise<number> {
    const within = (await this.#query([path], true, 0)).filter((lock) => isWithin(lock.root, path));
    const removed = await Promise.all(within.map((lock) => this.api.removeLock(lock.token)));
    return removed.filter(Boolean).length;
  }

  async #query(paths: readonly string[], descendants: boolean, now: number): Promise<DavLock[]> {
    const answers = await Promise.all(paths.map((p) => this.api.locksFor(storeRoot(p), descendants)));
    const found = new Map<string, DavLock>();
    // The store drops expired locks by its own clock; `now` also lets a caller look ahead.
    for (const record of answers.flat())
      if (record.expires > now) found.set(record.token, fromRecord(record));
    return [...found.values()];
  }
}
