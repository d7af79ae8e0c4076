// `POST /api/batch`: several allocations, commits, stats and small listings in one request. A
// client with many uploads or reads in flight (a web client, an S3 gateway, `dfs upload DIR`)
// sends what piled up while its last request was out, so the fixed cost of an HTTP exchange is
// shared by every call. Each call is checked and run as its own route would, and answers on its own.

import { DfsError, toDfsError } from '../protocol/errors.js';
import { normalisePath } from '../protocol/paths.js';
import type { Namespace } from './namespace.js';
import { parseAllocate, parseCommit, parseList, parseUploadId } from './requests.js';

/** Most calls in one batch. */
export const MAX_BATCH = 256;

/** One call's answer: its value, or its error as the route would have sent it. */
export type BatchResult =
  | { ok: true; value: unknown }
  | { ok: false; status: number; error: { code: string; message: string } };

/** Runs every call of a batch body concurrently; returns the answers in order. */
export async function runBatch(
  body: unknown,
  namespace: Namespace,
  limits: { chunkSize: number; maxFileSize: number },
  log: (message: string) => void,
): Promise<BatchResult[]> {
  const calls = (body as { calls?: unknown })?.calls;
  if (!Array.isArray(calls) || calls.length === 0 || calls.length > MAX_BATCH)
    throw new DfsError('bad_request', `calls must be a list of 1 to ${MAX_BATCH} calls`);
  return Promise.all(
    calls.map(async (call): Promise<BatchResult> => {
      try {
        return { ok: true, value: await one(call, namespace, limits) };
      } catch (err) {
        const error = toDfsError(err);
        if (error.code === 'internal') log(`batch call failed: ${(err as Error)?.stack ?? err}`);
        const message =
          error.code === 'internal' ? 'internal error (details are in the server log)' : error.message;
        return { ok: false, status: error.status, error: { code: error.code, message } };
      }
    }),
  );
}

async function one(call: unknown, namespace: Namespace, limits: { chunkSize: number; maxFileSize: number }) {
  const c = call as { op?: unknown; uploadId?: unknown; request?: unknown; path?: unknown; query?: unknown };
  // A read: what `GET /api/files/{path}` answers, without waiting for nodes to report a chunk
  // of no known copy (the caller asks alone for such a file: one slow stat holds up no other).
  if (c?.op === 'stat') return namespace.stat(normalisePath(c.path), false);
  // A listing: what `GET /api/files?{query}` answers (the query's fields as strings).
  if (c?.op === 'list') return namespace.list(parseList(listQuery(c.query)));
  const uploadId = parseUploadId(c?.uploadId);
  if (c.op === 'allocate')
    return { allocations: await namespace.allocate(parseAllocate(c.request, limits.chunkSize), uploadId) };
  if (c.op === 'commit') return namespace.commit(parseCommit(c.request, limits), uploadId);
  throw new DfsError('bad_request', 'op must be allocate, commit, stat or list');
}

// A listing's query as the route's query string gives it: an object of strings.
function listQuery(query: unknown): Record<string, string> {
  if (
    typeof query !== 'object' ||
    query === null ||
    Array.isArray(query) ||
    !Object.values(query).every((v) => typeof v === 'string')
  )
    throw new DfsError('bad_request', 'query must be an object of strings');
  return query as Record<string, string>;
}
