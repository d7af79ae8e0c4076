// Buckets and keys as dfs paths: a bucket is a top-level folder, a key the path below it.

import { DfsError } from '../protocol/errors.js';
import { MAX_PATH_BYTES, normalisePath } from '../protocol/paths.js';
import { invalidArgument, S3Error } from './errors.js';
import { checkBucketName } from './names.js';

/** The folder of a bucket: `/bucket/`. Throws InvalidBucketName for a name S3 would refuse. */
export function bucketFolder(bucket: string): string {
  checkBucketName(bucket);
  return `/${bucket}/`;
}

/** True for a key that names a folder (`photos/2024/`): S3 consoles' "folder objects". */
export function isFolderKey(key: string): boolean {
  return key.endsWith('/');
}

/** InvalidArgument for data sent to a folder key: a folder object is a dfs folder, always empty. */
export function folderCannotHoldData(key: string): S3Error {
  return invalidArgument('key', key, 'An object whose key ends in "/" is a dfs folder and cannot hold data');
}

/** A key dfs could hold no object under: a write is refused with it, and no object has it. */
class UnstorableKey extends S3Error {}

function unstorable(key: string, why: string): S3Error {
  const refusal = invalidArgument('key', key, `The key "${key}" cannot be stored in dfs: ${why}`);
  return new UnstorableKey(refusal.code, refusal.message, { fields: refusal.fields });
}

/**
 * The dfs path of an object: `/bucket/key` (a folder key keeps its trailing `/`). A key dfs
 * would have to rename to store (`a//b`, `./x`, `..`, control characters, a non-NFC name, a
 * segment over 255 bytes) is refused with InvalidArgument, never silently renamed.
 */
export function objectPath(bucket: string, key: string): string {
  const folder = bucketFolder(bucket);
  const body = isFolderKey(key) ? key.slice(0, -1) : key;
  const wanted = `${folder}${body}`;
  let path: string;
  try {
    path = normalisePath(wanted);
  } catch (err) {
    if (!(err instanceof DfsError)) throw err;
    if (Buffer.byteLength(wanted) > MAX_PATH_BYTES)
      throw new UnstorableKey(
        'KeyTooLongError',
        `The key is too long for dfs: a bucket and key of at most ${MAX_PATH_BYTES - 1} bytes`,
      );
    throw unstorable(key, err.message);
  }
  if (path !== wanted) {
    throw unstorable(
      key,
      body.normalize('NFC') !== body
        ? 'dfs stores names in Unicode NFC form'
        : 'empty segments ("a//b", a leading or doubled "/") are not paths',
    );
  }
  return isFolderKey(key) ? `${path}/` : path;
}

/**
 * The dfs path of an object to read or delete, or undefined for a key dfs could hold no object
 * under (objectPath refuses to write it): no object has it, so a read finds none and a delete has
 * nothing to do, as S3 answers for a key it does not have.
 */
export function storedPath(bucket: string, key: string): string | undefined {
  try {
    return objectPath(bucket, key);
  } catch (err) {
    if (err instanceof UnstorableKey) return undefined;
    throw err;
  }
}
