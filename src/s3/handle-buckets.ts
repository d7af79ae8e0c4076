// Bucket operations: a bucket is a top-level dfs folder whose name follows S3's rules.

import { compareUtf8 } from '../protocol/byte-order.js';
import { readBodyText } from './body.js';
import { isDfs } from './dfs-errors.js';
import { invalidArgument, notImplemented, S3Error } from './errors.js';
import { UNSET_CONFIGURATIONS, unsetConfiguration } from './features.js';
import { sendEmpty } from './middleware.js';
import { isValidBucketName } from './names.js';
import { storedPath } from './object-paths.js';
import { requireObject } from './objects.js';
import { bucketOf, bucketState, noSuchBucket, requireBucket, type S3Request, sendXml } from './request.js';
import { type BucketEntry, listBucketsXml } from './xml-listing.js';
import {
  checkLocationConstraint,
  parseAccessControlPolicy,
  parseCreateBucketConfiguration,
} from './xml-parse.js';
import { emptyTaggingXml, locationXml, ownerAclXml, versioningXml } from './xml-results.js';
import { el } from './xml-writer.js';

// A CreateBucketConfiguration is a few hundred bytes.
const MAX_CONFIGURATION_BODY = 64 * 1024;
// Most buckets one ListBuckets answers (S3's own limit per page).
const MAX_BUCKETS = 10_000;

/**
 * ListBuckets: every top-level folder with a valid bucket name, in name order (`prefix`,
 * `max-buckets`, `continuation-token` and `bucket-region` honoured).
 */
export async function listBuckets(request: S3Request): Promise<void> {
  const { query } = request.route;
  const prefix = query.get('prefix') ?? '';
  const maxText = query.get('max-buckets');
  const max = maxText === undefined ? MAX_BUCKETS : Number(maxText);
  if (!Number.isInteger(max) || max < 1 || max > MAX_BUCKETS)
    throw invalidArgument('max-buckets', maxText ?? '', 'max-buckets must be an integer from 1 to 10000');
  const start = query.get('continuation-token');
  const after = start === undefined ? '' : Buffer.from(start, 'base64url').toString('utf8');
  // Every bucket of the region asked for (there is one), sorted by name as S3 sorts them: the
  // root lists folders by path, where `photos-old/` comes before `photos/`.
  const region = query.get('bucket-region') ?? request.deps.region;
  const all: BucketEntry[] = [];
  const pages = request.deps.sdk.pages('/', { delimiter: true, limit: 1000, signal: request.signal });
  if (region === request.deps.region)
    for await (const page of pages)
      for (const { type, name, created } of page.entries)
        if (type === 'dir' && isValidBucketName(name) && name.startsWith(prefix) && name > after)
          all.push({ name, creationDate: new Date(created) });
  all.sort((a, b) => compareUtf8(a.name, b.name));
  const buckets = all.slice(0, max);
  const truncated = all.length > max;
  const xml = listBucketsXml(request.deps.owner, buckets);
  // The newer, paged form of ListBuckets: its extra elements only when asked for.
  const extra = [
    truncated ? el('ContinuationToken', Buffer.from(buckets.at(-1)?.name ?? '').toString('base64url')) : '',
    query.has('prefix') ? el('Prefix', prefix) : '',
  ].join('');
  sendXml(
    request.ctx,
    extra ? xml.replace('</ListAllMyBucketsResult>', `${extra}</ListAllMyBucketsResult>`) : xml,
  );
}

/**
 * CreateBucket: makes the folder. Creating a bucket that exists answers 200 in us-east-1 (as S3
 * does there for its owner, and every key pair owns every bucket) and BucketAlreadyOwnedByYou
 * elsewhere; a root file of that name is BucketAlreadyExists.
 */
export async function createBucket(request: S3Request): Promise<void> {
  const { bucket, folder } = bucketOf(request);
  const location = parseCreateBucketConfiguration(await readBodyText(request.body, MAX_CONFIGURATION_BODY));
  // The aws CLI with no region configured signs for us-east-1 and names the bucket's place aws-global.
  const global = location === 'aws-global' && request.deps.region === 'us-east-1';
  checkLocationConstraint(global ? undefined : location, request.deps.region);
  const state = await bucketState(request, folder);
  if (state === 'file')
    throw new S3Error(
      'BucketAlreadyExists',
      `A file named ${bucket} is at the root of dfs: no bucket can have its name`,
      {
        fields: { BucketName: bucket },
      },
    );
  if (state === 'exists' && request.deps.region !== 'us-east-1')
    throw new S3Error('BucketAlreadyOwnedByYou', undefined, { fields: { BucketName: bucket } });
  if (state === 'missing') await request.deps.sdk.mkdir(folder, { signal: request.signal });
  request.ctx.set('Location', `/${bucket}`);
  sendEmpty(request.ctx);
}

