// DfsErrors from the SDK as the S3 errors a client expects; handlers map the cases they know first.

import { DfsError } from '../protocol/errors.js';
import { S3Error } from './errors.js';

/**
 * The S3Error for anything an SDK call threw. Refusals of the request (a bad argument, a path
 * that is a file where a folder must be) keep dfs's message; a cluster that cannot serve is
 * ServiceUnavailable (clients retry it); anything else is InternalError, logged with its cause.
 */
export function fromDfsError(err: unknown): S3Error {
  if (err instanceof S3Error) return err;
  if (!(err instanceof DfsError)) return new S3Error('InternalError', undefined, { cause: err });
  switch (err.code) {
    case 'bad_request':
    case 'invalid_path':
      return new S3Error('InvalidArgument', err.message, { cause: err });
    case 'not_found':
      return new S3Error('NoSuchKey', undefined, { cause: err });
    case 'conflict':
      return new S3Error('InvalidRequest', err.message, { cause: err });
    case 'precondition_failed':
      return new S3Error('PreconditionFailed', undefined, { cause: err });
    case 'payload_too_large':
      return new S3Error('EntityTooLarge', err.message, { cause: err });
    case 'range_not_satisfiable':
      return new S3Error('InvalidRange', undefined, { cause: err });
    case 'insufficient_nodes':
    case 'unavailable':
    case 'bad_gateway':
    case 'timeout':
      return new S3Error('ServiceUnavailable', `The cluster cannot serve this now: ${err.message}`, {
        cause: err,
      });
    default:
      return new S3Error('InternalError', undefined, { cause: err });
  }
}

/** True when `err` is a DfsError with `code`. */
export function isDfs(err: unknown, code: DfsError['code']): err is DfsError {
  return err instanceof DfsError && err.code === code;
}
