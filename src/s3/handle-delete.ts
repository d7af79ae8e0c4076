// DeleteObject and DeleteObjects (up to 1,000 keys): files removed, folder objects' own entries dropped.

import { Limiter } from '../sdk/limit.js';
import { readBodyText } from './body.js';
import { ifMatchGeneration } from './conditional.js';
import { fromDfsError, isDfs } from './dfs-errors.js';
import { S3Error, toS3Error } from './errors.js';
import { type HeaderMap, headerValue } from './headers.js';
import { sendEmpty } from './middleware.js';
import { checkObjectKey } from './names.js';
import { isFolderKey, storedPath } from './object-paths.js';
import { bucketOf, bucketState, keyOfRoute, noSuchBucket, type S3Request, sendXml } from './request.js';
import { type DeleteEntry, parseDelete } from './xml-parse.js';
import { type DeleteOutcome, deleteResultXml } from './xml-results.js';

// A Delete body names at most 1,000 keys of at most 1 KiB; escaping can make each a few times longer.
const MAX_DELETE_BODY = 8 * 1024 * 1024;
// Keys of one DeleteObjects removed at once.
const DELETE_CONCURRENCY = 8;

type Scope = Pick<S3Request, 'deps' | 'signal'>;

/**
 * Deletes the object at `path`, checking `If-Match` when given. A key with no object is no error
 * (S3 answers 204 either way). A folder object is the folder's own entry: it goes, and objects
 * below it stay (the folder is then only implied by them, so no `a/` object is listed).
 */
async function deleteAt(scope: Scope, path: string, ifMatch: HeaderMap): Promise<boolean> {
  // Only If-Match conditions a delete; an If-None-Match alone does not (so not writeGeneration).
  const ifGeneration =
    headerValue(ifMatch, 'if-match') === undefined
      ? undefined
      : await ifMatchGeneration(scope, path, ifMatch);
  const { sdk } = scope.deps;
  try {
    if (isFolderKey(path)) await sdk.rmdir(path, { keepContents: true, signal: scope.signal });
    else await sdk.remove(path, { ifGeneration, signal: scope.signal });
    return true;
  } catch (err) {
    if (isDfs(err, 'not_found')) return false;
    if (isDfs(err, 'conflict')) {
      // A file key that names a folder: no such object.
      if (!isFolderKey(path)) return false;
      // A master of an older version, which keeps a folder with anything below it.
      throw new S3Error(
        'InvalidRequest',
        `The folder object ${path.slice(path.indexOf('/', 1) + 1)} is a dfs folder that is not empty: delete the objects below it first`,
      );
    }
    throw err;
  }
}

/** DeleteObject: 204 whether or not the key existed (NoSuchBucket if the bucket does not). */
export async function deleteObject(request: S3Request): Promise<void> {
  const { bucket, folder } = bucketOf(request);
  const key = keyOfRoute(request);
  const path = storedPath(bucket, key);
  const deleted = path !== undefined && (await deleteAt(request, path, request.headers));
  if (!deleted && (await bucketState(request, folder)) !== 'exists') throw noSuchBucket(bucket);
  sendEmpty(request.ctx, 204);
}

/** One key of a DeleteObjects: its outcome, never a thrown error. */
async function deleteOne(scope: Scope, bucket: string, entry: DeleteEntry): Promise<DeleteOutcome> {
  const base = { key: entry.key, ...(entry.versionId !== undefined && { versionId: entry.versionId }) };
  try {
    if (entry.versionId !== undefined && entry.versionId !== 'null')
      throw new S3Error('NotImplemented', 'Object versioning (VersionId) is not implemented by this server');
    checkObjectKey(entry.key);
    const path = storedPath(bucket, entry.key);
    // A key dfs cannot hold names no object: deleting it succeeds, as for any missing key.
    if (path === undefined) return { ...base, deleted: true };
    await deleteAt(scope, path, entry.etag === undefined ? {} : { 'if-match': `"${entry.etag}"` });
    return { ...base, deleted: true };
  } catch (err) {
    const error = toS3Error(fromDfsError(err));
    if (error.code === 'InternalError') throw err;
    return { ...base, deleted: false, code: error.code, message: error.message };
  }
}

/** DeleteObjects: every key gets its own outcome; a few keys are deleted at once. */
export async function deleteObjects(request: S3Request): Promise<void> {
  const { bucket, folder } = bucketOf(request);
  const parsed = parseDelete(await readBodyText(request.body, MAX_DELETE_BODY));
  if ((await bucketState(request, folder)) !== 'exists') throw noSuchBucket(bucket);
  const limiter = new Limiter(DELETE_CONCURRENCY);
  const outcomes = await Promise.all(
    parsed.objects.map((entry) => limiter.run(() => deleteOne(request, bucket, entry))),
  );
  sendXml(request.ctx, deleteResultXml(outcomes, parsed.quiet));
}
