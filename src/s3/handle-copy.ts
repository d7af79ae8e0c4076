// CopyObject: a new manifest over the source's chunks (no byte moves), metadata COPY or REPLACE.

import { type ChecksumAlgorithm, createHasher } from './checksums.js';
import { copySourceConditions, enforceOutcome, writeGeneration } from './conditional.js';
import { metadataDirective, parseCopySource } from './copy-source.js';
import { S3Error } from './errors.js';
import { headerValue } from './headers.js';
import { requestedAlgorithm } from './multipart-checksum.js';
import {
  contentAttributes,
  EMPTY_MD5,
  folderObjectAttributes,
  folderObjectCopy,
  MD5_ATTRIBUTE,
  metadataFromHeaders,
  requestContentType,
  storedChecksum,
  withChecksum,
  withoutContentHeaders,
} from './object-meta.js';
import { folderCannotHoldData, isFolderKey, objectPath, storedPath } from './object-paths.js';
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
  const path = storedPath(source.bucket, source.key);
  const found = await requireObject(request, source.bucket, source.key, path);
  enforceOutcome(copySourceConditions(request.headers, found.object), found.object);
  // Found: its key is one dfs holds.
  return { ...found, path: path as string };
}

/** CopyObject. */
export async function copyObject(request: S3Request): Promise<void> {
  const { bucket, folder } = bucketOf(request);
  const key = keyOfRoute(request);
  const path = objectPath(bucket, key);
  const source = await copySource(request);
  const directive = metadataDirective(request.headers);
  const named = headerValue(request.headers, 'x-amz-checksum-algorithm');
  const algorithm = named === undefined ? undefined : requestedAlgorithm(named);
  // A copy onto itself must change something: its metadata, its storage class (even to the one
  // it has, as S3 takes it), or its checksum.
  const changes =
    directive === 'REPLACE' ||
    headerValue(request.headers, 'x-amz-storage-class') !== undefined ||
    algorithm !== undefined;
  if (source.path === path && !changes)
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
    const checksum = algorithm && { algorithm, value: createHasher(algorithm).digest().toString('base64') };
    await sdk.mkdir(path, { impliedParents: true, signal: request.signal });
    await sdk.api.setAttributes(
      path,
      { set: checksum ? withChecksum(kept, checksum) : kept, remove: [] },
      { signal: request.signal },
    );
    const sums = checksum && { [checksum.algorithm]: checksum.value };
    sendXml(request.ctx, copyResultXml('CopyObjectResult', EMPTY_MD5, new Date(now), sums || undefined));
    return;
  }
  // A folder object copied to a key is an empty object, with the folder object's headers.
  const sourceAttributes = file?.attributes ?? { ...source.object.attributes, [MD5_ATTRIBUTE]: EMPTY_MD5 };
  const checksum = algorithm && { algorithm, value: await checksumOf(request, source, algorithm) };
  const attributes = checksum ? withChecksum(sourceAttributes, checksum) : sourceAttributes;
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
  const sums = checksum && { [checksum.algorithm]: checksum.value };
  sendXml(
    request.ctx,
    copyResultXml('CopyObjectResult', copied.etag, copied.lastModified, sums || undefined),
  );
}

/** The source's whole-object checksum in `algorithm`: kept with it, or computed by reading it once. */
async function checksumOf(request: S3Request, source: FoundSource, algorithm: ChecksumAlgorithm) {
  const stored = source.file && storedChecksum(source.file.attributes);
  if (stored?.algorithm === algorithm && stored.type === 'FULL_OBJECT') return stored.value;
  const sum = createHasher(algorithm);
  if (source.file)
    for await (const piece of request.deps.sdk.download(source.file.path, {
      info: source.file,
      signal: request.signal,
    }))
      sum.update(piece);
  return sum.digest().toString('base64');
}
