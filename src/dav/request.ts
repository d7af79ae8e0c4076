// One /dav/ request as the method handlers see it: the DAV path, the SDK and lock store, the
// clock, cancellation, and what the request found out about paths so far.

import type { Context } from 'koa';
import type { Logger } from '../http/errors.js';
import type { DfsClient } from '../sdk/client.js';
import { DavError } from './errors.js';
import type { TimeoutLimits } from './headers.js';
import { pathToHref, type UrlContext } from './href.js';
import type { LockStore } from './lock-store.js';
import type { DavChange } from './locks.js';
import { isBelow, ROOT_PATH } from './paths.js';
import { checkPreconditions, type PreconditionResult } from './preconditions.js';
import type { Quota } from './quota.js';
import { etagOf, type Resolved, resolvePath } from './resources.js';
import type { HrefOf } from './xml-responses.js';

/** What the WebDAV handlers are built from. */
export interface DavDeps {
  sdk: DfsClient;
  locks: LockStore;
  log: Logger;
  /** Bounds on lock timeouts. */
  timeouts: TimeoutLimits;
  /** Entries per listing page. */
  listPage: number;
  /** The cluster's space for the quota properties (undefined when it cannot be read now). */
  quota: () => Promise<Quota | undefined>;
}

/** Hrefs without knowing collection-ness (lock roots, conditions). */
export const rootHref: HrefOf = (path) => pathToHref(path, false);

/** A request being answered. */
export class DavRequest {
  /** The time every lock rule of this request is judged at. */
  readonly now = Date.now();
  readonly url: UrlContext;
  /** Aborted when the client goes away: its transfers stop. */
  readonly signal: AbortSignal;
  /**
   * The URL ends in `/`, so it names a collection: a file of that name is not what it names (a
   * GET or DELETE of `file/` is a 404, as Apache and nginx answer, never the file).
   */
  readonly slashed: boolean;
  readonly #resolved = new Map<string, Promise<Resolved>>();
  // The paths this request found to be folders.
  readonly #folders = new Set<string>();
  // The slashed URL names a file: resolve answered missing.
  #fileAsFolder = false;

  constructor(
    readonly ctx: Context,
    readonly deps: DavDeps,
    /** The DAV path of the Request-URI. */
    readonly path: string,
  ) {
    this.url = { host: ctx.host || undefined };
    this.slashed = path !== ROOT_PATH && (ctx.url.split('?')[0] ?? '').endsWith('/');
    const abort = new AbortController();
    ctx.req.once('close', () => {
      if (!ctx.req.complete) abort.abort(new Error('the client cancelled the request'));
    });
    ctx.res.once('close', () => {
      if (!ctx.res.writableFinished) abort.abort(new Error('the client went away'));
    });
    this.signal = abort.signal;
  }

  /**
   * The href of the Request-URI in a 207: the client's own spelling when it is plain ASCII (some
   * clients find the folder itself in a listing by comparing strings; Finder sends names
   * decomposed), with the trailing slash a collection's href has.
   */
  selfHref(collection: boolean): string {
    const raw = this.ctx.url.split('?')[0] ?? '';
    if (!/^[!-~]+$/.test(raw)) return pathToHref(this.path, collection);
    const bare = raw.replace(/\/+$/, '');
    return collection ? `${bare}/` : bare;
  }

  get sdk(): DfsClient {
    return this.deps.sdk;
  }

  /**
   * What `path` is in the cluster (asked once per request). A file at a slashed request URL is
   * something below a file, which cannot exist; MKCOL still finds it (405: the name is taken).
   */
  resolve(path = this.path): Promise<Resolved> {
    let found = this.#resolved.get(path);
    if (!found) {
      found = resolvePath(this.sdk, path, this.signal);
      if (path === this.path && this.slashed && this.ctx.method !== 'MKCOL')
        found = found.then((r) => {
          if (r.kind !== 'file') return r;
          this.#fileAsFolder = true;
          return { kind: 'missing', path, parent: 'file' };
        });
      this.#resolved.set(path, found);
      found.then(
        (r) => r.kind === 'folder' && this.#folders.add(path),
        () => {},
      );
    }
    return found;
  }

  /**
   * The href of a lock root: a collection's with its slash (RFC 4918 §5.2) where this request can
   * tell — the roots above its path are folders, and so is any path it found to be one.
   */
  readonly lockHref: HrefOf = (root) => pathToHref(root, isBelow(this.path, root) || this.#folders.has(root));

  /** The 404 for the request's path, found missing: spelled as asked, a file named as a folder said so. */
  notFound(): DavError {
    if (!this.slashed) return new DavError(404, `not found: ${this.path}`);
    const why = this.#fileAsFolder ? ` (${this.path} is a file, not a folder)` : '';
    return new DavError(404, `not found: ${this.path}/${why}`);
  }

  /**
   * Evaluates the If header and the lock tokens `changes` need (412, 423). A request with
   * neither an If header nor changes skips the lock store.
   */
  async preconditions(changes: readonly DavChange[]): Promise<PreconditionResult> {
    const ifHeader = this.ctx.get('if') || undefined;
    if (ifHeader === undefined && changes.length === 0) return { submitted: [], locks: [] };
    return checkPreconditions({
      ifHeader,
      path: this.path,
      changes,
      store: this.deps.locks,
      etagOf: async (path) => {
        const found = await this.resolve(path);
        return found.kind === 'file' ? etagOf(found.entry.generation) : undefined;
      },
      url: this.url,
      now: this.now,
    });
  }
}
