// Every route of the master's client API as one typed function, over a list of masters with
// failover: a request that may safely be sent again goes to the next master when one is down
// or silent; one that may not is resent only when it surely never arrived.

import { setTimeout as sleep } from 'node:timers/promises';
import type { AttributeChange, MkdirOptions, RmdirOptions } from '../meta/store.js';
import type { LockRecord, MultipartInfo, PartRecord } from '../meta/types.js';
import { DfsError } from '../protocol/errors.js';
import { OP_HEADER } from '../protocol/headers.js';
import type {
  Allocation,
  ChunkRef,
  ClusterConfig,
  ClusterStatus,
  CommitRequest,
  FileInfo,
  FsckReport,
  ListResponse,
  Manifest,
  NodeInfo,
  Receipt,
} from '../protocol/types.js';
import { type BatchAnswer, Batcher } from './batcher.js';
import { type JsonCallOptions, jsonCall, TransportError } from './transport.js';
import { newUploadId } from './upload-id.js';

// Every master of several unreachable: the error names them all, not only the last one tried.
function noMaster(masters: readonly string[], last: TransportError): TransportError {
  return new TransportError(
    `cannot reach any of the masters ${masters.join(', ')} (${last.message})`,
    last.unsent,
    last,
  );
}

/** May a request be sent again after a failure? `always`: it is idempotent; `unsent`: only if it never arrived. */
type Retry = 'always' | 'unsent';

/** Options of every call. */
export interface CallOptions {
  signal?: AbortSignal;
}

/** How a listing is sent. */
export interface ListCallOptions extends CallOptions {
  /**
   * A small listing made as part of a write (S3 PutObject's bucket check): it travels in the
   * writes' batches (allocations and commits), sharing their exchanges.
   */
  forWrite?: boolean;
}

/** A listing query as the API takes it. */
export interface ListOptions {
  /** The folder (ending in `/` or not). */
  prefix: string;
  /** A name prefix within the folder. */
  begins?: string;
  delimiter?: boolean;
  after?: string;
  limit?: number;
  /** Include each file's fewest live replicas. */
  health?: boolean;
  /** Without a delimiter: list explicit folders too. */
  folders?: boolean;
}

/** A multipart upload as the API lists it. */
export interface MultipartSummary {
  uploadId: string;
  path: string;
  initiated: number;
  /** The attributes its object will have (S3: its content headers, its checksum); none from older masters. */
  attributes?: Record<string, string>;
}

/** Percent-encodes each segment of a normalised path for use in a URL. */
function encodePath(path: string): string {
  return path
    .split('/')
    .map((s) => encodeURIComponent(s))
    .join('/');
}

// Reads and listings fail fast when a master is frozen; a commit may wait while copies are made.
const READ_TIMEOUT = 10_000;
const WRITE_TIMEOUT = 60_000;
// How long a call waits for the only master, once reached, to be reachable again, ms: it is being
// restarted (`dfs up` starts a failed master again within a second or two), or its PostgreSQL is.
// Short enough that a page acting while the master is really down shows its error soon. A master
// never reached fails at once: a mistyped URL is not waited for.
const RESTART_WAIT = 5_000;
// Listings of at most this many entries (a bucket's or a folder's existence check) cost the master
// about what a stat does and travel in the reads' batches; a longer page goes alone, so that it
// holds up no stat batched with it. Measured on S3 PutObject, whose bucket check was an exchange
// of its own: 16 PUTs at once, 6% less CPU per PUT over every process, 8% more PUTs per second.
// Travelling with the writes' calls instead of the reads' (`forWrite`) then halved the master
// exchanges per PUT (0.77 to 0.34) and took another 7% off its CPU.
const BATCHED_LIST_LIMIT = 10;

/**
 * A master whose metadata store is down answers a batch 200 and each of its calls 503
 * 'unavailable': that is the master failing, so the batch goes to another one like a 503 would.
 */
function storeAnswered(answer: { results: BatchAnswer[] }): void {
  const results = Array.isArray(answer.results) ? answer.results : [];
  const first = results[0];
  if (first && !first.ok && results.every(storeFailed))
    throw new DfsError('unavailable', first.error.message);
}

/** The wait before the `n`th attempt again (from 0): 250 ms, doubling, at most 2 s. */
function backoff(n: number): Promise<void> {
  return sleep(Math.min(250 * 2 ** n, 2000));
}

