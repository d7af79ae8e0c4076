// Moving one chunk's bytes to and from a node over plain HTTP with keep-alive.

import http from 'node:http';
import { DfsError, isErrorCode } from '../protocol/errors.js';
import { FAILED_NODE_HEADER, FORWARD_HEADER, TOKEN_HEADER } from '../protocol/headers.js';
import type { Receipt } from '../protocol/types.js';
import { agentFor } from './agents.js';

// A node that stays silent this long is treated as failed.
const IDLE_TIMEOUT = 30_000;
// Largest response body preallocated from its Content-Length.
const MAX_PREALLOCATE = 256 * 1024 * 1024;

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function request(
  url: URL,
  options: http.RequestOptions,
  body: Buffer | undefined,
  signal?: AbortSignal,
  into?: Buffer,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { ...options, agent: agentFor(url), signal, timeout: IDLE_TIMEOUT },
      (res) => {
        // With a known length the body is copied once into one buffer of the right size.
        const length = Number(res.headers['content-length']);
        const whole = !Number.isSafeInteger(length)
          ? undefined
          : into && into.length >= length
            ? into.subarray(0, length)
            : length <= MAX_PREALLOCATE
              ? Buffer.allocUnsafe(length)
              : undefined;
        const parts: Buffer[] = [];
        let filled = 0;
        res.on('data', (p: Buffer) => {
          if (whole && filled + p.length <= whole.length) whole.set(p, filled);
          else parts.push(p);
          filled += p.length;
        });
        res.on('error', reject);
        res.on('end', () => {
          const complete = whole && filled === whole.length && parts.length === 0;
          const data = complete
            ? whole
            : whole
              ? Buffer.concat([whole.subarray(0, Math.min(filled, whole.length)), ...parts])
              : Buffer.concat(parts);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

function replyError(reply: Reply, node: string): DfsError {
  let parsed: { error?: { code?: unknown; message?: unknown } } = {};
  try {
    parsed = JSON.parse(reply.body.toString('utf8'));
  } catch {
    // not JSON
  }
  const code = parsed.error?.code;
  const message = typeof parsed.error?.message === 'string' ? parsed.error.message : `HTTP ${reply.status}`;
  return new DfsError(isErrorCode(code) ? code : 'bad_gateway', `node ${node}: ${message}`);
}

/** PUTs a chunk to the first target, which forwards it down the rest; returns every receipt. */
export async function putChunk(
  targets: { nodeId: string; url: string }[],
  id: string,
  token: string,
  data: Buffer,
  signal?: AbortSignal,
): Promise<Receipt[]> {
  const [first, ...rest] = targets;
  if (!first) throw new DfsError('insufficient_nodes', 'no node to write to');
  const headers: http.OutgoingHttpHeaders = {
    'content-type': 'application/octet-stream',
    'content-length': data.length,
    [TOKEN_HEADER]: token,
  };
  if (rest.length > 0) headers[FORWARD_HEADER] = rest.map((t) => t.url).join(',');
  let reply: Reply;
  try {
    reply = await request(new URL(`/chunks/${id}`, first.url), { method: 'PUT', headers }, data, signal);
  } catch (err) {
    if (signal?.aborted) throw err;
    throw Object.assign(new DfsError('bad_gateway', `node ${first.url}: ${(err as Error).message}`), {
      failedNode: first.url,
    });
  }
  if (reply.status === 201)
    return (JSON.parse(reply.body.toString('utf8')) as { receipts: Receipt[] }).receipts;
  const error = replyError(reply, first.url);
  const downstream = reply.headers[FAILED_NODE_HEADER];
  const failedNode =
    typeof downstream === 'string' ? downstream : reply.status >= 500 ? first.url : undefined;
  throw Object.assign(error, { failedNode });
}

/** GETs a whole chunk from a node. */
export async function fetchChunk(
  url: string,
  id: string,
  token: string,
  signal?: AbortSignal,
  into?: Buffer,
): Promise<Buffer> {
  const headers: http.OutgoingHttpHeaders = token ? { authorization: `Bearer ${token}` } : {};
  const reply = await request(
    new URL(`/chunks/${id}`, url),
    { method: 'GET', headers },
    undefined,
    signal,
    into,
  );
  if (reply.status !== 200) throw replyError(reply, url);
  return reply.body;
}
