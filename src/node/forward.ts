// The replication pipeline's outgoing leg: a node streams a chunk to the next node while it
// writes its own copy, and learns the downstream receipts (HDFS-style pipeline).

import http from 'node:http';
import { DfsError, isErrorCode } from '../protocol/errors.js';
import { FAILED_NODE_HEADER, FORWARD_HEADER, TOKEN_HEADER } from '../protocol/headers.js';
import type { Receipt } from '../protocol/types.js';
import { agentFor } from '../sdk/agents.js';

// Longest pipeline a client may ask for: one hop per replica (replication is at most 16).
const MAX_FORWARDS = 15;

/**
 * Parses the forward header: at most MAX_FORWARDS plain http(s) origins, no credentials, paths
 * or queries, none twice. Anything else is a 400 before a byte is stored or sent on.
 */
export function parseForwardHeader(header: string): string[] {
  const targets = header
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (targets.length > MAX_FORWARDS) {
    throw new DfsError('bad_request', `a chunk may be forwarded to at most ${MAX_FORWARDS} nodes`);
  }
  const origins = targets.map((target) => {
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      throw new DfsError('bad_request', 'forward target is not a URL');
    }
    const plain =
      (url.protocol === 'http:' || url.protocol === 'https:') &&
      !url.username &&
      !url.password &&
      !url.search &&
      !url.hash &&
      url.pathname === '/';
    if (!plain) throw new DfsError('bad_request', 'forward target must be a plain http(s) origin');
    return url.origin;
  });
  if (new Set(origins).size !== origins.length) {
    throw new DfsError('bad_request', 'forward targets must be distinct');
  }
  return origins;
}

/** An open PUT to the next node of the pipeline. */
export interface Forward {
  write(piece: Buffer): Promise<void>;
  /** Ends the body and waits for the downstream receipts. */
  finish(): Promise<Receipt[]>;
  destroy(): void;
}

/** Opens `PUT {targets[0]}/chunks/{id}` forwarding to the rest of `targets`. */
export function openForward(
  targets: string[],
  chunkId: string,
  token: string,
  length: number | undefined,
): Forward {
  const [next, ...rest] = targets as [string, ...string[]];
  const url = new URL(`/chunks/${chunkId}`, next);
  const headers: http.OutgoingHttpHeaders = {
    'content-type': 'application/octet-stream',
    [TOKEN_HEADER]: token,
  };
  if (rest.length > 0) headers[FORWARD_HEADER] = rest.join(',');
  if (length !== undefined) headers['content-length'] = length;
  const req = http.request(url, { method: 'PUT', headers, agent: agentFor(url) });
  const fail = (cause: unknown, failedNode = next) =>
    Object.assign(
      new DfsError('bad_gateway', `replica node ${failedNode} failed: ${(cause as Error)?.message ?? cause}`),
      { failedNode },
    );
  let failure: Error | undefined;
  const response = new Promise<Receipt[]>((resolve, reject) => {
    req.on('error', (err) => {
      failure ??= fail(err);
      reject(failure);
    });
    req.on('response', (res) => {
      const parts: Buffer[] = [];
      res.on('data', (p: Buffer) => parts.push(p));
      res.on('error', (err) => reject(fail(err)));
      res.on('end', () => {
        let body: { receipts?: Receipt[]; error?: { code?: string; message?: string } } = {};
        try {
          body = JSON.parse(Buffer.concat(parts).toString('utf8'));
        } catch {
          // fall through with an empty body
        }
        if (res.statusCode === 201 && Array.isArray(body.receipts)) return resolve(body.receipts);
        const downstream = res.headers[FAILED_NODE_HEADER];
        const code = body.error?.code;
        if (typeof downstream === 'string') return reject(fail(body.error?.message ?? 'failed', downstream));
        if (res.statusCode && res.statusCode < 500 && isErrorCode(code)) {
          return reject(new DfsError(code, body.error?.message ?? 'refused'));
        }
        reject(fail(body.error?.message ?? `status ${res.statusCode}`));
      });
    });
  });
  response.catch(() => {}); // observed through finish(); never an unhandled rejection
  return {
    write(piece) {
      if (failure) return Promise.reject(failure);
      if (req.write(piece)) return Promise.resolve();
      // Wait for room downstream, unless the downstream node answers (fails) first.
      return new Promise((resolve, reject) => {
        req.once('drain', resolve);
        response.catch(reject);
      });
    },
    finish() {
      req.end();
      return response;
    },
    destroy() {
      req.destroy();
    },
  };
}
