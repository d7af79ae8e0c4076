// The one error class of dfs and the one table from error code to HTTP status.

/** Every error code dfs uses, mapped to the HTTP status it is sent with. */
export const ERROR_STATUS = {
  bad_request: 400,
  invalid_path: 400,
  invalid_chunk_id: 400,
  checksum_mismatch: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  precondition_failed: 412,
  payload_too_large: 413,
  range_not_satisfiable: 416,
  locked: 423,
  insufficient_nodes: 503,
  unavailable: 503,
  bad_gateway: 502,
  timeout: 504,
  internal: 500,
  not_implemented: 501,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** An error with a stable machine-readable code; the HTTP status follows from the code. */
export class DfsError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DfsError';
    this.code = code;
  }

  /** The HTTP status this error is sent with. */
  get status(): number {
    return ERROR_STATUS[this.code];
  }

  /** The JSON body every daemon sends for an error. */
  toJSON(): ErrorBody {
    return { error: { code: this.code, message: this.message } };
  }
}

/** The wire form of an error: `{ "error": { "code", "message" } }`. */
export interface ErrorBody {
  error: { code: string; message: string };
}

/**
 * How a master's refusal of a commit (or an allocation) ends when the upload's bytes are no longer
 * held for it: its lease lapsed, or was forgotten, or a chunk it wrote was collected. Nothing but
 * sending the bytes again helps.
 */
export const UPLOAD_AGAIN = '; upload the file again';

/** True when `err` is a refusal that ends in UPLOAD_AGAIN. */
export function isUploadGone(err: unknown): err is DfsError {
  return err instanceof DfsError && err.code === 'conflict' && err.message.endsWith(UPLOAD_AGAIN);
}

/** True when `code` is one of ours (used when turning a response back into a DfsError). */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_STATUS, code);
}

/** Turns any thrown value into a DfsError, translating Node's file-system codes at the edge. */
export function toDfsError(err: unknown): DfsError {
  if (err instanceof DfsError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return new DfsError('not_found', 'not found', { cause: err });
  if (code === 'ENOSPC') return new DfsError('unavailable', 'disk full', { cause: err });
  // The disk itself failed the write (read-only, I/O error, a size limit): not a bug of ours.
  if (code === 'EROFS' || code === 'EIO' || code === 'EFBIG' || code === 'EDQUOT')
    return new DfsError('unavailable', `the disk cannot write (${code})`, { cause: err });
  if (code === 'EACCES' || code === 'EPERM')
    return new DfsError('forbidden', 'permission denied', { cause: err });
  return new DfsError('internal', err instanceof Error ? err.message : String(err), { cause: err });
}
