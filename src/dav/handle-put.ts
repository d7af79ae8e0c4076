// PUT on /dav/: the body streams into durable chunks (every replica fsynced) and is committed as
// the file's new version only once it is whole — Content-Length, chunked, or chunked with
// Finder's X-Expected-Entity-Length; a body shorter or longer than declared commits nothing.
// The new version keeps the file's dead properties.

import { guessContentType, isContentType, OCTET_STREAM } from '../protocol/mime.js';
import { writeCondition } from './conditional.js';
import { deadPropAttributes } from './dead-props.js';
import { badRequest, DavError } from './errors.js';
import { ROOT_PATH } from './paths.js';
import { declaredLength } from './quirks.js';
import type { DavRequest } from './request.js';
import { currentOf, etagOf } from './resources.js';
import { sendEmpty } from './respond.js';

/**
 * The type a file is stored with: the one its name suggests, which every client agrees on (davfs2
 * and Windows send octet-stream or nothing for everything); the client's only for unknown names.
 */
export function storedType(path: string, given: string): string {
  const guessed = guessContentType(path);
  if (guessed !== OCTET_STREAM) return guessed;
  return given && isContentType(given) ? given : OCTET_STREAM;
}

/** PUT: 201 for a new file, 204 for a new version of one. */
export async function handlePut(req: DavRequest): Promise<void> {
  const { ctx, path } = req;
  if (path === ROOT_PATH) throw new DavError(405, 'the root is a folder');
  // RFC 9110 §14.5: a partial PUT we do not support must be refused, not stored whole.
  if (ctx.get('content-range')) throw badRequest('PUT with Content-Range is not supported');
  const declared = declaredLength(ctx.headers);
  const found = await req.resolve();
  if (found.kind === 'folder') throw new DavError(405, `${path} is a folder`);
  if (req.slashed)
    throw new DavError(409, `${path}/ names a folder: PUT a file at its name without a trailing /`);
  if (found.kind === 'missing' && found.parent !== 'folder') {
    throw new DavError(409, `the parent folder of ${path} does not exist`);
  }
  const file = found.kind === 'file' ? found.entry : undefined;
  await req.preconditions([{ kind: file ? 'modify' : 'create', path }]);
  const ifGeneration = writeCondition(ctx.headers, file && currentOf(file));
  const manifest = await req.sdk.upload(ctx.req as AsyncIterable<Buffer>, path, {
    contentType: storedType(path, ctx.get('content-type').trim()),
    // Dead properties belong to the resource, not to one version of its bytes (RFC 4918 §4).
    attributes: deadPropAttributes(file?.attributes),
    ...(ifGeneration !== undefined && { ifGeneration }),
    expectedSize: declared,
    signal: req.signal,
  });
  ctx.set('ETag', etagOf(manifest.generation) as string);
  sendEmpty(ctx, file ? 204 : 201);
}
