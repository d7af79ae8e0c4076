// What every S3 handler is given: the request resolved and authenticated, and the gateway's parts.

import type { Context } from 'koa';
import type { Logger } from '../http/errors.js';
import type { DfsClient } from '../sdk/client.js';
import type { VerifiedBody } from './body.js';
import { S3Error } from './errors.js';
import type { HeaderMap } from './headers.js';
import { bucketFolder } from './object-paths.js';
import type { S3Route } from './route.js';
import type { Owner } from './xml-listing.js';

/** What the handlers are built from. */
export interface S3Deps {
  sdk: DfsClient;
  /** The region buckets report and requests are signed for. */
  region: string;
  /** The owner of every bucket and object (every key pair sees every bucket). */
  owner: Owner;
  log: Logger;
}

/** One authenticated request. */
export interface S3Request {
  ctx: Context;
  route: S3Route;
  headers: HeaderMap;
  /** The body, verified as it is read (signature, digests, length). */
  body: VerifiedBody;
  /** Aborted when the client goes away: SDK calls made for it stop. */
  signal: AbortSignal;
  deps: S3Deps;
}

/** A handler of one S3 operation. */
export type Handler = (request: S3Request) => Promise<void>;

/** The request's bucket name, checked (InvalidBucketName), and its folder. */
export function bucketOf(request: S3Request): { bucket: string; folder: string } {
  const bucket = request.route.bucket ?? '';
  return { bucket, folder: bucketFolder(bucket) };
}

/** The request's key (the route guarantees one for object operations). */
export function keyOfRoute(request: S3Request): string {
  const key = request.route.key;
  if (key === undefined) throw new S3Error('InvalidRequest', 'this operation needs an object key');
  return key;
}

/**
 * Whether bucket folder `/bucket/` exists: `exists`, `missing`, or `file` when a file at the root
 * has the bucket's name (it is no bucket, and no bucket can be made with that name). A check made
 * beside a write (`forWrite`) travels with the write's own master calls.
 */
export async function bucketState(
  request: Pick<S3Request, 'deps' | 'signal'>,
  folder: string,
  forWrite = false,
): Promise<'exists' | 'missing' | 'file'> {
  try {
    await request.deps.sdk.list(folder, { delimiter: true, limit: 1, signal: request.signal, forWrite });
    return 'exists';
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'not_found') return 'missing';
    if (code === 'conflict') return 'file';
    throw err;
  }
}

/** NoSuchBucket naming the bucket. */
export function noSuchBucket(bucket: string): S3Error {
  return new S3Error('NoSuchBucket', undefined, { fields: { BucketName: bucket } });
}

/** Throws NoSuchBucket unless the request's bucket exists. */
export async function requireBucket(request: S3Request): Promise<{ bucket: string; folder: string }> {
  const { bucket, folder } = bucketOf(request);
  if ((await bucketState(request, folder)) !== 'exists') throw noSuchBucket(bucket);
  return { bucket, folder };
}

/** Sends an XML document with status 200. */
export function sendXml(ctx: Context, xml: string, status = 200): void {
  ctx.status = status;
  ctx.type = 'application/xml';
  ctx.body = xml;
}
