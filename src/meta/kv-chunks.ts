// Chunk reference counts, upload leases and collection over an ordered key-value engine.
// Tables: `chunks` (id → ChunkRecord), `leases` (id → LeaseRecord), `leaseChunks`
// (`lease/chunk` → 1), `leaseExpiry` (`time/lease` → 1, to find lapsed leases without a scan),
// `parts` and `multiparts` (S3 multipart uploads).

import { compareUtf8 } from '../protocol/byte-order.js';
import { DfsError, UPLOAD_AGAIN } from '../protocol/errors.js';
import type { ChunkRef } from '../protocol/types.js';
import { prefixEnd, type Txn } from './engine.js';
import {
  COMMIT_REPLAY_WINDOW,
  EXPIRE_BATCH,
  expiredError,
  LOW_SEPARATOR,
  openedAlready,
  pad,
  versionDigest,
} from './rules.js';
import type {
  ChunkRecord,
  DoomCandidate,
  FileRecord,
  LeaseRecord,
  MultipartInfo,
  PartRecord,
} from './types.js';

const leaseChunkKey = (lease: string, chunk: string) => `${lease}/${chunk}`;
const expiryKey = (lease: LeaseRecord) => `${pad(lease.expires)}/${lease.id}`;
const partKey = (lease: string, n: number) => `${lease}/${pad(n, 6)}`;
// Path, then initiation: the separator sorts below every character a path may hold, so a path
// sorts before the longer paths it is a prefix of (`/a` before `/a-b`), in byte order.
const multipartKey = (lease: LeaseRecord) =>
  `${lease.multipart?.path}${LOW_SEPARATOR}${pad(lease.multipart?.initiated ?? 0)}${lease.id}`;

function chunkRow(txn: Txn, id: string): ChunkRecord | undefined {
  return txn.get<ChunkRecord>('chunks', id);
}

// A chunk with neither references nor pins starts its grace period now.
function settle(record: ChunkRecord, now: number): ChunkRecord {
  const idle = record.refs === 0 && record.pins === 0;
  return { ...record, zeroSince: idle ? record.zeroSince || now : 0 };
}

/** Drops one reference for every chunk of a manifest; counts never go negative. */
export function dropRefs(txn: Txn, chunks: ChunkRef[], now: number): void {
  for (const c of chunks) {
    const record = chunkRow(txn, c.id);
    if (!record) continue;
    txn.put('chunks', c.id, settle({ ...record, refs: Math.max(0, record.refs - 1), zeroSince: 0 }, now));
  }
}

/** The lease `id`, open or a tombstone. */
export function leaseOf(txn: Txn, id: string): LeaseRecord | undefined {
  return txn.get<LeaseRecord>('leases', id);
}

function putLease(txn: Txn, lease: LeaseRecord, previous: LeaseRecord | undefined): void {
  if (previous) txn.del('leaseExpiry', expiryKey(previous));
  txn.put('leases', lease.id, lease);
  txn.put('leaseExpiry', expiryKey(lease), 1);
}

// The row of a chunk a commit or a part names, and whether lease `uploadId` pins it. Refused
// unless a file references it or the lease pins it: collection may have taken it.
function usableRow(
  txn: Txn,
  c: ChunkRef,
  uploadId: string | undefined,
): { record: ChunkRecord; pinned: boolean } {
  const record = chunkRow(txn, c.id);
  const pinned =
    uploadId !== undefined && txn.get('leaseChunks', leaseChunkKey(uploadId, c.id)) !== undefined;
  if (record && !record.doomed && (record.refs > 0 || pinned)) return { record, pinned };
  throw new DfsError('conflict', `chunk ${c.id} is no longer stored${UPLOAD_AGAIN}`);
}

/**
 * Gives every chunk of a committed manifest one reference per mention, taking off the pins its
 * upload's open lease `lease` holds on them (refused as usableRow says); returns how many
 * pins it took. Each chunk's row is read and written once. (PostgreSQL's dfs_chunk_delta calls
 * the references `p_add` and the pins `p_unpin`.)
 */
