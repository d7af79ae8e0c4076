// Buckets and keys as dfs paths: a bucket is a top-level folder, a key the path below it.

import { DfsError } from '../protocol/errors.js';
import { normalisePath } from '../protocol/paths.js';
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

function unstorable(key: string, why: string): S3Error {
  return invalidArgument('key', key, `The key "${key}" cannot be stored in dfs: ${why}`);
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
    if (Buffer.byteLength(wanted) > 1024)
      throw new S3Error(
        'KeyTooLongError',
        `The key is too long for dfs: a bucket and key of at most 1023 bytes`,
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
