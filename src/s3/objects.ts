// Finding the object at a key: a dfs file, or an explicit folder for a key ending in `/`.

import type { FileInfo, Manifest } from '../protocol/types.js';
import { isDfs } from './dfs-errors.js';
import { S3Error } from './errors.js';
import { explicitFolder } from './folders.js';
import { etagOf, folderObjectInfo, type ObjectInfo } from './object-meta.js';
import { isFolderKey } from './object-paths.js';
import { bucketState, noSuchBucket, type S3Request } from './request.js';

/** A dfs file as an S3 object. */
export function fileObject(file: Manifest | FileInfo): ObjectInfo {
  return {
    size: file.size,
    etag: etagOf(file),
    lastModified: new Date(file.created),
    contentType: file.contentType,
    metadata: file.metadata,
    attributes: file.attributes,
    generation: file.generation,
  };
}

/** An object found: what S3 says about it, and the file (none for a folder object). */
export interface FoundObject {
  object: ObjectInfo;
  file?: FileInfo;
}

/** The object at `path` (a folder key's path ends in `/`), or undefined when there is none. */
export async function findObject(
  request: Pick<S3Request, 'deps' | 'signal'>,
  path: string,
): Promise<FoundObject | undefined> {
  if (isFolderKey(path)) {
    const entry = await explicitFolder(request, path);
    return entry ? { object: folderObjectInfo(entry) } : undefined;
  }
  try {
    const file = await request.deps.sdk.stat(path, { signal: request.signal });
    return { object: fileObject(file), file };
  } catch (err) {
    if (isDfs(err, 'not_found')) return undefined;
    throw err;
  }
}

/** The object at `path`, or NoSuchKey (NoSuchBucket when its bucket does not exist either). */
export async function requireObject(
  request: Pick<S3Request, 'deps' | 'signal'>,
  bucket: string,
  key: string,
  /** Undefined: a key dfs could hold no object under (storedPath). */
  path: string | undefined,
): Promise<FoundObject> {
  const found = path === undefined ? undefined : await findObject(request, path);
  if (found) return found;
  if ((await bucketState(request, `/${bucket}/`)) !== 'exists') throw noSuchBucket(bucket);
  throw new S3Error('NoSuchKey', undefined, { fields: { Key: key } });
}
