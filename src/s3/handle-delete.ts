// DeleteObject and DeleteObjects (up to 1,000 keys): files removed, empty folder objects rmdir'ed.

import { Limiter } from '../sdk/limit.js';
import { readBodyText } from './body.js';
import { ifMatchGeneration } from './conditional.js';
import { fromDfsError, isDfs } from './dfs-errors.js';
import { S3Error, toS3Error } from './errors.js';
import { explicitFolder } from './folders.js';
import { type HeaderMap, headerValue } from './headers.js';
import { sendEmpty } from './middleware.js';
import { isFolderKey, objectPath } from './object-paths.js';
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
 * (S3 answers 204 either way). A folder object goes only when the folder is empty: dfs cannot keep
 * files below a folder whose own entry is gone, so that is refused rather than faked.
 */
async function deleteAt(scope: Scope, path: string, ifMatch: HeaderMap): Promise<boolean> {
  // Only If-Match conditions a delete; an If-None-Match alone does not (so not writeGeneration).
  const ifGeneration =
    headerValue(ifMatch, 'if-match') === undefined
      ? undefined
      : await ifMatchGeneration(scope, path, ifMatch);
  const { sdk } = scope.deps;
  try {
    if (isFolderKey(path)) await sdk.rmdir(path, { signal: scope.signal });
    else await sdk.remove(path, { ifGeneration, signal: scope.signal });
    return true;
  } catch (err) {
    if (isDfs(err, 'not_found')) return false;
    if (isDfs(err, 'conflict')) {
      // A file path that is a folder, or a folder object's folder that only files below imply.
      if (!isFolderKey(path) || !(await explicitFolder(scope, path))) return false;
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
  const path = objectPath(bucket, key);
  const deleted = await deleteAt(request, path, request.headers);
  if (!deleted && (await bucketState(request, folder)) !== 'exists') throw noSuchBucket(bucket);
  sendEmpty(request.ctx, 204);
}

/** One key of a DeleteObjects: its outcome, never a thrown error. */
async function deleteOne(scope: Scope, bucket: string, entry: DeleteEntry): Promise<DeleteOutcome> {
  const base = { key: entry.key, ...(entry.versionId !== undefined && { versionId: entry.versionId }) };
  try {
    if (entry.versionId !== undefined && entry.versionId !== 'null')
      throw new S3Error('NotImplemented', 'Object versioning (VersionId) is not implemented by this server');
    let path: string;
    try {
      path = objectPath(bucket, entry.key);
    } catch (err) {
      // A key dfs cannot hold names no object: deleting it succeeds, as for any missing key.
      if (entry.key !== '' && err instanceof S3Error && err.code === 'InvalidArgument')
        return { ...base, deleted: true };
      throw err;
    }
    await deleteAt(scope, path, entry.etag === undefined ? {} : { 'if-match': `"${entry.etag}"` });
    return { ...base, deleted: true };
  } catch (err) {
    const error = toS3Error(fromDfsError(err));
    if (error.code === 'InternalError') throw err;
    return { ...base, deleted: false, code: error.code, message: error.message };
  }
}

/**
 * DeleteObjects: every key gets its own outcome. Files go first, a few at once, then folder
 * objects deepest first — a client may list `a/` before `a/b`, and a folder can only go once
 * it is empty.
 */
export async function deleteObjects(request: S3Request): Promise<void> {
  const { bucket, folder } = bucketOf(request);
  const parsed = parseDelete(await readBodyText(request.body, MAX_DELETE_BODY));
  if ((await bucketState(request, folder)) !== 'exists') throw noSuchBucket(bucket);
  const outcomes = new Array<DeleteOutcome>(parsed.objects.length);
  const files = parsed.objects.map((entry, i) => ({ entry, i })).filter((o) => !isFolderKey(o.entry.key));
  const folders = parsed.objects
    .map((entry, i) => ({ entry, i }))
    .filter((o) => isFolderKey(o.entry.key))
    .sort((a, b) => b.entry.key.length - a.entry.key.length);
  const limiter = new Limiter(DELETE_CONCURRENCY);
  await Promise.all(
    files.map((job) =>
      limiter.run(async () => {
        outcomes[job.i] = await deleteOne(request, bucket, job.entry);
      }),
    ),
  );
  for (const job of folders) outcomes[job.i] = await deleteOne(request, bucket, job.entry);
  sendXml(request.ctx, deleteResultXml(outcomes, parsed.quiet));
}
