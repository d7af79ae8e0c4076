// MKCOL on /dav/: an explicit, empty folder (it stays when emptied), in an existing folder only.

import { DavError } from './errors.js';
import type { DavRequest } from './request.js';
import { sendEmpty } from './respond.js';

/** True when a request carries a body (a length above 0, or chunked). */
export function hasBody(headers: Readonly<Record<string, string | string[] | undefined>>): boolean {
  const length = headers['content-length'];
  return (length !== undefined && length !== '0') || headers['transfer-encoding'] !== undefined;
}

/** MKCOL: 201; 405 over anything that exists, 409 without a parent folder, 415 with a body. */
export async function handleMkcol(req: DavRequest): Promise<void> {
  const { ctx, path } = req;
  // RFC 4918 §9.3: a body we do not understand (we understand none) is 415.
  if (hasBody(ctx.headers)) throw new DavError(415, 'MKCOL with a request body is not supported');
  const found = await req.resolve();
  if (found.kind !== 'missing') throw new DavError(405, `${path} already exists`);
  if (found.parent !== 'folder') throw new DavError(409, `the parent folder of ${path} does not exist`);
  await req.preconditions([{ kind: 'create', path }]);
  await req.sdk.mkdir(path, { signal: req.signal });
  sendEmpty(ctx, 201);
}