export function takeChunks(txn: Txn, chunks: ChunkRef[], lease: LeaseRecord | undefined): number {
  const rows = new Map<string, ChunkRecord>();
  let taken = 0;
  for (const c of chunks) {
    let row = rows.get(c.id);
    if (!row) {
      const { record, pinned } = usableRow(txn, c, lease?.id);
      row = record;
      if (pinned && lease) {
        txn.del('leaseChunks', leaseChunkKey(lease.id, c.id));
        row = { ...record, pins: Math.max(0, record.pins - 1) };
        taken++;
      }
    }
    rows.set(c.id, { ...row, refs: row.refs + 1, zeroSince: 0 });
  }
  for (const [id, row] of rows) txn.put('chunks', id, row);
  return taken;
}

/** Pins `chunks` with lease `id`, creating or extending it; returns the chunks revived from collection. */
export function lease(txn: Txn, id: string, chunks: ChunkRef[], ttl: number, now: number): string[] {
  const previous = leaseOf(txn, id);
  if (previous && previous.state !== 'open') throw expiredError();
  const current: LeaseRecord = previous ?? { id, state: 'open', expires: now + ttl, ttl, chunkCount: 0 };
  const revived: string[] = [];
  for (const c of chunks) {
    const key = leaseChunkKey(id, c.id);
    if (txn.get('leaseChunks', key)) continue;
    txn.put('leaseChunks', key, 1);
    const record = chunkRow(txn, c.id) ?? { size: c.size, refs: 0, pins: 0, zeroSince: 0, doomed: false };
    if (record.doomed) revived.push(c.id);
    txn.put('chunks', c.id, { ...record, pins: record.pins + 1, zeroSince: 0, doomed: false });
    current.chunkCount++;
  }
  putLease(txn, { ...current, expires: Math.max(current.expires, now + current.ttl) }, previous);
  return revived;
}

// Unpins an open lease's chunks (all but `taken` of them, which a commit took already) and drops
// its parts and its multipart upload. The lease counts its pins: none left, none is looked for.
function release(txn: Txn, lease: LeaseRecord, now: number, taken = 0): void {
  const { id } = lease;
  const range = { start: `${id}/`, end: prefixEnd(`${id}/`) };
  if (lease.chunkCount > taken) {
    for (const { key } of txn.range('leaseChunks', range)) {
      const chunkId = key.slice(id.length + 1);
      const record = chunkRow(txn, chunkId);
      if (record) txn.put('chunks', chunkId, settle({ ...record, pins: Math.max(0, record.pins - 1) }, now));
      txn.del('leaseChunks', key);
    }
  }
  if (!lease.multipart) return;
  for (const { key } of txn.range('parts', range)) txn.del('parts', key);
  txn.del('multiparts', multipartKey(lease));
}

/**
 * Ends an open lease that did not commit: unpins its chunks. It stays as a tombstone for a while
 * (ten lease lifetimes), so its late commit is refused with a clear reason.
 */
export function endLease(txn: Txn, id: string, state: 'expired' | 'aborted', now: number): void {
  const current = leaseOf(txn, id);
  if (current?.state !== 'open') return;
  release(txn, current, now);
  putLease(txn, { ...current, state, expires: now + 10 * current.ttl, chunkCount: 0 }, current);
}

/**
 * Records that upload `id` made `file`: ends its lease (`current`, as the commit read it, of
 * whose pins the commit `taken` some), and remembers the version for COMMIT_REPLAY_WINDOW, so the
 * commit sent again is answered with it and applied only once.
 */
export function rememberCommit(
  txn: Txn,
  id: string,
  current: LeaseRecord | undefined,
  file: FileRecord,
  now: number,
  taken: number,
): void {
  if (current?.state === 'open') release(txn, current, now, taken);
  const committed = {
    path: file.path,
    generation: file.generation,
    created: file.created,
    digest: versionDigest(file),
  };
  const ttl = COMMIT_REPLAY_WINDOW;
  putLease(txn, { id, state: 'committed', expires: now + ttl, ttl, chunkCount: 0, committed }, current);
}

/**
 * Ends up to EXPIRE_BATCH leases open past their expiry and forgets tombstones past theirs (up to
 * 50 times as many: every commit leaves one, and forgetting one is cheap); returns how many expired.
 */
