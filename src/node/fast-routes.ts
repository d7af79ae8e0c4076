// A node's hot requests answered on node:http directly, before Koa: a small chunk's PUT (a
// declared length up to the pack limit) and a packed chunk's whole GET, nearly every request of a
// small-file workload. Koa's context, router and middleware cost a node more CPU than the rest of
// such a request. They answer as the Koa routes do: the same checks in the same order, JSON errors,
// the security headers, metrics and the access log. And a chunk PUT's checks before its body,
// shared with the Koa route that takes the large ones.

import { createHash } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { NodeConfig } from '../config.js';
import { bearerOf, tokenMatches } from '../http/access.js';
import { errorBody, type Logger, logRefusal } from '../http/errors.js';
import type { Monitoring } from '../http/monitoring.js';
import { SECURITY_HEADERS } from '../http/security.js';
import { signReceipt, verifyWriteToken } from '../protocol/auth.js';
import { DfsError, toDfsError } from '../protocol/errors.js';
import { FAILED_NODE_HEADER, FORWARD_HEADER, TOKEN_HEADER } from '../protocol/headers.js';
import { MAX_CHUNK_SIZE } from '../protocol/limits.js';
import { assertChunkId, isChunkId } from '../protocol/paths.js';
import type { Receipt } from '../protocol/types.js';
import { PipelineError, putChunk } from '../sdk/chunk-io.js';
import type { ChunkStore } from '../storage/chunk-store.js';
import { parseForwardHeader } from './forward.js';
import type { NodeState } from './state.js';

/** What taking a chunk PUT needs. */
export interface ChunkPutDeps {
  config: Readonly<NodeConfig>;
  store: ChunkStore;
  state: NodeState;
}

/**
 * Checks a PUT of chunk `id` before a byte of its body is read: its write token, its declared
 * length, its forward list, and the disk's reserve. Returns the largest body it may send and the
 * nodes to send it on to.
 */
export async function admitChunkPut(
  { config, store, state }: ChunkPutDeps,
  id: string,
  token: string | undefined,
  declared: number | undefined,
  forward: string,
): Promise<{ limit: number; downstream: string[] }> {
  const op = verifyWriteToken(config.secret, token || undefined, ['put', 'copy'], id);
  // A client's chunk is at most the cluster's chunk size; a repair copy of a chunk stored
  // before the chunk size was lowered is as large as it is.
  const limit = op === 'copy' ? MAX_CHUNK_SIZE : state.chunkSize;
  if (declared !== undefined && !(declared >= 0 && declared <= limit)) {
    throw new DfsError('payload_too_large', `chunk is larger than ${limit} bytes`);
  }
  const downstream = parseForwardHeader(forward);
  // The reserve stays free: a disk that full refuses new chunks (the client tries another node).
  const { free } = await store.usage(250);
  if (free - (declared ?? limit) < config.reserve) {
    throw new DfsError('unavailable', `disk full on ${state.url || 'this node'}: ${free} bytes free`);
  }
  return { limit, downstream };
}

/**
 * A chunk's Cache-Control: content-addressed, so cacheable forever; never by a shared cache when
 * reads need a token.
 */
export function chunkCaching(config: Readonly<NodeConfig>): string {
  return `${config.token ? 'private' : 'public'}, max-age=31536000, immutable`;
}

/** This node's signed word that it durably stored chunk `id`. */
export function ownReceipt({ config, state }: ChunkPutDeps, id: string): Receipt {
  return { nodeId: state.id, chunkId: id, signature: signReceipt(config.secret, state.id, id) };
}

const PREFIX = '/chunks/';
const ROUTE = `${PREFIX}:id`;
const CHUNK_PATH = /^\/chunks\/[0-9a-f]{64}$/;

/** What the fast routes need beside a PUT's. */
export interface FastRouteDeps extends ChunkPutDeps {
  log: Logger;
  monitoring: Monitoring;
}

/**
 * The node's request listener: a PUT to `/chunks/…` with a declared length up to the pack limit,
 * and a plain GET of a whole packed chunk with the access token it needs, are answered here;
 * every other request (a large or streamed PUT, a Range, a HEAD, a refused token, a page) goes
 * to `next`, the Koa app.
 */
