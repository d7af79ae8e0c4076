// Master routes the gateways need beyond files: attributes (WebDAV dead properties), S3
// multipart uploads (parts whose chunks an upload lease pins, committed later in one go) and
// WebDAV locks. Each is a thin, checked translation onto the metadata store.

import type Router from '@koa/router';
import type { MasterConfig } from '../config.js';
import { jsonBody } from '../http/body.js';
import type { MetaStore } from '../meta/store.js';
import type { LockRecord } from '../meta/types.js';
import { DfsError } from '../protocol/errors.js';
import {
  MAX_ATTRIBUTES_BYTES,
  MAX_METADATA_BYTES,
  MAX_MULTIPART_LIST,
  MAX_PARTS,
} from '../protocol/limits.js';
import { MAX_PATH_BYTES, normalisePath, normalisePrefix } from '../protocol/paths.js';
import type { Receipt } from '../protocol/types.js';
import {
  chunkList,
  contentTypeOf,
  decimal,
  limitParam,
  METADATA_KEY,
  object,
  receiptList,
  storable,
  stringMap,
  parseUploadId as uploadId,
} from './requests.js';

const LOCK_TOKEN = /^urn:uuid:[0-9a-f-]{36}$/;
// Longest a WebDAV lock lasts without a refresh, seconds.
const MAX_LOCK_SECONDS = 7 * 24 * 3600;
// Largest `<owner>` kept with a lock, bytes.
const MAX_OWNER = 4096;

// A bound of a listing of uploads (`prefix`, `from`): not a path itself (a bound just after one
// ends in a character no path holds), but no longer than a path and a few bytes, and no NUL,
// which PostgreSQL cannot hold. (A query string decodes to well-formed text.)
function pathBound(value: unknown, name: string, fallback: string): string {
  if (value === undefined) return fallback;
  if (
    typeof value !== 'string' ||
    !value.startsWith('/') ||
    value.includes('\u0000') ||
    Buffer.byteLength(value) > MAX_PATH_BYTES + 8
  )
    throw new DfsError('bad_request', `${name} must be a path, or a bound just after one`);
  return value;
}

// A resource path: a file, or a folder ending in `/`.
function resource(value: unknown): string {
  if (typeof value === 'string' && value.endsWith('/')) return normalisePrefix(value);
  return normalisePath(value);
}

/** The gateway routes over the store. */
export class Gateways {
  constructor(
    private readonly config: Readonly<MasterConfig>,
    private readonly store: MetaStore,
    /** How long an idle multipart upload lives, ms. */
    private readonly multipartTtl: number,
    /** Records the holders a part's receipts prove (as a commit does), so it reads at once. */
    private readonly holders: (receipts: Receipt[]) => unknown,
  ) {}

