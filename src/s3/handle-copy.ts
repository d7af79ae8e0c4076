// CopyObject: a new manifest over the source's chunks (no byte moves), metadata COPY or REPLACE.

import { copySourceConditions, enforceOutcome, writeGeneration } from './conditional.js';
import { metadataDirective, parseCopySource } from './copy-source.js';
import { S3Error } from './errors.js';
import { headerValue } from './headers.js';
import {
  contentAttributes,
  EMPTY_MD5,
  folderObjectAttributes,
  folderObjectCopy,
  MD5_ATTRIBUTE,
  metadataFromHeaders,
  requestContentType,
  withoutContentHeaders,
} from './object-meta.js';
import { folderCannotHoldData, isFolderKey, objectPath } from './object-paths.js';
import { type FoundObject, fileObject, requireObject } from './objects.js';
import { bucketOf, bucketState, keyOfRoute, noSuchBucket, type S3Request, sendXml } from './request.js';
import { copyResultXml } from './xml-results.js';

/** A copy's source, found, with the `x-amz-copy-source-if-*` conditions checked. */
export interface FoundSource extends FoundObject {
  path: string;
}

/** Resolves `x-amz-copy-source` to its object (NoSuchKey / NoSuchBucket) and checks its conditions. */
export async function copySource(request: S3Request): Promise<FoundSource> {
  const source = parseCopySource(headerValue(request.headers, 'x-amz-copy-source') ?? '');
  const path = objectPath(source.bucket, source.key);
  const found = await requireObject(request, source.bucket, source.key, path);
  enforceOutcome(copySourceConditions(request.headers, found.object), found.object);
  return { ...found, path };
}

/** CopyObject. */
export async function copyObject(request: S3Request): Promise<void> {
  const { bucket, folder } = bucketOf(request);
  const key = keyOfRoute(request);
  const path = objectPath(bucket, key);
  const source = await copySource(request);
  const directive = metadataDirective(request.headers);
  if (source.path === path && directive === 'COPY')
    throw new S3Error(
      'InvalidRequest',
      "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
    );
  if ((await bucketState(request, folder)) !== 'exists') throw noSuchBucket(bucket);
  const ifGeneration = await writeGeneration(request, path);
  const { sdk } = request.deps;
  const file = source.file;
  const replace = directive === 'REPLACE';
  if (isFolderKey(key)) {
    // An empty object onto a folder object: it keeps the source's content type, metadata and
    // headers, or with REPLACE the request's (s3fs changes a folder's mode and times so).
    if (file && file.size > 0) throw folderCannotHoldData(key);
    const now = Date.now();
    const kept = replace
      ? folderObjectAttributes(request.headers, undefined, now)
      : folderObjectCopy(source.object, now);
    await sdk.mkdir(path, { impliedParents: true, signal: request.signal });
    await sdk.api.setAttributes(path, { set: kept, remove: [] }, { signal: request.signal });
    sendXml(request.ctx, copyResultXml('CopyObjectResult', EMPTY_MD5, new Date(now)));
    return;
  }
  // A folder object copied to a key is an empty object, with the folder object's headers.
  const attributes = file?.attributes ?? { ...source.object.attributes, [MD5_ATTRIBUTE]: EMPTY_MD5 };
  const manifest = await sdk.commit(
    {
      chunks: file?.chunks.map((c) => ({ id: c.id, size: c.size })) ?? [],
      size: file?.size ?? 0,
      sha256: file?.sha256 ?? '',
      receipts: [],
    },
    {
      path,
      contentType: replace ? requestContentType(request.headers) : source.object.contentType,
      metadata: replace ? metadataFromHeaders(request.headers) : source.object.metadata,
      // What describes the bytes (MD5, multipart ETag, checksum) stays; REPLACE swaps the content headers.
      attributes: replace
        ? { ...withoutContentHeaders(attributes), ...contentAttributes(request.headers) }
        : attributes,
      ifGeneration,
      signal: request.signal,
    },
  );
  const copied = fileObject(manifest);
  sendXml(request.ctx, copyResultXml('CopyObjectResult', copied.etag, copied.lastModified));
}
