// Open multipart uploads: their ids, and finding one for the key a request names.

import { randomBytes } from 'node:crypto';
import { isUploadId, MAX_MULTIPART_LIST } from '../protocol/limits.js';
import type { MultipartSummary } from '../sdk/master-api.js';
import { isDfs } from './dfs-errors.js';
import { S3Error } from './errors.js';
import type { S3Request } from './request.js';

/** The smallest part but the last, as S3: 5 MiB. */
export const MIN_PART_SIZE = 5 * 1024 * 1024;
/** The largest part (and the largest source UploadPartCopy takes whole), as S3: 5 GiB. */
export const MAX_PART_SIZE = 5 * 1024 ** 3;

/** A new upload id: 24 random bytes, base64url. */
export function newUploadId(): string {
  return randomBytes(24).toString('base64url');
}

/** NoSuchUpload naming the id. */
export function noSuchUpload(uploadId: string): S3Error {
  return new S3Error('NoSuchUpload', undefined, { fields: { UploadId: uploadId } });
}

/**
 * Throws NoSuchUpload unless `uploadId` is an open multipart upload of `path`. Checked before a
 * part's bytes are written: chunks written under an id that is not an open upload would be
 * pinned by a stray lease instead.
 */
export async function requireUpload(
  request: S3Request,
  path: string,
  uploadId: string,
): Promise<MultipartSummary> {
  if (!isUploadId(uploadId)) throw noSuchUpload(uploadId);
  // Every open upload of the key (S3 has no limit; hundreds are unusual).
  const uploads = await request.deps.sdk.api.listMultiparts(path, MAX_MULTIPART_LIST, {
    signal: request.signal,
  });
  const upload = uploads.find((u) => u.uploadId === uploadId && u.path === path);
  if (!upload) throw noSuchUpload(uploadId);
  return upload;
}

/** Upload `uploadId` with its parts, or undefined when the master holds no such open upload. */
export async function findUpload(request: S3Request, uploadId: string) {
  try {
    return await request.deps.sdk.api.listParts(uploadId, { signal: request.signal });
  } catch (err) {
    if (isDfs(err, 'not_found') || isDfs(err, 'bad_request')) return undefined;
    throw err;
  }
}
