// Writing a downloaded file: through a temporary file of its own beside the target, flushed to
// disk and renamed over the target only once whole, so no reader ever sees a partial file.

import { randomBytes } from 'node:crypto';
import {
  close,
  createWriteStream,
  fchmod,
  fchown,
  constants as fsConstants,
  fsync,
  open,
  rmSync,
  type Stats,
} from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { DfsError } from '../protocol/errors.js';
import { cannotWrite } from './local-errors.js';

const openFile = promisify(open);
const syncFile = promisify(fsync);
const closeFile = promisify(close);
const changeMode = promisify(fchmod);
const changeOwner = promisify(fchown);

// A temporary name carries the target's name (so a user knows whose it is) unless that would
// push it past the 255-byte limit of a file name.
const NAME_KEPT = 200;

/** A fresh temporary name beside `target`: another download to the same target never shares it. */
export function temporaryName(target: string): string {
  const base = path.basename(target);
  const tag = `dfs-partial-${randomBytes(6).toString('hex')}`;
  const name = Buffer.byteLength(base) > NAME_KEPT ? `.${tag}` : `.${base}.${tag}`;
  return path.join(path.dirname(target), name);
}

// Temporary files being written now: removed if the process is interrupted (see discardPartials).
const partials = new Set<string>();

/** Removes the temporary files of downloads still running (a Ctrl-C): nothing partial stays. */
export function discardPartials(): void {
  for (const partial of partials) rmSync(partial, { force: true });
  partials.clear();
}

/**
 * Creates `target` with the bytes `write` puts into the stream it is given. The bytes go to a
 * new temporary file (exclusive create: never someone else's), which is fsynced and renamed
 * over `target` only when `write` resolves; on any failure it is removed and `target` is left
 * as it was.
 */
export async function writeLocalFile(
  target: string,
  write: (out: Writable) => Promise<void>,
  throughLink = false,
): Promise<void> {
  // Over an existing file, the new one takes its place as overwriting it would have: with the
  // old file's permissions (a private file stays private) and, where this user may give them,
  // its owner and group; with `throughLink` (a target the user named), through a symbolic link
  // of the user's own (the link stays). Any other link is replaced, never followed.
  const real =
    throughLink && (await ownLink(target)) ? await fs.realpath(target).catch(() => target) : target;
  const old = await fs.lstat(real).catch(() => undefined);
  const partial = temporaryName(real);
  const fd = await openFile(partial, 'wx', old?.isFile() ? 0o600 : 0o666).catch((err) => {
    throw cannotWrite(target, err);
  });
  partials.add(partial);
  try {
    if (old?.isFile()) await takeOver(fd, partial, target, old);
    await fill(fd, partial, real, write);
  } finally {
    partials.delete(partial);
  }
}

// Whether `target` is a symbolic link of this user's: only those are followed (as Linux's
// protected_symlinks has a shell's `>` refuse another user's link in a shared folder).
async function ownLink(target: string): Promise<boolean> {
  const link = await fs.lstat(target).catch(() => undefined);
  return link?.isSymbolicLink() === true && link.uid === process.getuid?.();
}

// Gives the temporary file `partial` (open as `fd`) the owner and permissions of the file `old`
// it will replace; on failure it is removed.
async function takeOver(fd: number, partial: string, target: string, old: Stats): Promise<void> {
  try {
    await changeOwner(fd, old.uid, old.gid).catch(() => {}); // only root may give a file away
    // Not its setuid and setgid bits: those were given to the old bytes, not to these.
    await changeMode(fd, old.mode & 0o1777);
  } catch (err) {
    await closeFile(fd).catch(() => {});
    await fs.rm(partial, { force: true });
    throw cannotWrite(target, err);
  }
}

// Writes the temporary file `partial` (open as `fd`) and renames it over `target`, or removes it.
async function fill(
  fd: number,
  partial: string,
  target: string,
  write: (out: Writable) => Promise<void>,
): Promise<void> {
  // A plain fd rather than a FileHandle: the fsync needs the descriptor after the stream has
  // finished, and a FileHandle's close waits forever on a stream that never closes it.
  const out = createWriteStream('', { fd, autoClose: false });
  // A failed write (a full disk) surfaces in `write` as whatever it makes of it: remember the
  // local cause, to name the target rather than report a transfer error.
  let local: unknown;
  out.on('error', (err) => {
    local ??= err;
  });
  let open = true;
  const discard = async () => {
    out.destroy();
    if (open) await closeFile(fd).catch(() => {});
    await fs.rm(partial, { force: true });
  };
  try {
    await write(out);
  } catch (err) {
    await discard();
    throw local ? cannotWrite(target, local) : err;
  }
  try {
    await new Promise<void>((resolve, reject) =>
      out.end((err?: Error | null) => (err ? reject(err) : resolve())),
    );
    await syncFile(fd);
    open = false;
    await closeFile(fd);
    await fs.rename(partial, target);
  } catch (err) {
    await discard();
    throw cannotWrite(target, err);
  }
}

/**
 * Writes into an existing device or FIFO (`/dev/null`) in place: no temporary file, no rename.
 * Opened for writing only, never created: a FIFO's open waits for its reader, as a shell's `>`
 * does (opened for reading too, it took the bytes into its buffer and lost them with no reader).
 */
export async function writeDevice(target: string, write: (out: Writable) => Promise<void>): Promise<void> {
  const fd = await openFile(target, fsConstants.O_WRONLY).catch((err) => {
    throw cannotWrite(target, err);
  });
  const out = createWriteStream('', { fd });
  let local: unknown;
  out.on('error', (err) => {
    local ??= err;
  });
  try {
    await write(out);
    await new Promise<void>((resolve, reject) =>
      out.end((err?: Error | null) => (err ? reject(err) : resolve())),
    );
  } catch (err) {
    out.destroy();
    throw local || !(err instanceof DfsError) ? cannotWrite(target, local ?? err) : err;
  }
}
