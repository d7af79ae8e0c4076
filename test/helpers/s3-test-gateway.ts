// A tiny in-memory S3 gateway built from src/s3 alone, for driving the protocol core with real clients.

import { createHash } from 'node:crypto';
import Koa, { type Context } from 'koa';
import { handleExpect } from '../../src/http/expect.js';
import { type Listening, serve } from '../../src/http/serve.js';
import { readBodyText } from '../../src/s3/body.js';
import { checksumHeaderName } from '../../src/s3/checksums.js';
import { enforceOutcome, readConditions, writeConditions } from '../../src/s3/conditional.js';
import { parseCopySource } from '../../src/s3/copy-source.js';
import { notImplemented, S3Error } from '../../src/s3/errors.js';
import { type S3State, s3Authenticate, s3Errors, sendEmpty } from '../../src/s3/middleware.js';
import { userMetadata } from '../../src/s3/names.js';
import { objectRange } from '../../src/s3/range.js';
import { resolveRoute } from '../../src/s3/route.js';
import { listObjectsV2Xml, type Owner } from '../../src/s3/xml-listing.js';
import { completeUploadXml, initiateUploadXml } from '../../src/s3/xml-multipart.js';
import { parseCompleteMultipartUpload, parseDelete } from '../../src/s3/xml-parse.js';
import { copyResultXml, deleteResultXml } from '../../src/s3/xml-results.js';

/** Every bucket exists except this one (NoSuchBucket). */
export const MISSING_BUCKET = 'missing';
export const TEST_REGION = 'us-east-1';
export const TEST_KEYS: Readonly<Record<string, string>> = {
  AKIDTESTGATEWAY: 'test/secret+key=with/odd/characters',
};
const OWNER: Owner = { id: 'owner-id', displayName: 'owner' };

/** A stored object. */
export interface StoredObject {
  data: Buffer;
  etag: string;
  lastModified: Date;
  metadata: Record<string, string>;
  checksum?: { algorithm: string; value: string };
}

/** What the handler did with one request. */
export interface RequestRecord {
  operation: string;
  /** Body bytes the handler was given before it finished or failed. */
  bodyBytes: number;
  committed: boolean;
  /** Set when the handler is done: `ok` or the S3 error code it ended with. */
  outcome?: string;
}

/** A running test gateway. */
export interface TestGateway {
  url: string;
  /** Objects by `bucket/key`. */
  objects: Map<string, StoredObject>;
  /** Server-side log lines (5xx and internal errors). */
  log: string[];
  /** Requests seen, with the body bytes each handler managed to read before it failed. */
  requests: RequestRecord[];
  close(): Promise<void>;
}

async function collect(state: S3State, record: { bodyBytes: number }, md5 = false): Promise<Buffer> {
  const pieces: Buffer[] = [];
  const body = state.body;
  if (!body) throw new Error('no body');
  for await (const piece of body) {
    pieces.push(piece);
    record.bodyBytes += piece.length;
  }
  if (md5 && body.digests?.md5 === undefined) throw new Error('md5 was not computed');
  return Buffer.concat(pieces);
}

function md5Hex(data: Buffer): string {
  return createHash('md5').update(data).digest('hex');
}

/** Options of the test gateway: a clock, keys other than TEST_KEYS, virtual-host domains. */
export interface TestGatewayOptions {
  now?: () => number;
  keys?: Readonly<Record<string, string>>;
  domains?: string[];
}

