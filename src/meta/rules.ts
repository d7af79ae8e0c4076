// The namespace rules every metadata backend applies, as pure functions: which keys a path
// implies, what a move may do, and the errors callers can tell apart.

import { createHash } from 'node:crypto';
import { DfsError, UPLOAD_AGAIN } from '../protocol/errors.js';
import { MAX_PATH_BYTES } from '../protocol/paths.js';
import type { CommitIntent, FileRecord, LeaseRecord, MultipartInfo } from './types.js';

/** The folder keys above `path` (`/a/b/c` → `/`, `/a/`, `/a/b/`), outermost first. */
export function ancestorFolders(path: string): string[] {
  const out = ['/'];
  let i = path.indexOf('/', 1);
  while (i !== -1 && i < path.length - 1) {
    out.push(path.slice(0, i + 1));
    i = path.indexOf('/', i + 1);
  }
  return out;
}

/** The key of the folder at a normalised path: `/a/b` → `/a/b/`. */
export function folderKey(path: string): string {
  return path.endsWith('/') ? path : `${path}/`;
}

/** Refuses a move of `from` to a path below itself. */
export function checkMoveTarget(from: string, to: string): void {
  if (to.startsWith(`${from}/`)) throw new DfsError('bad_request', `cannot move ${from} below itself`);
}

/** `to` with `from` replaced: where a path below a moved folder lands; refused when it grows too long. */
export function movedPath(path: string, from: string, to: string): string {
  const target = `${to}${path.slice(from.length)}`;
  if (Buffer.byteLength(target) > MAX_PATH_BYTES)
    throw new DfsError(
      'bad_request',
      `the move would make ${target.slice(0, 60)}… longer than ${MAX_PATH_BYTES} bytes; nothing was moved`,
    );
  return target;
}

/**
 * How long a committed upload's id is remembered, ms: a commit sent again within it (its answer
 * was lost) is answered with the version it made, even after another commit replaced that
 * version. Well past the longest a client keeps resending (a minute's wait, then 20 s of
 * failover between masters). PostgreSQL's migration 7 has it written in: a change is a new migration.
 * The answers of resendable calls (see Resendable in store.ts) are kept as long.
 */
export const COMMIT_REPLAY_WINDOW = 300_000;

/** What a resendable call is (`["move","/a","/b",false]`), to tell it from another call under its id. */
export function callOf(...parts: unknown[]): string {
  return JSON.stringify(parts.map((p) => p ?? null));
}

/**
 * Opening multipart upload `id` over lease `held` (undefined: none): nothing to do when `held` is
 * that upload opened by the same call sent again (all alike but its start time: the id is random,
 * so no other client's), else a conflict.
 */
export function openedAlready(id: string, held: LeaseRecord | undefined, info: MultipartInfo): boolean {
  if (!held) return false;
  const mp = held.multipart;
  const same = (a: Record<string, string>, b: Record<string, string>) =>
    Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([k, v]) => b[k] === v);
  if (
    held.state === 'open' &&
    mp?.path === info.path &&
    mp.contentType === info.contentType &&
    same(mp.metadata, info.metadata) &&
    same(mp.attributes, info.attributes)
  )
    return true;
  throw new DfsError('conflict', `upload ${id} exists`);
}

/**
 * Open leases ended by one expireLeases call (each unpins its chunks); it forgets up to 50 times
 * as many tombstones. Every commit leaves one, and the leader sweeps every 3 to 30 s: 50,000 a
 * sweep keeps ahead of any commit rate a cluster reaches.
 */
export const EXPIRE_BATCH = 1000;

/** The error for a commit into an upload whose lease lapsed (its chunks may be collected). */
export function expiredError(): DfsError {
  return new DfsError('conflict', `the upload was idle for too long and expired${UPLOAD_AGAIN}`);
}

/** The message for a commit under an upload id with no lease (PostgreSQL's migration 7 has it too). */
export const NOT_OPEN = `is not open: it was never begun, or this commit came after it was forgotten${UPLOAD_AGAIN}`;

/**
 * The error for a commit under an upload id the store holds no lease of: never begun (a client
 * must begin every upload, with an empty allocate when it writes no chunk), or so long ago that
 * even its tombstone is gone — a commit held up that long (in a master frozen or cut off while a
 * resend went elsewhere) must not be applied over what was written since.
 */
export function notOpenError(uploadId: string): DfsError {
  return new DfsError('conflict', `upload ${uploadId} ${NOT_OPEN}`);
}

/**
 * The error for a commit under an upload id that committed something else: another path, or
 * other bytes (two S3 completes of one upload with different part lists).
 */
export function committedOtherError(uploadId: string, path: string): DfsError {
  return new DfsError('conflict', `upload ${uploadId} already committed a different file at ${path}`);
}

/** The LMDB store's fingerprint of a version: its size, hash and chunk ids (PostgreSQL compares the same). */
export function versionDigest(v: { size: number; sha256: string; chunks: { id: string }[] }): string {
  const hash = createHash('sha256').update(`${v.size}/${v.sha256}/`);
  for (const c of v.chunks) hash.update(`${c.id},`);
  return hash.digest('base64url');
}

/** The error for a generation condition that does not hold. */
export function preconditionError(path: string): DfsError {
  return new DfsError('precondition_failed', `${path} was changed by someone else`);
}

/** The error for a file that cannot be placed because an ancestor is a file. */
export function parentIsFileError(parent: string): DfsError {
  return new DfsError('conflict', `${parent} is a file, not a folder`);
}

/** True when two locks conflict: anything with an exclusive lock. */
export function locksConflict(a: { scope: string }, b: { scope: string }): boolean {
  return a.scope === 'exclusive' || b.scope === 'exclusive';
}

/** A sortable fixed-width decimal for keys (times, part numbers). */
export function pad(n: number, width = 15): string {
  return String(Math.max(0, Math.floor(n))).padStart(width, '0');
}

/** Separates a path from a suffix in composite keys; paths never contain this noncharacter. */
export const KEY_SEPARATOR = '\u{10FFFE}';

/**
 * Separates a path from a suffix where keys must sort by path first: a control character, which
 * paths never hold, sorts below all they may hold.
 */
export const LOW_SEPARATOR = '\u0001';

/** The file record a commit makes of its intent. */
export function fileOfIntent(intent: CommitIntent, generation: number, now: number): FileRecord {
  return {
    path: intent.path,
    size: intent.size,
    sha256: intent.sha256,
    generation,
    created: now,
    contentType: intent.contentType,
    metadata: intent.metadata,
    attributes: intent.attributes,
    chunks: intent.chunks.map((c) => ({ id: c.id, size: c.size })),
    ...(intent.uploadId && { uploadId: intent.uploadId }),
  };
}
