// PutObject: the verified body streamed into chunks, committed once every check has passed.

import { checksumHeaderName } from './checksums.js';
import { enforceOutcome, writeConditions, writeGeneration } from './conditional.js';
import { headerValue } from './headers.js';
import { sendEmpty } from './middleware.js';
import {
  checksumAttribute,
  contentAttributes,
  EMPTY_MD5,
  folderObjectAttributes,
  MD5_ATTRIBUTE,
  metadataFromHeaders,
  requestContentType,
} from './object-meta.js';
import { folderCannotHoldData, isFolderKey, objectPath } from './object-paths.js';
import { findObject } from './objects.js';
import { bucketOf, bucketState, keyOfRoute, noSuchBucket, type S3Request } from './request.js';
import { sendWritten, writeBody } from './write-body.js';

// Bodies larger than this wait for the bucket check before a byte is stored.
const CHECK_FIRST_BYTES = 1024 * 1024;

/** PutObject. */
export async function putObject(request: S3Request): Promise<void> {
  const { bucket, folder } = bucketOf(request);
  const key = keyOfRoute(request);
  const path = objectPath(bucket, key);
  if (isFolderKey(key)) return putFolder(request, folder, path);
  const { headers } = request;
  const contentType = requestContentType(headers);
  const metadata = metadataFromHeaders(headers);
  const attributes = contentAttributes(headers);
  const ifGeneration = await writeGeneration(request, path);
  // For a small body the bucket check runs while the body streams (one round trip, not two), in
  // the writes' batches; a large one is checked first, so that a PUT into no bucket does not
  // store gigabytes for nothing.
  const bucketCheck = bucketState(request, folder, true);
  bucketCheck.catch(() => {});
  if (
    (request.body.length ?? Number.POSITIVE_INFINITY) > CHECK_FIRST_BYTES &&
    (await bucketCheck) !== 'exists'
  )
    throw noSuchBucket(bucket);
  const body = await writeBody(request);
  if ((await bucketCheck) !== 'exists') {
    await request.deps.sdk.api.abortUpload(body.written.uploadId).catch(() => {});
    throw noSuchBucket(bucket);
  }
  await request.deps.sdk.commit(body.written, {
    path,
    contentType,
    metadata,
    attributes: {
      ...attributes,
      [MD5_ATTRIBUTE]: body.md5,
      ...(body.checksum && checksumAttribute(body.checksum)),
    },
    ifGeneration,
    signal: request.signal,
  });
  sendWritten(request.ctx, body);
}

/**
 * A zero-byte PUT of a key ending in `/` (a console's "folder object"): a dfs folder, whose
 * attributes keep what S3 keeps of the object (content type and headers, metadata, checksum, the
 * time of the PUT), in one attribute: a PUT again replaces it whole; WebDAV properties stay.
 */
async function putFolder(request: S3Request, folder: string, path: string): Promise<void> {
  await expectEmptyBody(request);
  const { bucket } = bucketOf(request);
  const { headers, signal } = request;
  const checksum = request.body.digests?.checksum;
  const attributes = folderObjectAttributes(headers, checksum, Date.now());
  if ((await bucketState(request, folder)) !== 'exists') throw noSuchBucket(bucket);
  // The current folder is looked up only for a conditional PUT.
  if (headerValue(headers, 'if-match') !== undefined || headerValue(headers, 'if-none-match') !== undefined) {
    const current = (await findObject(request, path))?.object;
    enforceOutcome(writeConditions(headers, current), current);
  }
  const { sdk } = request.deps;
  await sdk.mkdir(path, { impliedParents: true, signal });
  await sdk.api.setAttributes(path, { set: attributes, remove: [] }, { signal });
  request.ctx.set('ETag', `"${EMPTY_MD5}"`);
  if (checksum) request.ctx.set(checksumHeaderName(checksum.algorithm), checksum.value);
  sendEmpty(request.ctx);
}

/** Refuses a body on a request that must have none (a folder object). */
async function expectEmptyBody(request: S3Request): Promise<void> {
  for await (const piece of request.body) {
    if (piece.length > 0) throw folderCannotHoldData(request.route.key ?? '');
  }
}