/** Starts the gateway on a free port. */
export async function startTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const keys = options.keys ?? TEST_KEYS;
  const objects = new Map<string, StoredObject>();
  const uploads = new Map<string, Map<number, Buffer>>();
  const log: string[] = [];
  const requests: TestGateway['requests'] = [];
  const app = new Koa();
  app.on('error', (err: Error) => log.push(`koa: ${err.stack}`));
  app.use(s3Errors((line) => log.push(line)));
  app.use(async (ctx: Context, next) => {
    ctx.state.route = resolveRoute(
      { method: ctx.method, url: ctx.req.url ?? '/', headers: ctx.req.headersDistinct },
      {
        domains: options.domains,
      },
    );
    await next();
  });
  app.use(
    s3Authenticate({
      region: TEST_REGION,
      credentials: (key) => keys[key],
      now: options.now,
      body: { computeMd5: true },
    }),
  );
  app.use(async (ctx: Context, next) => {
    const record: RequestRecord = { operation: '', bodyBytes: 0, committed: false };
    requests.push(record);
    ctx.state.record = record;
    try {
      await next();
      record.outcome = 'ok';
    } catch (err) {
      record.outcome = err instanceof S3Error ? err.code : 'InternalError';
      throw err;
    }
  });
  app.use(async (ctx: Context) => {
    const state = ctx.state as S3State;
    const route = ctx.state.route as ReturnType<typeof resolveRoute>;
    const record = ctx.state.record as RequestRecord;
    record.operation = route.operation;
    if (route.refusal) throw route.refusal;
    if (route.bucket === MISSING_BUCKET) throw new S3Error('NoSuchBucket');
    const bucket = route.bucket ?? '';
    const key = `${bucket}/${route.key ?? ''}`;
    const existing = objects.get(key);
    switch (route.operation) {
      case 'PutObject': {
        enforceOutcome(writeConditions(ctx.req.headersDistinct, existing), existing);
        const data = await collect(state, record, true);
        const object: StoredObject = {
          data,
          etag: state.body?.digests?.md5 ?? md5Hex(data),
          lastModified: new Date(),
          metadata: userMetadata(ctx.req.headersDistinct),
        };
        const checksum = state.body?.digests?.checksum;
        if (checksum) object.checksum = checksum;
        objects.set(key, object);
        record.committed = true;
        ctx.set('ETag', `"${object.etag}"`);
        if (checksum) ctx.set(checksumHeaderName(checksum.algorithm), checksum.value);
        sendEmpty(ctx);
        return;
      }
      case 'GetObject':
      case 'HeadObject': {
        if (!existing) throw new S3Error('NoSuchKey', undefined, { fields: { Key: key } });
        enforceOutcome(readConditions(ctx.req.headersDistinct, existing), existing);
        const range = objectRange(ctx.get('range') || undefined, existing.data.length);
        ctx.set('ETag', `"${existing.etag}"`);
        ctx.set('Last-Modified', existing.lastModified.toUTCString());
        ctx.set('Accept-Ranges', 'bytes');
        for (const [name, value] of Object.entries(existing.metadata)) ctx.set(`x-amz-meta-${name}`, value);
        if (range) {
          ctx.status = 206;
          ctx.set('Content-Range', `bytes ${range.start}-${range.end}/${existing.data.length}`);
          ctx.body = existing.data.subarray(range.start, range.end + 1);
        } else {
          ctx.body = existing.data;
        }
        return;
      }
      case 'CopyObject': {
        const source = parseCopySource(ctx.get('x-amz-copy-source'));
        const from = objects.get(`${source.bucket}/${source.key}`);
        if (!from) throw new S3Error('NoSuchKey');
        const copy = { ...from, lastModified: new Date() };
        objects.set(key, copy);
        record.committed = true;
        ctx.type = 'application/xml';
        ctx.body = copyResultXml('CopyObjectResult', copy.etag, copy.lastModified);
        return;
      }
      case 'DeleteObject':
        objects.delete(key);
        sendEmpty(ctx, 204);
        return;
      case 'DeleteObjects': {
        const request = parseDelete(await readBodyText(state.body as NonNullable<S3State['body']>, 1 << 20));
        const outcomes = request.objects.map((o) => {
          objects.delete(`${bucket}/${o.key}`);
          return { key: o.key, deleted: true } as const;
        });
        ctx.type = 'application/xml';
        ctx.body = deleteResultXml(outcomes, request.quiet);
        return;
      }
      case 'CreateMultipartUpload': {
        const id = `upload-${uploads.size + 1}`;
        uploads.set(id, new Map());
        ctx.type = 'application/xml';
        ctx.body = initiateUploadXml(bucket, route.key ?? '', id);
        return;
      }
      case 'UploadPart': {
        const parts = uploads.get(route.uploadId ?? '');
        if (!parts) throw new S3Error('NoSuchUpload');
        const data = await collect(state, record);
        parts.set(route.partNumber ?? 0, data);
        record.committed = true;
        ctx.set('ETag', `"${md5Hex(data)}"`);
        sendEmpty(ctx);
        return;
      }
      case 'CompleteMultipartUpload': {
        const parts = uploads.get(route.uploadId ?? '');
        if (!parts) throw new S3Error('NoSuchUpload');
        const listed = parseCompleteMultipartUpload(
          await readBodyText(state.body as NonNullable<S3State['body']>, 1 << 20),
        );
        const pieces = listed.map((p) => {
          const data = parts.get(p.partNumber);
          if (!data || md5Hex(data) !== p.etag) throw new S3Error('InvalidPart');
          return data;
        });
        const etag = `${md5Hex(Buffer.concat(listed.map((p) => Buffer.from(p.etag, 'hex'))))}-${listed.length}`;
        objects.set(key, { data: Buffer.concat(pieces), etag, lastModified: new Date(), metadata: {} });
        uploads.delete(route.uploadId ?? '');
        record.committed = true;
        ctx.type = 'application/xml';
        ctx.body = completeUploadXml(`${ctx.origin}/${key}`, bucket, route.key ?? '', etag);
        return;
      }
      case 'ListObjectsV2': {
        const prefix = route.query.get('prefix') ?? '';
        const contents = [...objects]
          .filter(([k]) => k.startsWith(`${bucket}/${prefix}`))
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([k, o]) => ({
            key: k.slice(bucket.length + 1),
            lastModified: o.lastModified,
            etag: o.etag,
            size: o.data.length,
          }));
        ctx.type = 'application/xml';
        ctx.body = listObjectsV2Xml({
          bucket,
          prefix,
          maxKeys: 1000,
          isTruncated: false,
          contents,
          commonPrefixes: [],
          encodingType: route.query.get('encoding-type') === 'url' ? 'url' : undefined,
          owner: route.query.get('fetch-owner') === 'true' ? OWNER : undefined,
        });
        return;
      }
      case 'HeadBucket':
      case 'CreateBucket':
        sendEmpty(ctx);
        return;
      default:
        throw notImplemented(route.operation);
    }
  });
  const listening: Listening = await serve(app, '127.0.0.1', 0);
  handleExpect(listening.server);
  return { url: listening.url, objects, log, requests, close: () => listening.close() };
}
