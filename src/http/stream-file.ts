// A file's bytes as an HTTP answer, for the web client's downloads, WebDAV and S3 GETs.

import type { Context } from 'koa';
import type { ByteRange } from '../protocol/range.js';
import type { FileInfo } from '../protocol/types.js';
import type { DfsClient } from '../sdk/client.js';
import { type Logger, logServerError } from './errors.js';

// A file in one chunk up to this size is read whole, then sent with its headers in one write:
// most files are small, and stopping such a read when the client leaves saves less than
// watching for it costs.
const WHOLE_MAX = 1024 * 1024;

/**
 * Sends `info`'s bytes (or `range`, with 206) with the headers already set on `ctx`. A small
 * file is read whole, then sent. A larger one is written straight to the socket with the SDK's
 * recycled chunk buffers: flat memory at any size; a client that leaves stops that read (through
 * `signal`, the request's own when the caller has one). The headers leave with the first bytes:
 * a first chunk that cannot be read is thrown, for the caller's error answer; a failure
 * mid-stream (the headers are gone) cuts the connection, so the client sees a short body, and is
 * logged.
 */
export async function streamFile(
  ctx: Context,
  sdk: DfsClient,
  info: FileInfo,
  range: ByteRange | undefined,
  log: Logger,
  signal?: AbortSignal,
): Promise<void> {
  if (info.chunks.length === 1 && info.size <= WHOLE_MAX) {
    const data = await sdk.readSingleChunk(info);
    ctx.status = range ? 206 : 200;
    ctx.body = range ? data.subarray(range.start, range.end + 1) : data;
    return;
  }
  signal ??= leaving(ctx);
  // With respond = false Koa writes nothing: the status (404 until a body is set) is said here.
  ctx.respond = false;
  ctx.res.statusCode = range ? 206 : 200;
  try {
    await sdk.downloadTo(info.path, ctx.res, { info, start: range?.start, end: range?.end, signal });
    ctx.res.end();
  } catch (err) {
    if (!ctx.res.headersSent && !signal.aborted) {
      ctx.respond = true;
      throw err;
    }
    if (!signal.aborted)
      logServerError(log, ctx, ctx.res.statusCode, {
        summary: `failed mid-stream, answer cut short: ${(err as Error).message}`,
      });
    ctx.res.destroy();
  }
}

// Aborted when the client goes away before the answer is sent.
function leaving(ctx: Context): AbortSignal {
  const left = new AbortController();
  ctx.res.once('close', () => {
    if (!ctx.res.writableFinished) left.abort(new Error('the client went away'));
  });
  return left.signal;
}
