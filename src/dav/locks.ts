// The lock rules of RFC 4918 §6–7 as pure functions over the current locks, with the clock
// passed in, and the store interface locks are kept behind.

import { randomUUID } from 'node:crypto';
import { DavError } from './errors.js';
import { isBelow, parentPath } from './paths.js';

/** An active write lock. */
export interface DavLock {
  /** `urn:uuid:…`, unguessable: the token is the only proof of ownership. */
  token: string;
  /** The DAV path the LOCK addressed (the lock root). */
  root: string;
  depth: 0 | 'infinity';
  scope: 'exclusive' | 'shared';
  /** The content of the request's DAV:owner as self-contained XML, or ''. */
  owner: string;
  /** The timeout last granted, in seconds. */
  timeoutSeconds: number;
  /** When the lock lapses, in ms since the epoch. */
  expires: number;
}

/** What a LOCK asks for. */
export interface LockRequest {
  root: string;
  depth: 0 | 'infinity';
  scope: 'exclusive' | 'shared';
}

/** True while the lock has not timed out. */
export function isActive(lock: DavLock, now: number): boolean {
  return now < lock.expires;
}

/** True when `path` is in the lock's scope: its root, or below it for a depth-infinity lock. */
export function covers(lock: DavLock, path: string): boolean {
  return lock.root === path || (lock.depth === 'infinity' && isBelow(path, lock.root));
}

/** The active locks whose scope holds `path` (its own, and ancestors' depth-infinity locks). */
export function locksCovering(locks: readonly DavLock[], path: string, now: number): DavLock[] {
  return locks.filter((lock) => isActive(lock, now) && covers(lock, path));
}

/** The active locks rooted strictly below `path`. */
export function locksBelow(locks: readonly DavLock[], path: string, now: number): DavLock[] {
  return locks.filter((lock) => isActive(lock, now) && isBelow(lock.root, path));
}

/**
 * The active locks a new lock would conflict with (§6.1, §7): two locks conflict unless both
 * are shared, when one's scope overlaps the other's — a lock covering the new root, or for a
 * depth-infinity request any lock below it.
 */
export function lockConflicts(locks: readonly DavLock[], request: LockRequest, now: number): DavLock[] {
  return locks.filter(
    (lock) =>
      isActive(lock, now) &&
      !(lock.scope === 'shared' && request.scope === 'shared') &&
      (covers(lock, request.root) || (request.depth === 'infinity' && isBelow(lock.root, request.root))),
  );
}

/** The 423 for a LOCK that conflicts, naming the conflicting lock roots (§9.10.6, `no-conflicting-lock`). */
export function conflictError(conflicts: readonly DavLock[]): DavError {
  return new DavError(423, 'the resource is locked', {
    name: 'no-conflicting-lock',
    paths: unique(conflicts.map((lock) => lock.root)),
  });
}

/**
 * What a request changes, for deciding which lock tokens it must submit:
 * - `modify`: content or properties of an existing resource (PUT over a file, PROPPATCH);
 * - `create`: a new member appears (PUT of a new file, MKCOL, the destination of COPY/MOVE,
 *   LOCK of an unmapped URL) — its parent collection's membership changes too;
 * - `remove`: a member and everything below it goes (DELETE, the source of MOVE, a destination
 *   that COPY/MOVE overwrites — send `remove` then `create` for it).
 */
export interface DavChange {
  kind: 'modify' | 'create' | 'remove';
  path: string;
}

/** A resource a request changes that is locked: one token of `locks` must be submitted. */
export interface LockRequirement {
  path: string;
  locks: DavLock[];
}

/**
 * The locked resources `changes` touch (§7.4–7.6): the resource itself; for create/remove its
 * parent collection (a depth-0 lock on a collection protects its membership, §7.5); for
 * remove every locked resource below it. Any one token covering a resource satisfies it —
 * shared locks on one resource admit the holder of any of them.
 */
export function lockRequirements(
  locks: readonly DavLock[],
  changes: readonly DavChange[],
  now: number,
): LockRequirement[] {
  const paths = new Set<string>();
  for (const change of changes) {
    paths.add(change.path);
    const parent = parentPath(change.path);
    if (change.kind !== 'modify' && parent !== undefined) paths.add(parent);
    if (change.kind === 'remove')
      for (const lock of locksBelow(locks, change.path, now)) paths.add(lock.root);
  }
  const out: LockRequirement[] = [];
  for (const path of paths) {
    const covering = locksCovering(locks, path, now);
    if (covering.length > 0) out.push({ path, locks: covering });
  }
  return out;
}

/** The requirements none of whose lock tokens was submitted. */
export function unmetRequirements(
  requirements: readonly LockRequirement[],
  submitted: Iterable<string>,
): LockRequirement[] {
  const tokens = new Set(submitted);
  return requirements.filter((req) => !req.locks.some((lock) => tokens.has(lock.token)));
}

/** Throws the 423 `lock-token-submitted` (§16) naming the lock roots whose tokens are missing. */
export function assertLocksSubmitted(
  locks: readonly DavLock[],
  changes: readonly DavChange[],
  submitted: Iterable<string>,
  now: number,
): void {
  const unmet = unmetRequirements(lockRequirements(locks, changes, now), submitted);
  if (unmet.length === 0) return;
  throw new DavError(423, 'the resource is locked and no lock token for it was submitted', {
    name: 'lock-token-submitted',
    paths: unique(unmet.flatMap((req) => req.locks.map((lock) => lock.root))),
  });
}

/** A new lock token: a `urn:uuid:` URI (§6.5), random so it cannot be guessed. */
export function mintLockToken(): string {
  return `urn:uuid:${randomUUID()}`;
}

/** The lock a successful LOCK creates. */
export function newLock(
  request: LockRequest & { owner: string; timeoutSeconds: number },
  now: number,
  token = mintLockToken(),
): DavLock {
  const { root, depth, scope, owner, timeoutSeconds } = request;
  return { token, root, depth, scope, owner, timeoutSeconds, expires: now + timeoutSeconds * 1000 };
}

/**
 * The locks a refresh (LOCK with no body, §9.10.2) renews: those covering the request URL whose
 * tokens the If header submitted. None is a 412, as when the If header does not hold.
 */
export function locksToRefresh(
  locks: readonly DavLock[],
  path: string,
  submitted: Iterable<string>,
  now: number,
): DavLock[] {
  const tokens = new Set(submitted);
  const found = locksCovering(locks, path, now).filter((lock) => tokens.has(lock.token));
  if (found.length === 0) throw new DavError(412, 'no submitted lock token names a lock on this resource');
  return found;
}

/** `lock` with a new timeout starting now. */
export function refreshLock(lock: DavLock, timeoutSeconds: number, now: number): DavLock {
  return { ...lock, timeoutSeconds, expires: now + timeoutSeconds * 1000 };
}

/**
 * The lock an UNLOCK removes (§9.11): the one with `token` whose scope holds the request URL.
 * Otherwise 409 `lock-token-matches-request-uri`.
 */
export function lockToRemove(locks: readonly DavLock[], path: string, token: string, now: number): DavLock {
  const lock = locksCovering(locks, path, now).find((candidate) => candidate.token === token);
  if (lock) return lock;
  throw new DavError(409, 'the lock token does not name a lock on this resource', {
    name: 'lock-token-matches-request-uri',
  });
}

/** Whole seconds left before the lock lapses (at least 0), for DAV:timeout. */
export function secondsLeft(lock: DavLock, now: number): number {
  return Math.max(0, Math.ceil((lock.expires - now) / 1000));
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
