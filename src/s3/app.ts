// The S3 gateway's Koa app: request ids and XML errors, routing, SigV4, then one handler per
// operation over the dfs SDK. It never listens (gateway.ts does).

import { createHash } from 'node:crypto';
import Koa, { type Context } from 'koa';
import { type Logger, logAppErrors } from '../http/errors.js';
import type { Monitoring } from '../http/monitoring.js';
import type { DfsClient } from '../sdk/client.js';
import { fromDfsError } from './dfs-errors.js';
import { S3Error } from './errors.js';
import {
  createBucket,
  deleteBucket,
  deleteBucketConfiguration,
  deleteObjectTagging,
  getAcl,
  getBucketConfiguration,
  getBucketLocation,
  getBucketVersioning,
  getObjectTagging,
  headBucket,
  listBuckets,
  putAcl,
} from './handle-buckets.js';
import { copyObject } from './handle-copy.js';
import { deleteObject, deleteObjects } from './handle-delete.js';
import { getObject } from './handle-get.js';
import { listObjectsV1, listObjectsV2 } from './handle-list.js';
import {
  abortMultipartUpload,
  completeMultipartUpload,
  createMultipartUpload,
  uploadPart,
} from './handle-multipart.js';
import { uploadPartCopy } from './handle-part-copy.js';
import { putObject } from './handle-put.js';
import { listMultipartUploads, listParts } from './handle-uploads-list.js';
import { type S3State, s3Authenticate, s3Errors } from './middleware.js';
import type { Handler, S3Deps } from './request.js';
import { type Operation, resolveRoute, type S3Route } from './route.js';
import { isAuthenticated } from './sigv4.js';

/** What the S3 app is built from. */
export interface S3AppDeps {
  sdk: DfsClient;
  region: string;
  /** Domains for virtual-hosted-style addressing. */
  domains: readonly string[];
  /** Secret keys by access key. */
  credentials: ReadonlyMap<string, string>;
  log: Logger;
  /** The clock for signature checks (tests); default Date.now. */
  now?: () => number;
  /** The daemon's metrics; requests are counted by S3 operation. */
  monitoring?: Monitoring;
}

const HANDLERS: Record<Exclude<Operation, 'Refused'>, Handler> = {
  ListBuckets: listBuckets,
  CreateBucket: createBucket,
  HeadBucket: headBucket,
  DeleteBucket: deleteBucket,
  GetBucketLocation: getBucketLocation,
  GetBucketVersioning: getBucketVersioning,
  GetBucketAcl: getAcl,
  PutBucketAcl: putAcl,
  ListObjects: listObjectsV1,
  ListObjectsV2: listObjectsV2,
  ListMultipartUploads: listMultipartUploads,
  DeleteObjects: deleteObjects,
  PutObject: putObject,
  CopyObject: copyObject,
  GetObject: getObject,
  HeadObject: getObject,
  DeleteObject: deleteObject,
  GetObjectAcl: getAcl,
  PutObjectAcl: putAcl,
  GetObjectTagging: getObjectTagging,
  DeleteObjectTagging: deleteObjectTagging,
  GetBucketConfiguration: getBucketConfiguration,
  DeleteBucketConfiguration: deleteBucketConfiguration,
  CreateMultipartUpload: createMultipartUpload,
  UploadPart: uploadPart,
  UploadPartCopy: uploadPartCopy,
  CompleteMultipartUpload: completeMultipartUpload,
  AbortMultipartUpload: abortMultipartUpload,
  ListParts: listParts,
};

/** The owner every bucket and object reports: one, since every key pair sees every bucket. */
export const OWNER = {
  id: createHash('sha256').update('dfs s3 gateway owner').digest('hex'),
  displayName: 'dfs',
};

// A request that signs (or tries to sign) is an S3 request, whatever its path. A bearer token (the
// cluster's access token, as Prometheus sends it) signs nothing: that request is the daemon's.
const authenticated = (ctx: Context) => {
  const authorization = ctx.get('authorization') || undefined;
  if (authorization !== undefined && /^Bearer\s/i.test(authorization)) return false;
  return isAuthenticated(authorization, new URLSearchParams(ctx.querystring));
};

/** Builds the gateway's Koa app. */
export function createS3App(deps: S3AppDeps): Koa {
  const app = new Koa();
  const handlerDeps: S3Deps = { sdk: deps.sdk, region: deps.region, owner: OWNER, log: deps.log };
  app.on('error', logAppErrors(deps.log));
  // `/metrics` is the daemon's for unsigned requests only: a signed one means the bucket `metrics`
  // (or the key `metrics` of a virtual-hosted bucket).
  if (deps.monitoring) app.use(deps.monitoring.middleware({ servesMetrics: (ctx) => !authenticated(ctx) }));
  app.use(s3Errors(deps.log));
  // Requests that cannot be read at all (a bad URI, a key over 1 KiB) are refused before SigV4;
  // refusals of what a request asks for come after it, so that only signed requests learn them.
  app.use(async (ctx: Context, next) => {
    ctx.state.route = resolveRoute(
      { method: ctx.method, url: ctx.req.url ?? '/', headers: ctx.req.headersDistinct },
      { domains: deps.domains },
    );
    const route = ctx.state.route as S3Route;
    // Metrics count requests by operation, never by key.
    ctx.state.routeLabel = route.operation;
    if (route.refuseUnsigned) throw route.refusal;
    await next();
  });
  app.use(
    s3Authenticate({
      region: deps.region,
      credentials: (accessKey) => deps.credentials.get(accessKey),
      now: deps.now,
      // Every body's MD5 is computed as it streams: S3's ETag of a PUT and of a part.
      body: { computeMd5: true },
    }),
  );
  app.use(async (ctx: Context) => {
    const state = ctx.state as S3State & { route: S3Route };
    const route = state.route;
    if (route.refusal) throw route.refusal;
    const handler = HANDLERS[route.operation as Exclude<Operation, 'Refused'>];
    const abort = new AbortController();
    // A client that hangs up stops the SDK calls made for it (chunk uploads, downloads).
    const hungUp = () => {
      if (!ctx.res.writableFinished) abort.abort(new Error('the client closed the connection'));
    };
    ctx.res.once('close', hungUp);
    try {
      await handler({
        ctx,
        route,
        headers: ctx.req.headersDistinct,
        body: state.body as NonNullable<S3State['body']>,
        signal: abort.signal,
        deps: handlerDeps,
      });
    } catch (err) {
      // A client that hung up is no server failure: nothing was committed, nobody reads the answer.
      if (abort.signal.aborted && !(err instanceof S3Error))
        throw new S3Error('IncompleteBody', 'The client closed the connection', { cause: err });
      throw fromDfsError(err);
    } finally {
      ctx.res.off('close', hungUp);
    }
  });
  return app;
}
