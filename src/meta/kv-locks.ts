// WebDAV locks over an ordered key-value engine: `locks` (token → LockRecord) and `lockRoots`
// (`root⟨sep⟩token` → token), so the locks on a path, on its ancestors or below it are range scans.

import { DfsError } from '../protocol/errors.js';
import { prefixEnd, type Txn } from './engine.js';
import { ancestorFolders, KEY_SEPARATOR, locksConflict } from './rules.js';
import type { LockRecord } from './types.js';

const rootKey = (lock: LockRecord) => `${lock.root}${KEY_SEPARATOR}${lock.token}`;

// Locks held on exactly `root`; expired ones are dropped on the way.
function locksOn(txn: Txn, root: string, now: number): LockRecord[] {
  const start = `${root}${KEY_SEPARATOR}`;
  return collect(txn, start, prefixEnd(start), now);
}

function collect(txn: Txn, start: string, end: string, now: number): LockRecord[] {
  const out: LockRecord[] = [];
  for (const { key, value } of [...txn.range<string>('lockRoots', { start, end })]) {
    const lock = txn.get<LockRecord>('locks', value);
    if (lock && lock.expires > now) out.push(lock);
    else {
      txn.del('lockRoots', key);
      if (lock) txn.del('locks', value);
    }
  }
  return out;
}

/** Unexpired locks on `path`, on its ancestor folders, and (with `descendants`) below it. */
export function locksFor(txn: Txn, path: string, descendants: boolean, now: number): LockRecord[] {
  const roots = [...ancestorFolders(path).filter((a) => a !== path), path];
  const out = roots.flatMap((root) => locksOn(txn, root, now));
  if (descendants && path.endsWith('/')) {
    // Everything below the folder: keys that start with it and hold more than its own separator.
    for (const lock of collect(txn, path, prefixEnd(path), now)) if (lock.root !== path) out.push(lock);
  }
  return out;
}

/** Takes `lock` unless an unexpired lock conflicts with it. */
export function createLock(txn: Txn, lock: LockRecord, now: number): LockRecord {
  const candidates = locksFor(txn, lock.root, lock.depth === 'infinity', now);
  const conflict = candidates.find(
    (held) =>
      // An ancestor's lock covers this path only at depth infinity.
      (held.root === lock.root || held.depth === 'infinity' || !lock.root.startsWith(held.root)) &&
      locksConflict(held, lock),
  );
  if (conflict) throw new DfsError('locked', `${lock.root} is locked by another lock (${conflict.root})`);
  txn.put('locks', lock.token, lock);
  txn.put('lockRoots', rootKey(lock), lock.token);
  return lock;
}

/** Extends a lock. */
export function refreshLock(txn: Txn, token: string, timeoutSeconds: number, now: number): LockRecord {
  const lock = txn.get<LockRecord>('locks', token);
  if (!lock || lock.expires <= now) throw new DfsError('not_found', 'no such lock');
  const next = { ...lock, timeoutSeconds, expires: now + timeoutSeconds * 1000 };
  txn.put('locks', token, next);
  return next;
}

/** Releases a lock; false when it was not held. */
export function removeLock(txn: Txn, token: string): boolean {
  const lock = txn.get<LockRecord>('locks', token);
  if (!lock) return false;
  txn.del('locks', token);
  txn.del('lockRoots', rootKey(lock));
  return true;
}
