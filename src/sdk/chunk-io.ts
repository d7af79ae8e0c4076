// Moving one chunk's bytes to and from a node over plain HTTP with keep-alive.

import type http from 'node:http';
import { DfsError } from '../protocol/errors.js';
import { FAILED_NODE_HEADER, FORWARD_HEADER, TOKEN_HEADER } from '../protocol/headers.js';
import type { Receipt } from '../protocol/types.js';
import { type Reply, replyError, request } from './transport.js';

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
  const error = replyError(reply, `node ${first.url}`);
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
  if (reply.status !== 200) throw replyError(reply, `node ${url}`);
  return reply.body;
}