/** True for a call its master's metadata store failed (503 'unavailable'). */
function storeFailed(answer: BatchAnswer | undefined): boolean {
  return answer !== undefined && !answer.ok && answer.error.code === 'unavailable';
}

/** The master API of a cluster. */
export class MasterApi {
  private current = 0;
  /** A master has answered this client (see RESTART_WAIT). */
  private reached = false;
  // The writes' calls (allocations and commits) share batches: half the exchanges of a batcher
  // per kind (measured with 16 small uploads at once: 10% less CPU per upload, 10% more uploads
  // per second). Reads (stats, small listings) fail sooner, and travel in batches of their own.
  private readonly writes = this.batcher(WRITE_TIMEOUT);
  private readonly reads = this.batcher(READ_TIMEOUT);

  constructor(
    /** Base URLs of every master. */
    readonly masters: readonly string[],
    private readonly token: string,
    /** How long a call keeps trying other masters (or waits for the only one, once reached) before it fails, ms. */
    private readonly failoverTimeout = masters.length > 1 ? 20_000 : RESTART_WAIT,
  ) {
    if (masters.length === 0) throw new DfsError('bad_request', 'no master URL given');
  }

  /** Calls `route` on the current master, failing over; `check` may refuse an answer as a failure. */
  private async call<T>(
    method: string,
    route: string,
    retry: Retry,
    options: JsonCallOptions = {},
    check?: (answer: T) => void,
  ): Promise<T> {
    const start = Date.now();
    const headers = { ...(this.token && { authorization: `Bearer ${this.token}` }), ...options.headers };
    for (let attempt = 0; ; attempt++) {
      const index = (this.current + attempt) % this.masters.length;
      const master = this.masters[index] as string;
      try {
        const answer = await jsonCall<T>(method, `${master}${route}`, `master ${master}`, {
          timeout: method === 'get' ? READ_TIMEOUT : WRITE_TIMEOUT,
          ...options,
          headers,
        });
        this.reached = true;
        check?.(answer);
        this.current = index;
        return answer;
      } catch (err) {
        if (options.signal?.aborted) throw err;
        const transport = err instanceof TransportError;
        if (!transport) this.reached = true;
        // A dfs daemon without the master's routes (a node, the web client): a wrong --master.
        if (err instanceof DfsError && err.code === 'not_found' && err.message.startsWith('no route for '))
          throw new DfsError('not_found', `${master} is not a dfs master (${err.message}): check --master`, {
            cause: err.cause,
          });
        // A master unreachable, or whose metadata store is down (503), is 'unavailable': another
        // may not be, and the only one may be back soon (restarting, or PostgreSQL restarting).
        const down = err instanceof DfsError && err.code === 'unavailable';
        const again = down && (retry === 'always' || (transport && err.unsent));
        if (!again) throw err;
        const tried = attempt + 1;
        // Every master once at once; a socket the server had closed is resent once even to the only master.
        if (tried < this.masters.length) continue;
        if (tried === 1 && transport && err.unsent) continue;
        // (Read now: a master that answered this call, if only 503, has been reached.)
        const wait = this.masters.length > 1 || this.reached ? this.failoverTimeout : 0;
        if (Date.now() >= start + wait)
          throw this.masters.length > 1 && transport ? noMaster(this.masters, err) : err;
        await backoff(tried - this.masters.length);
      }
    }
  }

  config(options: CallOptions = {}): Promise<ClusterConfig> {
    return this.call('get', '/api/config', 'always', options);
  }

  // A batcher of calls to `POST /api/batch` (every kind is safe to send again: see below).
  private batcher(timeout: number): Batcher {
    const send = async (calls: unknown[]) =>
      (
        await this.call<{ results: BatchAnswer[] }>(
          'post',
          '/api/batch',
          'always',
          { json: { calls }, timeout },
          storeAnswered,
        )
      ).results;
    return new Batcher(async (calls) => {
      const results = await send(calls);
      if (!Array.isArray(results)) return results;
      // Calls of a batch that the master's store failed while others succeeded (PostgreSQL
      // restarting under it) are sent again, to any master, as a batch they all failed would be.
      const deadline = Date.now() + this.failoverTimeout;
      for (let tried = 0; ; tried++) {
        const failed = calls.flatMap((_, i) => (storeFailed(results[i]) ? [i] : []));
        if (failed.length === 0 || Date.now() >= deadline) break;
        await backoff(tried);
        const again = await send(failed.map((i) => calls[i])).catch(() => undefined);
        if (!Array.isArray(again)) break;
        for (const [k, i] of failed.entries()) results[i] = again[k] ?? (results[i] as BatchAnswer);
      }
      return results;
    }, 'master');
  }

