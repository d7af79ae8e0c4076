// GetObject and HeadObject: conditions, ranges, stored headers, bytes streamed in flat memory.

import { streamFile } from '../http/stream-file.js';
import { enforceOutcome, readConditions } from './conditional.js';
import { S3Error } from './errors.js';
import { headerValue } from './headers.js';
import { sendEmpty } from './middleware.js';
import { setObjectHeaders } from './object-meta.js';
import { storedPath } from './object-paths.js';
import { requireObject } from './objects.js';
import { objectRange } from './range.js';
import { bucketOf, keyOfRoute, type S3Request } from './request.js';

/** GetObject and HeadObject (a HEAD answers what the GET would, without the body). */
export async function getObject(request: S3Request): Promise<void> {
  const { ctx, headers } = request;
  const { bucket } = bucketOf(request);
  const key = keyOfRoute(request);
  const { object, file } = await requireObject(request, bucket, key, storedPath(bucket, key));
  enforceOutcome(readConditions(headers, object), object);
  const range = objectRange(headerValue(headers, 'range'), object.size);
  const status = range ? 206 : 200;
  const length = range ? range.end - range.start + 1 : object.size;
  // First: an empty body clears Content-Type, which the object's headers then set.
  if (ctx.method === 'HEAD') sendEmpty(ctx, status, length);
  setObjectHeaders(ctx, object, request.route.query, range === undefined);
  if (range) ctx.set('Content-Range', `bytes ${range.start}-${range.end}/${object.size}`);
  if (ctx.method === 'HEAD') return;
  if (file && length > 0 && file.minReplicas === 0)
    throw new S3Error('ServiceUnavailable', 'No live copy of a part of this object can be reached now');
  ctx.length = length;
  if (!file || length === 0) {
    ctx.respond = false;
    ctx.res.writeHead(status);
    ctx.res.end();
    return;
  }
  await streamFile(ctx, request.deps.sdk, file, range, request.deps.log, request.signal);
}
