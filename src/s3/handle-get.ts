// GetObject and HeadObject: conditions, ranges, stored headers, bytes streamed in flat memory.

import { enforceOutcome, readConditions } from './conditional.js';
import { S3Error } from './errors.js';
import { headerValue } from './headers.js';
import { sendEmpty } from './middleware.js';
import { setObjectHeaders } from './object-meta.js';
import { objectPath } from './object-paths.js';
import { requireObject } from './objects.js';
import { objectRange } from './range.js';
import { bucketOf, keyOfRoute, type S3Request } from './request.js';

/** GetObject and HeadObject (a HEAD answers what the GET would, without the body). */
export async function getObject(request: S3Request): Promise<void> {
  const { ctx, headers } = request;
  const { bucket } = bucketOf(request);
  const key = keyOfRoute(request);
  const { object, file } = await requireObject(request, bucket, key, objectPath(bucket, key));
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
  // Written straight to the socket with the SDK's recycled chunk buffers: flat memory at any size.
  ctx.respond = false;
  ctx.length = length;
  ctx.res.writeHead(status);
  if (!file || length === 0) {
    ctx.res.end();
    return;
  }
  try {
    await request.deps.sdk.downloadTo(file.path, ctx.res, {
      info: file,
      start: range?.start,
      end: range?.end,
      signal: request.signal,
    });
    ctx.res.end();
  } catch (err) {
    // The headers are gone: cutting the connection is how the client learns the body is short.
    if (!request.signal.aborted)
      request.deps.log(`GET ${file.path} failed mid-stream: ${(err as Error).message}`, {
        level: 'error',
        method: ctx.method,
        path: ctx.path,
      });
    ctx.res.destroy();
  }
}