  /** Places chunks for upload `uploadId` (leasing them to it); sent in a batch with others in flight. */
  async allocate(chunks: ChunkRef[], exclude: string[], uploadId: string, options: CallOptions = {}) {
    const answer = await this.writes.run<{ allocations: Allocation[] }>(
      { op: 'allocate', uploadId, request: { chunks, exclude } },
      options.signal,
    );
    return answer.allocations;
  }

  /** Commits a manifest; with an upload id a resent commit is answered, never applied twice. */
  commit(request: CommitRequest, uploadId: string, options: CallOptions = {}): Promise<Manifest> {
    return this.writes.run<Manifest>({ op: 'commit', uploadId, request }, options.signal);
  }

  /** Ends an upload at once: its chunks are no longer pinned. */
  async abortUpload(uploadId: string, options: CallOptions = {}): Promise<void> {
    await this.call('delete', `/api/uploads/${encodeURIComponent(uploadId)}`, 'always', options);
  }

  suspect(chunkId: string, nodeId: string): Promise<unknown> {
    return this.call('post', `/api/chunks/${chunkId}/suspect`, 'always', { json: { nodeId } });
  }

  /**
   * A file's manifest with replica locations; sent in a batch with other reads in flight. A
   * batched stat does not wait for nodes: a file with a chunk of no known live copy (nodes still
   * reporting after a master start, or a lost chunk) is asked for alone, and the master waits
   * for the nodes and asks them.
   */
  async stat(path: string, options: CallOptions = {}): Promise<FileInfo> {
    const info = await this.reads.run<FileInfo>({ op: 'stat', path }, options.signal);
    if (info.chunks.every((c) => c.replicas.some((r) => r.alive))) return info;
    return this.call('get', `/api/files${encodePath(path)}`, 'always', options);
  }

  /** A page of a folder; a small one (an existence check) travels in a batch with other calls. */
  list(query: ListOptions, options: ListCallOptions = {}): Promise<ListResponse> {
    const searchParams: Record<string, string> = { prefix: query.prefix };
    if (query.begins) searchParams.begins = query.begins;
    if (query.delimiter) searchParams.delimiter = '/';
    if (query.after) searchParams.after = query.after;
    if (query.limit) searchParams.limit = String(query.limit);
    if (query.health) searchParams.health = '1';
    if (query.folders) searchParams.folders = '1';
    if (query.limit && query.limit <= BATCHED_LIST_LIMIT)
      return (options.forWrite ? this.writes : this.reads).run(
        { op: 'list', query: searchParams },
        options.signal,
      );
    return this.call('get', '/api/files', 'always', { ...options, searchParams });
  }

  // A call that changes the namespace carries an id of its own (OP_HEADER): the master answers it
  // sent again with what it did the first time, so it is sent again like a read, wherever the
  // first attempt was lost. (Without the id, a remove whose master died after doing it went to the
  // next master as never sent, and answered not_found for a file it had removed.)
  private resendable<T>(method: string, route: string, options: JsonCallOptions): Promise<T> {
    const headers = { ...options.headers, [OP_HEADER]: newUploadId() };
    return this.call(method, route, 'always', { ...options, headers });
  }

  async remove(path: string, ifGeneration?: number, options: CallOptions = {}): Promise<Manifest> {
    const searchParams: Record<string, string> =
      ifGeneration === undefined ? {} : { ifGeneration: String(ifGeneration) };
    return this.resendable('delete', `/api/files${encodePath(path)}`, { ...options, searchParams });
  }

  async removeTree(path: string, options: CallOptions = {}): Promise<number> {
    const answer = await this.resendable<{ deleted: number }>(
      'delete',
      `/api/trees${encodePath(path)}`,
      options,
    );
    return answer.deleted;
  }

