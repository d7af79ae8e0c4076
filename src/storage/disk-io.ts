// Durable writes and whole reads shared by chunk files and packs. writev may write less than asked
// (a disk filling up, a file-size limit): the rest is written until done, so the real error
// (ENOSPC, EFBIG) surfaces instead of a short file. A read too may return less than asked.

import fs from 'node:fs/promises';
import path from 'node:path';
import { DfsError } from '../protocol/errors.js';

/**
 * Writes every byte of `buffers` at `position`, or at the file's own position when it is
 * undefined; `what` names the write in the error of a write that makes no progress.
 */
export async function writeAll(
  handle: fs.FileHandle,
  buffers: Buffer[],
  position: number | undefined,
  what: string,
): Promise<void> {
  let run = buffers.filter((b) => b.length > 0);
  let at = position;
  while (run.length > 0) {
    const { bytesWritten } = await handle.writev(run, at);
    if (bytesWritten === 0) throw new DfsError('unavailable', `disk full: ${what} came up short`);
    if (at !== undefined) at += bytesWritten;
    run = skip(run, bytesWritten);
  }
}

/** Reads into all of `into` from `position`, or as much as the file holds; returns the bytes read. */
export async function readFully(handle: fs.FileHandle, into: Buffer, position: number): Promise<number> {
  let filled = 0;
  while (filled < into.length) {
    const { bytesRead } = await handle.read(into, filled, into.length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled;
}

/**
 * Replaces small file `file` with `text`, atomically and durably: a temporary written and
 * fsynced, renamed over it, then the folder fsynced. A crash leaves the old text or the new.
 */
export async function replaceFile(file: string, text: string): Promise<void> {
  const tmp = `${file}.tmp`;
  const handle = await fs.open(tmp, 'w', 0o644);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(tmp, file);
  await syncDir(path.dirname(file));
}

/** Makes the entries of folder `dir` durable (a file created or renamed in it). */
export async function syncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The buffers left after dropping the first `n` bytes of `run`. */
function skip(run: Buffer[], n: number): Buffer[] {
  let rest = n;
  let i = 0;
  while (i < run.length && rest >= (run[i] as Buffer).length) {
    rest -= (run[i] as Buffer).length;
    i++;
  }
  const left = run.slice(i);
  if (rest > 0 && left[0]) left[0] = left[0].subarray(rest);
  return left;
}