export function expireLeases(txn: Txn, now: number): number {
  let expired = 0;
  for (const { key } of [...txn.range('leaseExpiry', { end: pad(now), limit: 50 * EXPIRE_BATCH })]) {
    const id = key.slice(key.indexOf('/') + 1);
    const current = leaseOf(txn, id);
    if (current?.state === 'open') {
      if (expired === EXPIRE_BATCH) continue;
      endLease(txn, id, 'expired', now);
      expired++;
    } else {
      txn.del('leaseExpiry', key);
      txn.del('leases', id);
    }
  }
  return expired;
}

/** Condemns the candidates still collectable; returns their ids. */
export function doom(txn: Txn, candidates: DoomCandidate[], grace: number, now: number): string[] {
  const doomed: string[] = [];
  for (const c of candidates) {
    const record = chunkRow(txn, c.id);
    if (!record) {
      if (!c.absent) continue;
      txn.put<ChunkRecord>('chunks', c.id, { size: c.size, refs: 0, pins: 0, zeroSince: now, doomed: true });
      doomed.push(c.id);
    } else if (record.doomed) {
      doomed.push(c.id);
    } else if (record.refs === 0 && record.pins === 0 && now - record.zeroSince >= grace) {
      txn.put('chunks', c.id, { ...record, doomed: true });
      doomed.push(c.id);
    }
  }
  return doomed;
}

/** Forgets condemned chunks that nothing claimed since; returns their ids. */
export function purge(txn: Txn, ids: string[]): string[] {
  const gone: string[] = [];
  for (const id of ids) {
    const record = chunkRow(txn, id);
    if (!record?.doomed || record.refs > 0 || record.pins > 0) continue;
    txn.del('chunks', id);
    gone.push(id);
  }
  return gone;
}

/** Opens a multipart upload as a lease with its target (see MetaStore.createMultipart). */
export function createMultipart(txn: Txn, id: string, info: MultipartInfo, ttl: number, now: number): void {
  if (openedAlready(id, leaseOf(txn, id), info)) return;
  const record: LeaseRecord = { id, state: 'open', expires: now + ttl, ttl, chunkCount: 0, multipart: info };
  putLease(txn, record, undefined);
  txn.put('multiparts', multipartKey(record), id);
}

function openMultipart(txn: Txn, id: string): LeaseRecord {
  const current = leaseOf(txn, id);
  if (!current?.multipart || current.state !== 'open')
    throw new DfsError('not_found', `no such multipart upload: ${id}`);
  return current;
}

/** Records a part whose chunks the upload's lease pins; a part with the same number is replaced. */
export function putPart(txn: Txn, id: string, part: PartRecord, now: number): void {
  const current = openMultipart(txn, id);
  for (const c of part.chunks) usableRow(txn, c, id);
  txn.put('parts', partKey(id, part.number), part);
  putLease(txn, { ...current, expires: Math.max(current.expires, now + current.ttl) }, current);
}

/** The parts of an open multipart upload, by number. */
export function listParts(txn: Txn, id: string): PartRecord[] {
  openMultipart(txn, id);
  return [...txn.range<PartRecord>('parts', { start: `${id}/`, end: prefixEnd(`${id}/`) })].map(
    (r) => r.value,
  );
}

/** Open multipart uploads below `prefix` whose path sorts at or after `from`, by path then initiation. */
export function listMultiparts(txn: Txn, prefix: string, limit: number, from = prefix): LeaseRecord[] {
  const out: LeaseRecord[] = [];
  // Keys are path, separator, initiation: a bound that is no path (one just after a path) can
  // fall among a path's keys, so each upload's path is compared too.
  const start = compareUtf8(from, prefix) > 0 ? from : prefix;
  for (const { value } of txn.range<string>('multiparts', { start, end: prefixEnd(prefix) })) {
    const lease = leaseOf(txn, value);
    if (lease?.state !== 'open' || compareUtf8(lease.multipart?.path ?? '', from) < 0) continue;
    out.push(lease);
    if (out.length === limit) break;
  }
  return out;
}
