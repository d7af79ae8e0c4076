// ListObjects (v1) and ListObjectsV2: parameters checked as S3 checks them, pages from listing.ts.

import { invalidArgument } from './errors.js';
import { listPage } from './listing.js';
import { countParam, encodingTypeParam } from './query-params.js';
import { bucketOf, type S3Request, sendXml } from './request.js';
import { listObjectsV1Xml, listObjectsV2Xml } from './xml-listing.js';

// The most keys one page holds (larger max-keys are lowered to it, as S3 does).
const MAX_KEYS = 1000;

/** `max-keys` (default and cap 1000). */
function maxKeys(query: ReadonlyMap<string, string>): number {
  return countParam(query, 'max-keys', MAX_KEYS, MAX_KEYS);
}

/** A v2 continuation token: the last key of the previous page, base64url. */
function decodeToken(token: string): string {
  const key = Buffer.from(token, 'base64url').toString('utf8');
  if (token === '' || Buffer.from(key, 'utf8').toString('base64url') !== token.replace(/=+$/, ''))
    throw invalidArgument('continuation-token', token, 'The continuation token provided is incorrect');
  return key;
}

/** ListObjects (v1): Owner always; NextMarker only with a delimiter, as S3. */
export async function listObjectsV1(request: S3Request): Promise<void> {
  const { bucket, folder } = bucketOf(request);
  const { query } = request.route;
  const prefix = query.get('prefix') ?? '';
  const delimiter = query.get('delimiter') ?? '';
  const marker = query.get('marker') ?? '';
  const max = maxKeys(query);
  const encoding = encodingTypeParam(query);
  const page = await listPage(request, {
    bucket,
    folder,
    prefix,
    delimiter,
    startAfter: marker === '' ? undefined : marker,
    maxKeys: max,
  });
  sendXml(
    request.ctx,
    listObjectsV1Xml({
      bucket,
      prefix,
      delimiter,
      marker,
      nextMarker: delimiter ? page.last : undefined,
      maxKeys: max,
      isTruncated: page.isTruncated,
      encodingType: encoding,
      contents: page.contents,
      commonPrefixes: page.commonPrefixes,
      owner: request.deps.owner,
    }),
  );
}

/** ListObjectsV2: continuation tokens, start-after, fetch-owner. */
export async function listObjectsV2(request: S3Request): Promise<void> {
  const { bucket, folder } = bucketOf(request);
  const { query } = request.route;
  const prefix = query.get('prefix') ?? '';
  const delimiter = query.get('delimiter') ?? '';
  const max = maxKeys(query);
  const encoding = encodingTypeParam(query);
  const token = query.get('continuation-token');
  const startAfter = query.get('start-after');
  const from = token !== undefined ? decodeToken(token) : startAfter || undefined;
  const page = await listPage(request, { bucket, folder, prefix, delimiter, startAfter: from, maxKeys: max });
  sendXml(
    request.ctx,
    listObjectsV2Xml({
      bucket,
      prefix,
      delimiter,
      maxKeys: max,
      isTruncated: page.isTruncated,
      encodingType: encoding,
      contents: page.contents,
      commonPrefixes: page.commonPrefixes,
      continuationToken: token,
      nextContinuationToken:
        page.isTruncated && page.last !== undefined
          ? Buffer.from(page.last, 'utf8').toString('base64url')
          : undefined,
      startAfter,
      owner: query.get('fetch-owner') === 'true' ? request.deps.owner : undefined,
    }),
  );
}