  move(from: string, to: string, overwrite: boolean, options: CallOptions = {}): Promise<{ moved: number }> {
    return this.resendable('post', '/api/move', { ...options, json: { from, to, overwrite } });
  }

  async mkdir(path: string, options: CallOptions & MkdirOptions = {}): Promise<string> {
    const json = { path, ...(options.impliedParents && { impliedParents: true }) };
    return (await this.call<{ path: string }>('post', '/api/dirs', 'always', { ...options, json })).path;
  }

  async rmdir(path: string, options: CallOptions & RmdirOptions = {}): Promise<void> {
    const searchParams: Record<string, string> = options.keepContents ? { keepContents: '1' } : {};
    await this.resendable('delete', `/api/dirs${encodePath(path)}`, { ...options, searchParams });
  }

  async setAttributes(path: string, change: AttributeChange, options: CallOptions = {}): Promise<void> {
    await this.call('post', '/api/attributes', 'always', { ...options, json: { path, ...change } });
  }

  async nodes(options: CallOptions = {}): Promise<NodeInfo[]> {
    return (await this.call<{ nodes: NodeInfo[] }>('get', '/api/nodes', 'always', options)).nodes;
  }

  async removeNode(idOrUrl: string, options: CallOptions = {}): Promise<NodeInfo> {
    return this.call('delete', `/api/nodes/${encodeURIComponent(idOrUrl)}`, 'unsent', options);
  }

  status(options: CallOptions = {}): Promise<ClusterStatus> {
    return this.call('get', '/api/status', 'always', options);
  }

  fsck(prefix: string, options: CallOptions = {}): Promise<FsckReport> {
    return this.call('get', '/api/fsck', 'always', { ...options, searchParams: { prefix } });
  }

  /** Opens a multipart upload; sent again after a lost answer, it finds the upload open and is answered. */
  async createMultipart(uploadId: string, info: Omit<MultipartInfo, 'initiated'>, options: CallOptions = {}) {
    await this.call('post', '/api/multipart', 'always', { ...options, json: { uploadId, ...info } });
  }

  /** Records a part; its chunks' receipts tell the master where they are at once. */
  async putPart(
    uploadId: string,
    part: Omit<PartRecord, 'lastModified'> & { receipts?: Receipt[] },
    options: CallOptions = {},
  ) {
    await this.call('put', `/api/multipart/${encodeURIComponent(uploadId)}/parts/${part.number}`, 'always', {
      ...options,
      json: part,
    });
  }

  async listParts(
    uploadId: string,
    options: CallOptions = {},
  ): Promise<{ info: MultipartInfo; parts: PartRecord[] }> {
    return this.call('get', `/api/multipart/${encodeURIComponent(uploadId)}`, 'always', options);
  }

  /** Open uploads below `prefix` by path then initiation; with `from`, from that path on. */
  async listMultiparts(
    prefix: string,
    limit: number,
    options: CallOptions & { from?: string } = {},
  ): Promise<MultipartSummary[]> {
    const { from, ...call } = options;
    const searchParams: Record<string, string> = { prefix, limit: String(limit) };
    if (from !== undefined) searchParams.from = from;
    const answer = await this.call<{ uploads: MultipartSummary[] }>('get', '/api/multipart', 'always', {
      ...call,
      searchParams,
    });
    return answer.uploads;
  }

  createLock(lock: Omit<LockRecord, 'expires'>, options: CallOptions = {}): Promise<LockRecord> {
    return this.call('post', '/api/locks', 'unsent', { ...options, json: lock });
  }

  refreshLock(token: string, timeoutSeconds: number, options: CallOptions = {}): Promise<LockRecord> {
    return this.call('post', `/api/locks/${encodeURIComponent(token)}`, 'always', {
      ...options,
      json: { timeoutSeconds },
    });
  }

  async removeLock(token: string, options: CallOptions = {}): Promise<boolean> {
    const answer = await this.call<{ removed: boolean }>(
      'delete',
      `/api/locks/${encodeURIComponent(token)}`,
      'always',
      options,
    );
    return answer.removed;
  }

  async locksFor(path: string, descendants: boolean, options: CallOptions = {}): Promise<LockRecord[]> {
    const answer = await this.call<{ locks: LockRecord[] }>('get', '/api/locks', 'always', {
      ...options,
      searchParams: { path, descendants: descendants ? '1' : '0' },
    });
    return answer.locks;
  }
}
