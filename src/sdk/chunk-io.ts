// Moving one chunk's bytes to and from a node over plain HTTP with keep-alive: the PUT of the
// replication pipeline, streamed (a node forwarding a large chunk, repair copies) or whole (a
// client's chunk, a node forwarding a small one: over raw-http.ts, as GETs are), and the GET.

import http from 'node:http';
import https from 'node:https';
import { DfsError, isErrorCode } from '../protocol/errors.js';
import { FAILED_NODE_HEADER, FORWARD_HEADER, TOKEN_HEADER } from '../protocol/headers.js';
import type { Receipt } from '../protocol/types.js';
import { agentFor } from './agents.js';
import { IDLE_TIMEOUT, type Reply, replyError, request, send } from './transport.js';

/** A failure of one node of a replication pipeline: the client tries again without it. */
export class PipelineError extends DfsError {
  constructor(
    cause: DfsError,
    /** Base URL of the node to blame. */
    readonly failedNode: string,
  ) {
    super(cause.code, cause.message, { cause });
    this.name = 'PipelineError';
  }
}

/** An open chunk PUT to the first node of a pipeline. */
export interface ChunkPut {
  /** Sends more bytes, waiting for room downstream (or failing if the node answered already). */
  write(piece: Buffer): Promise<void>;
  /** Ends the body (with `last`, its final bytes) and waits for every node's receipt. */
  finish(last?: Buffer): Promise<Receipt[]>;
  destroy(): void;
}

/**
 * The first node of a pipeline, the URL of chunk `id` on it, and the headers that have it send
 * the chunk on to the rest.
 */
function pipelineRequest(targets: string[], id: string, token: string) {
  const [first, ...rest] = targets;
  if (!first) throw new DfsError('insufficient_nodes', 'no node to write to');
  const headers: Record<string, string> = {
    'content-type': 'application/octet-stream',
    [TOKEN_HEADER]: token,
  };
  if (rest.length > 0) headers[FORWARD_HEADER] = rest.join(',');
  return { first, url: new URL(`/chunks/${id}`, first), headers };
}

/**
 * Opens `PUT {targets[0]}/chunks/{id}`, which forwards to the rest of `targets`. A failure is a
 * PipelineError naming the node to blame (the first, or the one a node reported downstream); a
 * refusal of the request itself (4xx: token, size, checksum) carries its own code and blames nobody.
 */
export function openChunkPut(
  targets: string[],
  id: string,
  token: string,
  length: number | undefined,
  signal?: AbortSignal,
): ChunkPut {
  const { first, url, headers: pipeline } = pipelineRequest(targets, id, token);
  const headers: http.OutgoingHttpHeaders = { ...pipeline };
  if (length !== undefined) headers['content-length'] = length;
  const req = (url.protocol === 'https:' ? https : http).request(url, {
    method: 'PUT',
    headers,
    agent: agentFor(url),
    signal,
    timeout: IDLE_TIMEOUT,
  });
  const blame = (error: DfsError, node: string) => new PipelineError(error, node);
  let failure: Error | undefined;
  const response = new Promise<Receipt[]>((resolve, reject) => {
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (err) => {
      failure ??= signal?.aborted
        ? err
        : blame(new DfsError('bad_gateway', `node ${first}: ${err.message}`), first);
      reject(failure);
    });
    req.on('response', (res) => {
      const parts: Buffer[] = [];
      res.on('data', (p: Buffer) => parts.push(p));
      res.on('error', (err) =>
        reject(blame(new DfsError('bad_gateway', `node ${first}: ${err.message}`), first)),
      );
      res.on('end', () => {
        try {
          resolve(
            receiptsOf(
              { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) },
              first,
            ),
          );
        } catch (err) {
          reject(err);
        }
      });
    });
  });
  response.catch(() => {}); // observed through write() and finish(); never unhandled
  return {
    write(piece) {
      if (failure) return Promise.reject(failure);
      if (req.write(piece)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        req.once('drain', resolve);
        response.catch(reject);
      });
    },
    finish(last) {
      req.end(last);
      return response;
    },
    destroy() {
      req.destroy();
    },
  };
}

/**
 * The receipts of a pipeline's answer from its first node `first`; otherwise its error, as a
 * PipelineError blaming the node at fault, or the refusal of the request itself.
 */
function receiptsOf(reply: Reply, first: string): Receipt[] {
  if (reply.status === 201) {
    try {
      return (JSON.parse(reply.body.toString('utf8')) as { receipts: Receipt[] }).receipts;
    } catch {
      // not a receipt list: treated as a failure of this node below
    }
  }
  const downstream = reply.headers[FAILED_NODE_HEADER];
  const error = replyError(reply, `node ${first}`);
  if (typeof downstream === 'string') throw new PipelineError(error, downstream);
  if (reply.status < 500 && reply.status !== 201 && isErrorCode(error.code)) throw error;
  throw new PipelineError(error, first);
}

/**
 * PUTs a whole chunk down a pipeline of nodes (`targets`, their URLs); returns every receipt.
 * Failures as openChunkPut's.
 */
export async function putChunk(
  targets: string[],
  id: string,
  token: string,
  data: Buffer,
  signal?: AbortSignal,
): Promise<Receipt[]> {
  const { first, url, headers } = pipelineRequest(targets, id, token);
  let reply: Reply;
  try {
    reply = await send(url, { method: 'PUT', headers, body: data, timeout: IDLE_TIMEOUT }, signal);
  } catch (err) {
    if (signal?.aborted) throw err;
    throw new PipelineError(new DfsError('bad_gateway', `node ${first}: ${(err as Error).message}`), first);
  }
  return receiptsOf(reply, first);
}

/** GETs a whole chunk from a node, into `into` when it fits. */
export async function fetchChunk(
  url: string,
  id: string,
  token: string,
  signal?: AbortSignal,
  into?: Buffer,
): Promise<Buffer> {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const reply = await send(
    new URL(`/chunks/${id}`, url),
    { method: 'GET', headers, timeout: IDLE_TIMEOUT },
    signal,
    into,
  );
  if (reply.status !== 200) throw replyError(reply, `node ${url}`);
  return reply.body;
}

/** What a node says of a chunk: it holds it, it does not, or it could not tell (unreachable). */
export type ProbeResult = 'present' | 'absent' | 'unknown';

/** Asks a node whether it still holds chunk `id` on its disk (`HEAD /chunks/{id}`). */
export async function probeChunk(url: string, id: string, token: string): Promise<ProbeResult> {
  const headers: http.OutgoingHttpHeaders = token ? { authorization: `Bearer ${token}` } : {};
  try {
    const reply = await request(
      new URL(`/chunks/${id}`, url),
      { method: 'HEAD', headers, timeout: 5000 },
      undefined,
    );
    if (reply.status === 200) return 'present';
    return reply.status === 404 ? 'absent' : 'unknown';
  } catch {
    return 'unknown';
  }
}
