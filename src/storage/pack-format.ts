// The record format of pack files: small chunks appended one after another to a few large files
// (as Facebook's Haystack and SeaweedFS's volumes do), so storing a 4 KiB chunk costs no file
// creation, no rename and no directory fsync, and one fsync serves every write of a batch.
//
// A record is a 48-byte header then the payload:
//   magic "DFSP" | type (1 chunk, 2 tombstone) | 3 zero bytes | chunk id (32 raw bytes) |
//   payload size (u32 LE) | CRC-32 of the 44 bytes before it (u32 LE)
// A chunk record's payload hashes (SHA-256) to its id, so every record validates itself; a torn
// tail after a crash is found and cut off when the pack is opened, and rot inside costs only the
// records it touches.

import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';

/** Bytes of a record header. */
export const HEADER_SIZE = 48;
const MAGIC = 0x50534644; // "DFSP" read as a little-endian u32
const MAGIC_BYTES = Buffer.from('DFSP', 'latin1');
/** A stored chunk. */
export const CHUNK_RECORD = 1;
/** A deleted chunk: its earlier record no longer counts. */
export const TOMBSTONE = 2;

/** A parsed record header. */
export interface RecordHeader {
  type: typeof CHUNK_RECORD | typeof TOMBSTONE;
  id: string;
  size: number;
}

/** The header of a record for chunk `id` (`size` payload bytes; 0 for a tombstone). */
export function encodeHeader(type: number, id: string, size: number): Buffer {
  const header = Buffer.alloc(HEADER_SIZE);
  header.writeUInt32LE(MAGIC, 0);
  header.writeUInt8(type, 4);
  header.write(id, 8, 32, 'hex');
  header.writeUInt32LE(size, 40);
  header.writeUInt32LE(crc32(header.subarray(0, 44)), 44);
  return header;
}

/** Parses a header; undefined when it is not a valid one (a torn or foreign write). */
export function decodeHeader(buf: Buffer, at = 0): RecordHeader | undefined {
  if (buf.length - at < HEADER_SIZE) return undefined;
  if (buf.readUInt32LE(at) !== MAGIC) return undefined;
  if (crc32(buf.subarray(at, at + 44)) !== buf.readUInt32LE(at + 44)) return undefined;
  const type = buf.readUInt8(at + 4);
  if (type !== CHUNK_RECORD && type !== TOMBSTONE) return undefined;
  return { type, id: buf.toString('hex', at + 8, at + 40), size: buf.readUInt32LE(at + 40) };
}

/** True when `payload` is the content of chunk `id`. */
export function payloadMatches(id: string, payload: Buffer): boolean {
  return createHash('sha256').update(payload).digest('hex') === id;
}

/** A record found by a scan: its header and where its payload starts. */
export interface ScannedRecord extends RecordHeader {
  /** Offset of the payload in the pack. */
  offset: number;
}

/** Reads positioned bytes of a pack (a FileHandle's `read`, or a buffer in tests). */
export type ReadAt = (buffer: Buffer, position: number) => Promise<number>;

// Bytes read at a time while scanning.
const SCAN_BLOCK = 4 * 1024 * 1024;

/** What a scan of a pack found. */
export interface PackScan {
  records: ScannedRecord[];
  /** Where the last valid record ends: past it lies only a torn tail (or nothing). */
  end: number;
  /** Stretches skipped as rotten: a chunk whose bytes fail their hash, or bytes that are no record. */
  corrupt: number;
}

/**
 * Walks a pack of `length` bytes and returns its valid records. With `verify`, chunk payloads
 * are hashed too (the newest pack, whose tail a crash may have torn); otherwise only headers
 * are checked (older packs were complete when they were closed).
 *
 * Rot is not a torn tail: a record that fails its hash is skipped, and bytes that are no record
 * are skipped to the next valid header (magic and CRC), so one flipped bit costs one chunk, not
 * every chunk after it. Only when no valid record follows is the rest a torn tail. Past such a
 * gap the scan cannot tell a record from one stored inside a chunk's payload (a chunk may itself
 * be pack bytes): chunks found there are kept only if their bytes hash to their id (then they
 * are real chunks), and tombstones are ignored (a deleted chunk coming back is an orphan the
 * master collects; a live one deleted would be a loss).
 */
export async function scanPack(readAt: ReadAt, length: number, verify: boolean): Promise<PackScan> {
  const records: ScannedRecord[] = [];
  let block = Buffer.alloc(0);
  let blockStart = 0;
  let pos = 0;
  let end = 0;
  let corrupt = 0;
  // Records skipped since the last valid one: rot once a valid record follows, else a torn tail.
  let skipped = 0;
  let resynced = false;
  // True when the header at `pos` was found by searching, not reached by a record's size.
  let searched = false;
  // Bytes `from..from+n` of the pack, from the current block or read afresh.
  const bytes = async (from: number, n: number): Promise<Buffer | undefined> => {
    if (from + n > length) return undefined;
    if (from < blockStart || from + n > blockStart + block.length) {
      const size = Math.max(n, Math.min(SCAN_BLOCK, length - from));
      block = Buffer.allocUnsafe(size);
      const got = await readAt(block, from);
      if (got < n) return undefined;
      block = block.subarray(0, got);
      blockStart = from;
    }
    return block.subarray(from - blockStart, from - blockStart + n);
  };
  // The offset of the next valid header at or after `from`, or undefined.
  const nextHeader = async (from: number): Promise<number | undefined> => {
    for (let at = from; at + HEADER_SIZE <= length; ) {
      const span = Math.min(SCAN_BLOCK, length - at);
      const window = await bytes(at, span);
      if (!window) return undefined;
      for (
        let i = window.indexOf(MAGIC_BYTES);
        i >= 0 && i + HEADER_SIZE <= span;
        i = window.indexOf(MAGIC_BYTES, i + 1)
      )
        if (decodeHeader(window, i)) return at + i;
      // The next window overlaps this one by a header, less a byte: no header is missed at the seam.
      at += Math.max(1, span - HEADER_SIZE + 1);
    }
    return undefined;
  };
  while (pos < length) {
    const head = await bytes(pos, HEADER_SIZE);
    const header = head && decodeHeader(head);
    const offset = pos + HEADER_SIZE;
    // A found header whose chunk fails its hash may be no record at all (bytes inside a
    // chunk's payload): its size is not trusted, the search goes on from the next byte.
    const bad =
      !header ||
      offset + header.size > length ||
      (header.type === CHUNK_RECORD &&
        (verify || resynced) &&
        !payloadMatches(header.id, (await bytes(offset, header.size)) ?? Buffer.alloc(0)));
    if (!header || (bad && (searched || offset + header.size > length))) {
      const next = await nextHeader(pos + 1);
      if (next === undefined) break;
      skipped++;
      resynced = true;
      searched = true;
      pos = next;
      continue;
    }
    searched = false;
    pos = offset + header.size;
    if (bad) {
      skipped++;
      continue;
    }
    if (!(resynced && header.type === TOMBSTONE)) records.push({ ...header, offset });
    end = pos;
    corrupt += skipped;
    skipped = 0;
  }
  return { records, end, corrupt };
}
