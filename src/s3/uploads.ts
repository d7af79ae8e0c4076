// Open multipart uploads: their ids, and finding one for the key a request names.

import { randomBytes } from 'node:crypto';
import { S3Error } from './errors.js';
import type { S3Request } from './request.js';

/** The smallest part but the last, as S3: 5 MiB. */
export const MIN_PART_SIZE = 5 * 1024 * 1024;
/** The largest part (and the largest source UploadPartCopy takes whole), as S3: 5 GiB. */
export const MAX_PART_SIZE = 5 * 1024 ** 3;
// Upload ids the master accepts (8–64 of A-Za-z0-9_-); ours are 32 characters.
const UPLOAD_ID = /^[\w-]{8,64}$/;
// Open uploads of one key looked through to find an id (S3 has no limit; hundreds are unusual).
const MAX_UPLOADS_PER_KEY = 10_000;

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
export async function requireUpload(request: S3Request, path: string, uploadId: string): Promise<void> {
  if (!UPLOAD_ID.test(uploadId)) throw noSuchUpload(uploadId);
  const uploads = await request.deps.sdk.api.listMultiparts(path, MAX_UPLOADS_PER_KEY, {
    signal: request.signal,
  });
  if (!uploads.some((u) => u.uploadId === uploadId && u.path === path)) throw noSuchUpload(uploadId);
}