  /** Adds the routes to the API router. */
  routes(api: Router): void {
    const { store } = this;
    api.post('/api/attributes', jsonBody(), async (ctx) => {
      const b = object(ctx.request.body);
      const remove = Array.isArray(b.remove) ? b.remove.map((name) => storable(String(name), 'names')) : [];
      await store.setAttributes(resource(b.path), {
        set: stringMap(b.set ?? {}, 'attributes', MAX_ATTRIBUTES_BYTES),
        remove,
      });
      ctx.body = { ok: true };
    });

    api.post('/api/multipart', jsonBody(), async (ctx) => {
      const b = object(ctx.request.body);
      const path = normalisePath(b.path);
      const info = {
        path,
        initiated: Date.now(),
        contentType: contentTypeOf(b.contentType, path),
        metadata: stringMap(b.metadata, 'metadata', MAX_METADATA_BYTES, METADATA_KEY),
        attributes: stringMap(b.attributes, 'attributes', MAX_ATTRIBUTES_BYTES),
      };
      await store.createMultipart(uploadId(b.uploadId), info, this.multipartTtl, info.initiated);
      ctx.status = 201;
      ctx.body = info;
    });
    api.get('/api/multipart', async (ctx) => {
      const prefix = pathBound(ctx.query.prefix, 'prefix', '/');
      const limit = limitParam(ctx.query.limit, MAX_MULTIPART_LIST);
      const uploads = await store.listMultiparts(prefix, limit, pathBound(ctx.query.from, 'from', prefix));
      ctx.body = {
        uploads: uploads.map((u) => ({
          uploadId: u.id,
          path: u.multipart?.path,
          initiated: u.multipart?.initiated,
          attributes: u.multipart?.attributes,
        })),
      };
    });
    api.get('/api/multipart/:id', async (ctx) => {
      const id = uploadId(ctx.params.id);
      const lease = await store.getLease(id);
      if (!lease?.multipart || lease.state !== 'open')
        throw new DfsError('not_found', `no such multipart upload: ${id}`);
      ctx.body = { info: lease.multipart, parts: await store.listParts(id) };
    });
    api.put('/api/multipart/:id/parts/:n', jsonBody('4mb'), async (ctx) => {
      const id = uploadId(ctx.params.id);
      const number = decimal(ctx.params.n);
      if (!Number.isInteger(number) || number < 1 || number > MAX_PARTS)
        throw new DfsError('bad_request', `part number must be from 1 to ${MAX_PARTS}`);
      const b = object(ctx.request.body);
      const chunks = chunkList(b.chunks, this.config.chunkSize, b.size, 'part');
      const size = b.size as number;
      if (typeof b.etag !== 'string' || b.etag.length > 200)
        throw new DfsError('bad_request', 'etag must be a string');
      storable(b.etag, 'etag');
      if (
        b.checksum !== undefined &&
        (typeof b.checksum !== 'string' || !/^[A-Za-z0-9+/=]{1,100}$/.test(b.checksum))
      )
        throw new DfsError('bad_request', 'checksum must be base64');
      const checksum = b.checksum as string | undefined;
      this.holders(receiptList(b.receipts));
      const part = {
        number,
        size,
        etag: b.etag,
        ...(checksum && { checksum }),
        chunks,
        lastModified: Date.now(),
      };
      await store.putPart(id, part, Date.now());
      ctx.body = { ok: true };
    });

    api.post('/api/locks', jsonBody(), async (ctx) => {
      const b = object(ctx.request.body);
      const now = Date.now();
      const lock = this.lock(b, now);
      ctx.status = 201;
      ctx.body = await store.createLock(lock, now);
    });
    api.post('/api/locks/:token', jsonBody(), async (ctx) => {
      const token = ctx.params.token ?? '';
      if (!LOCK_TOKEN.test(token)) throw new DfsError('bad_request', 'invalid lock token');
      ctx.body = await store.refreshLock(
        token,
        this.seconds(object(ctx.request.body).timeoutSeconds),
        Date.now(),
      );
    });
    api.delete('/api/locks/:token', async (ctx) => {
      const token = ctx.params.token ?? '';
      if (!LOCK_TOKEN.test(token)) throw new DfsError('bad_request', 'invalid lock token');
      ctx.body = { removed: await store.removeLock(token) };
    });
    api.get('/api/locks', async (ctx) => {
      const path = resource(ctx.query.path);
      ctx.body = { locks: await store.locksFor(path, ctx.query.descendants === '1', Date.now()) };
    });
  }

  private seconds(value: unknown): number {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_LOCK_SECONDS)
      throw new DfsError('bad_request', `timeoutSeconds must be from 1 to ${MAX_LOCK_SECONDS}`);
    return value;
  }

  private lock(b: Record<string, unknown>, now: number): LockRecord {
    if (typeof b.token !== 'string' || !LOCK_TOKEN.test(b.token))
      throw new DfsError('bad_request', 'invalid lock token');
    if (b.depth !== 0 && b.depth !== 'infinity')
      throw new DfsError('bad_request', 'depth must be 0 or infinity');
    if (b.scope !== 'exclusive' && b.scope !== 'shared')
      throw new DfsError('bad_request', 'scope must be exclusive or shared');
    const owner = storable(typeof b.owner === 'string' ? b.owner : '', 'owner');
    if (Buffer.byteLength(owner) > MAX_OWNER)
      throw new DfsError('bad_request', `owner is longer than ${MAX_OWNER} bytes`);
    const timeoutSeconds = this.seconds(b.timeoutSeconds);
    return {
      token: b.token,
      root: resource(b.root),
      depth: b.depth,
      scope: b.scope,
      owner,
      timeoutSeconds,
      expires: now + timeoutSeconds * 1000,
    };
  }
}
