// What a node's data folder holds, read straight from the disk (never through the daemon): chunk
// files (`chunks/ab/abc…`) and small chunks in pack files (`packs/*.pack`, the last record of a
// chunk wins, a tombstone removes it), so tests check the disk whatever layout a chunk has.

import fs from 'node:fs/promises';
import path from 'node:path';
import { CHUNK_RECORD, scanPack } from '../../src/storage/pack-format.js';

/** Where each packed chunk's live record is. */
async function packIndex(
  dataDir: string,
): Promise<Map<string, { file: string; offset: number; size: number }>> {
  const dir = path.join(dataDir, 'packs');
  const index = new Map<string, { file: string; offset: number; size: number }>();
  const names = (await fs.readdir(dir).catch(() => [])).filter((n) => n.endsWith('.pack')).sort();
  for (const name of names) {
    const file = path.join(dir, name);
    const handle = await fs.open(file, 'r');
    try {
      const { size } = await handle.stat();
      const { records } = await scanPack(
        async (buffer, position) => (await handle.read(buffer, 0, buffer.length, position)).bytesRead,
        size,
        false,
      );
      for (const r of records) {
        if (r.type === CHUNK_RECORD) index.set(r.id, { file, offset: r.offset, size: r.size });
        else index.delete(r.id);
      }
    } finally {
      await handle.close();
    }
  }
  return index;
}

/** The path of chunk `id`'s file (whether or not it exists). */
export function chunkFile(dataDir: string, id: string): string {
  return path.join(dataDir, 'chunks', id.slice(0, 2), id);
}

/** The bytes of chunk `id` on the disk of a node (file or pack), or undefined. */
export async function chunkOnDisk(dataDir: string, id: string): Promise<Buffer | undefined> {
  const file = await fs.readFile(chunkFile(dataDir, id)).catch(() => undefined);
  if (file) return file;
  const at = (await packIndex(dataDir)).get(id);
  if (!at) return undefined;
  const handle = await fs.open(at.file, 'r');
  try {
    const data = Buffer.alloc(at.size);
    await handle.read(data, 0, at.size, at.offset);
    return data;
  } finally {
    await handle.close();
  }
}

/** Every chunk id on the disk of a node (files and packs). */
export async function chunkIdsOnDisk(dataDir: string): Promise<string[]> {
  const root = path.join(dataDir, 'chunks');
  const ids: string[] = [];
  for (const dir of await fs.readdir(root).catch(() => [])) {
    ids.push(...(await fs.readdir(path.join(root, dir)).catch(() => [])));
  }
  ids.push(...(await packIndex(dataDir)).keys());
  return ids;
}

/** Overwrites a few bytes of chunk `id` in place on the disk (same size, wrong hash). */
export async function corruptOnDisk(dataDir: string, id: string, at = 100): Promise<void> {
  const packed = (await packIndex(dataDir)).get(id);
  const [file, offset] = packed ? [packed.file, packed.offset + at] : [chunkFile(dataDir, id), at];
  const handle = await fs.open(file, 'r+');
  try {
    const byte = Buffer.alloc(1);
    await handle.read(byte, 0, 1, offset);
    await handle.write(Buffer.from([(byte[0] as number) ^ 0xff, 0x42, 0x24]), 0, 3, offset);
  } finally {
    await handle.close();
  }
}