export function fastRoutes(deps: FastRouteDeps, next: RequestListener): RequestListener {
  const { config, store, state, monitoring } = deps;
  return (req, res) => {
    const url = req.url ?? '';
    if (req.method === 'GET') {
      const id = url.slice(PREFIX.length);
      if (
        !CHUNK_PATH.test(url) ||
        req.headers.range !== undefined ||
        !store.packed(id) ||
        !tokenMatches(config.token, bearerOf(req.headers.authorization))
      )
        return next(req, res);
      const started = performance.now();
      res.once('close', () => monitoring.observe('GET', url, ROUTE, res, started, { chunk: id }));
      state.requests++;
      store.read(id).then(
        ({ data, size, release }) => {
          if (release) res.once('close', release);
          state.bytesOut += size;
          res.writeHead(200, {
            ...SECURITY_HEADERS,
            'Accept-Ranges': 'bytes',
            'Cache-Control': chunkCaching(config),
            'Content-Type': 'application/octet-stream',
            'Content-Length': size,
          });
          res.end(data);
        },
        (err: unknown) => refuse(deps.log, req, res, url, err),
      );
      return;
    }
    const declared = req.headers['content-length'];
    if (req.method !== 'PUT' || !url.startsWith(PREFIX) || declared === undefined) return next(req, res);
    const length = Number(declared);
    if (!(length <= store.packLimit)) return next(req, res);
    const query = url.indexOf('?');
    const path = query < 0 ? url : url.slice(0, query);
    const started = performance.now();
    const id = path.slice(PREFIX.length);
    // The access line names the chunk when the id is one (putSmall refuses any other).
    const fields = isChunkId(id) ? { chunk: id } : undefined;
    res.once('close', () => monitoring.observe('PUT', path, ROUTE, res, started, fields));
    state.requests++;
    putSmall(deps, req, id, length).then(
      (receipts) => answer(res, 201, { receipts }),
      (err: unknown) => refuse(deps.log, req, res, path, err),
    );
  };
}

// Checks, reads, stores and sends on one small chunk; resolves with every replica's receipt.
async function putSmall(
  deps: ChunkPutDeps,
  req: IncomingMessage,
  id: string,
  length: number,
): Promise<Receipt[]> {
  // The raw (undecoded) id is checked before anything else: no encoding of one is another id.
  assertChunkId(id);
  const token = header(req, TOKEN_HEADER);
  const { downstream } = await admitChunkPut(deps, id, token, length, header(req, FORWARD_HEADER));
  // Read whole (it is small) and checked against its name before anything is written or sent
  // on (the only check: store.putSmall trusts it), then appended to a pack here while it is
  // sent down the pipeline.
  const body = await readBody(req, length);
  if (createHash('sha256').update(body).digest('hex') !== id)
    throw new DfsError('checksum_mismatch', `chunk body does not hash to ${id}`);
  const forwarding = downstream.length > 0 ? putChunk(downstream, id, token, body) : undefined;
  forwarding?.catch(() => {}); // observed below
  const [, down] = await Promise.all([deps.store.putSmall(id, body), forwarding]);
  deps.state.bytesIn += body.length;
  return [ownReceipt(deps, id), ...(down ?? [])];
}

function header(req: IncomingMessage, name: string): string {
  const value = req.headers[name];
  return typeof value === 'string' ? value : '';
}

// The body, of exactly `length` bytes (node:http has ended it at its Content-Length).
function readBody(req: IncomingMessage, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const body = Buffer.allocUnsafe(length);
    let filled = 0;
    req.on('data', (piece: Buffer) => {
      body.set(piece, filled);
      filled += piece.length;
    });
    req.once('end', () =>
      filled === length
        ? resolve(body)
        : reject(new DfsError('bad_request', 'chunk body ended before its Content-Length')),
    );
    req.once('error', reject);
  });
}

function answer(
  res: ServerResponse,
  status: number,
  body: unknown,
  extra: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    ...extra,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

// As the daemons' error middleware answers: the error as JSON, a 5xx logged; nobody to answer
// when the client has gone.
function refuse(log: Logger, req: IncomingMessage, res: ServerResponse, path: string, err: unknown): void {
  if (req.socket.destroyed || res.headersSent) return;
  const error = toDfsError(err);
  logRefusal(log, { method: req.method ?? '', path }, error, err);
  const extra: Record<string, string> = { 'Cache-Control': 'no-store' };
  // A refused body still on the wire is not drained: the connection closes after the answer.
  if (!req.complete) extra.Connection = 'close';
  if (err instanceof PipelineError) extra[FAILED_NODE_HEADER] = err.failedNode;
  answer(res, error.status, errorBody(error), extra);
}
