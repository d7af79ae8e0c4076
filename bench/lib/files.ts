// Test data: large files of random bytes, re-stamped before each run so that no chunk of one run
// can be de-duplicated against an earlier one.

import { randomFillSync } from 'node:crypto';
import fs from 'node:fs/promises';

const BLOCK = 4 * 1024 * 1024;
// A stamp every 64 KiB changes every chunk, whatever the chunk size (at least 64 KiB).
const STAMP_EVERY = 64 * 1024;

/** Writes `size` random bytes to `file`. */
export async function makeRandomFile(file: string, size: number): Promise<void> {
  const handle = await fs.open(file, 'w');
  try {
    const buffer = Buffer.allocUnsafe(BLOCK);
    for (let offset = 0; offset < size; offset += BLOCK) {
      const n = Math.min(BLOCK, size - offset);
      randomFillSync(buffer, 0, n);
      await handle.write(buffer, 0, n, offset);
    }
  } finally {
    await handle.close();
  }
}

/** Overwrites 16 bytes every 64 KiB of `file` with `tag`, so its chunks are new to the cluster. */
export async function stampFile(file: string, size: number, tag: string): Promise<void> {
  const stamp = Buffer.alloc(16);
  stamp.write(tag.slice(0, 16));
  const handle = await fs.open(file, 'r+');
  try {
    for (let offset = 0; offset + stamp.length <= size; offset += STAMP_EVERY) {
      await handle.write(stamp, 0, stamp.length, offset);
    }
  } finally {
    await handle.close();
  }
}

/** Total size of the regular files below `dir`. */
export async function treeBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await fs.readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await fs.stat(`${entry.parentPath}/${entry.name}`)).size;
  }
  return total;
}