/** HeadBucket. */
export async function headBucket(request: S3Request): Promise<void> {
  await requireBucket(request);
  request.ctx.set('x-amz-bucket-region', request.deps.region);
  sendEmpty(request.ctx);
}

/** DeleteBucket: only an empty bucket (BucketNotEmpty otherwise). */
export async function deleteBucket(request: S3Request): Promise<void> {
  const { bucket, folder } = await requireBucket(request);
  try {
    await request.deps.sdk.rmdir(folder, { signal: request.signal });
  } catch (err) {
    if (isDfs(err, 'conflict'))
      throw new S3Error('BucketNotEmpty', undefined, { fields: { BucketName: bucket } });
    if (isDfs(err, 'not_found')) throw noSuchBucket(bucket);
    throw err;
  }
  sendEmpty(request.ctx, 204);
}

/** GetBucketLocation. */
export async function getBucketLocation(request: S3Request): Promise<void> {
  await requireBucket(request);
  sendXml(request.ctx, locationXml(request.deps.region));
}

/** GetBucketVersioning: never enabled. */
export async function getBucketVersioning(request: S3Request): Promise<void> {
  await requireBucket(request);
  sendXml(request.ctx, versioningXml());
}

/** GetBucketAcl and GetObjectAcl: the owner has FULL_CONTROL, nobody else anything. */
export async function getAcl(request: S3Request): Promise<void> {
  await requireAclTarget(request);
  sendXml(request.ctx, ownerAclXml(request.deps.owner));
}

/** GetObjectTagging: dfs keeps no tags, so every object's set is empty. */
export async function getObjectTagging(request: S3Request): Promise<void> {
  await requireAclTarget(request);
  sendXml(request.ctx, emptyTaggingXml());
}

/** DeleteObjectTagging: the set is empty already. */
export async function deleteObjectTagging(request: S3Request): Promise<void> {
  await requireAclTarget(request);
  sendEmpty(request.ctx, 204);
}

/**
 * GetBucketCors, GetBucketPolicy, GetBucketLogging…: the bucket has no such setting
 * (UNSET_CONFIGURATIONS).
 */
export async function getBucketConfiguration(request: S3Request): Promise<void> {
  const { bucket } = await requireBucket(request);
  const { none } = UNSET_CONFIGURATIONS[unsetConfiguration(request.route.query) ?? ''] ?? {};
  if (none === undefined) throw new S3Error('InternalError');
  if (typeof none === 'string') throw new S3Error(none, undefined, { fields: { BucketName: bucket } });
  sendXml(request.ctx, none());
}

/** DeleteBucketCors, DeleteBucketPolicy…: nothing to remove. */
export async function deleteBucketConfiguration(request: S3Request): Promise<void> {
  await requireBucket(request);
  sendEmpty(request.ctx, 204);
}

async function requireAclTarget(request: S3Request): Promise<void> {
  const key = request.route.key;
  if (key === undefined) {
    await requireBucket(request);
    return;
  }
  const { bucket } = bucketOf(request);
  await requireObject(request, bucket, key, storedPath(bucket, key));
}

/**
 * PutBucketAcl and PutObjectAcl: only the ACL every bucket and object has, the owner's FULL_CONTROL
 * alone: as the canned `private` (the route refuses other canned ones), or as the policy
 * GetObjectAcl answers, sent back (`s3cmd setacl --acl-private`).
 */
export async function putAcl(request: S3Request): Promise<void> {
  const body = await readBodyText(request.body, MAX_CONFIGURATION_BODY);
  const owner = request.deps.owner.id;
  const ownerOnly = (policy: ReturnType<typeof parseAccessControlPolicy>) =>
    (policy.ownerId === undefined || policy.ownerId === owner) &&
    policy.grants.length === 1 &&
    policy.grants[0]?.userId === owner &&
    policy.grants[0]?.permission === 'FULL_CONTROL';
  const canned = body.trim() === '' && request.ctx.get('x-amz-acl') !== '';
  if (!canned && !(body.trim() !== '' && ownerOnly(parseAccessControlPolicy(body))))
    throw notImplemented("ACLs other than the owner's (the canned ACL private)");
  await requireAclTarget(request);
  sendEmpty(request.ctx);
}
