// Failures of the local file system in words, naming the user's path (never a temporary file).

import { DfsError, type ErrorCode } from '../protocol/errors.js';
import { ChangedWhileRead } from '../sdk/chunker.js';

// errno code → [reason, error code]. A write's ENOENT can only mean a missing folder: the file
// itself is being created.
const REASONS: Record<string, [string, ErrorCode]> = {
  ENOENT: ['no such folder', 'not_found'],
  ENOTDIR: ['a part of the path is not a folder', 'not_found'],
  EACCES: ['permission denied', 'forbidden'],
  EPERM: ['operation not permitted', 'forbidden'],
  EROFS: ['read-only file system', 'forbidden'],
  EISDIR: ['it is a folder', 'conflict'],
  EEXIST: ['it already exists', 'conflict'],
  ENOSPC: ['no space left on the device', 'unavailable'],
  EDQUOT: ['disk quota exceeded', 'unavailable'],
  EFBIG: ['file too large for this file system', 'unavailable'],
  ENAMETOOLONG: ['name too long', 'bad_request'],
  ELOOP: ['too many symbolic links', 'bad_request'],
  EMFILE: ['too many open files', 'unavailable'],
  EIO: ['input/output error', 'unavailable'],
};

/** The reason of a file-system error in a few words (its errno code, if unknown). */
export function localReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code ?? '';
  return REASONS[code]?.[0] ?? (code || (err as Error)?.message || String(err));
}

/** A failure on this machine's side (a local file), which a tree transfer must tell from the cluster's. */
export class LocalFileError extends DfsError {
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'LocalFileError';
  }
}

/** A local file that could not be read: a tree upload leaves it out (`skipped`), as it does names dfs refuses. */
export class UnreadableFile extends LocalFileError {
  constructor(
    readonly path: string,
    /** The reason in a few words (`permission denied`). */
    readonly reason: string,
    code: ErrorCode,
    cause: unknown,
  ) {
    super(code, `cannot read ${shown(path)}: ${reason}`, { cause });
  }
}

/**
 * `cannot read PATH: reason` for a failure of the local file system to read `path`; any other
 * error (the cluster's) is returned as it is.
 */
export function cannotRead(path: string, err: unknown): unknown {
  // Written to while read: the file's own doing (skipped in a tree), not the cluster's.
  if (err instanceof ChangedWhileRead)
    return new UnreadableFile(path, 'it changed while it was read: upload it again', 'conflict', err);
  const e = err as NodeJS.ErrnoException | undefined;
  // Only the local file system's errors (they name a path; a socket's do not).
  if (err instanceof DfsError || typeof e?.code !== 'string' || typeof e.path !== 'string') return err;
  const reason = e.code === 'ENOENT' ? 'no such file' : localReason(err);
  return new UnreadableFile(path, reason, REASONS[e.code]?.[1] ?? 'unavailable', err);
}

/** `cannot write PATH: reason` for a failure to create or write the local file `path`. */
export function cannotWrite(path: string, err: unknown): LocalFileError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code ?? '';
  return new LocalFileError(
    REASONS[code]?.[1] ?? 'unavailable',
    `cannot write ${path}: ${localReason(err)}`,
    {
      cause: err,
    },
  );
}

// C0 controls, DEL and C1 controls: printed raw, a name could move the cursor or recolour a terminal.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/** A path (or any text) as printed: control characters (a local name may hold any) escaped. */
export function shown(path: string): string {
  return path.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
