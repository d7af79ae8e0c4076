// GET and HEAD on /dav/: a file's bytes, whole or one Range (streamFile: flat memory at any
// size); a folder answers with a plain HTML index.

import { rangeApplies, readCondition } from '../http/conditional.js';
import { sandboxed } from '../http/security.js';
import { streamFile } from '../http/stream-file.js';
import { OCTET_STREAM } from '../protocol/mime.js';
import { type ByteRange, parseRange, RangeNotSatisfiable } from '../protocol/range.js';
import { DavError } from './errors.js';
import { sendFolderIndex } from './folder-index.js';
import type { DavRequest } from './request.js';
import { currentOf } from './resources.js';

/** The Range asked for (undefined: none); 416 with the file's length when it lies outside the file. */
function requestedRange(req: DavRequest, size: number): ByteRange | undefined {
  try {
    return parseRange(req.ctx.get('range'), size);
  } catch (err) {
    if (!(err instanceof RangeNotSatisfiable)) throw err;
    // RFC 9110 §15.5.17: say how long the file is, so the client can ask again.
    req.ctx.set('Content-Range', `bytes */${err.size}`);
    throw new DavError(416, `the range is outside the ${err.size}-byte file`);
  }
}

/** GET or HEAD. */
export async function handleGet(req: DavRequest): Promise<void> {
  const { ctx } = req;
  await req.preconditions([]);
  // Files are what GET is mostly for: resolving stats them first (one round trip), then lists.
  const found = await req.resolve();
  if (found.kind === 'missing') throw req.notFound();
  if (found.kind === 'folder') {
    await sendFolderIndex(req);
    return;
  }
  // Found by a listing (committed after the stat missed it): the manifest is still to fetch.
  const info = found.info ?? (await req.sdk.stat(req.path, { signal: req.signal }));
  const current = currentOf(info);
  ctx.set('ETag', current.etag);
  ctx.set('Last-Modified', new Date(info.created).toUTCString());
  ctx.set('Accept-Ranges', 'bytes');
  sandboxed(ctx);
  const condition = readCondition(ctx.headers, current);
  if (condition !== 'ok') {
    ctx.status = condition;
    if (condition === 412) ctx.body = 'the precondition does not hold\n';
    return;
  }
  const range = rangeApplies(ctx.headers, current) ? requestedRange(req, info.size) : undefined;
  ctx.type = info.contentType || OCTET_STREAM;
  if (range) ctx.set('Content-Range', `bytes ${range.start}-${range.end}/${info.size}`);
  const status = range ? 206 : 200;
  ctx.length = range ? range.end - range.start + 1 : info.size;
  if (ctx.method === 'HEAD' || ctx.length === 0) {
    // Koa sends the headers as set with a status and no body (a null body would make it 204).
    ctx.status = status;
    if (ctx.method !== 'HEAD') ctx.body = '';
    return;
  }
  await streamFile(ctx, req.sdk, info, range, req.deps.log, req.signal);
}
