// The check every /dav/ request makes before acting: the If header must hold (else 412), and
// a request that changes locked resources must have submitted their lock tokens (else 423).

import { DavError } from './errors.js';
import { type UrlContext, urlToPath } from './href.js';
import { evaluateIf, parseIfHeader, submittedTokens } from './if-header.js';
import { type LockStore, locksAround } from './lock-store.js';
import { assertLocksSubmitted, type DavChange, type DavLock, locksCovering } from './locks.js';

/** What checkPreconditions needs to know about a request. */
export interface PreconditionInput {
  /** The If header as received, if any. */
  ifHeader: string | undefined;
  /** The DAV path of the Request-URI. */
  path: string;
  /** What the request would change (empty for GET, PROPFIND, and LOCK, which checks conflicts instead). */
  changes: readonly DavChange[];
  store: LockStore;
  /** The quoted entity tag of a resource, or undefined when it has none or does not exist. */
  etagOf: (path: string) => Promise<string | undefined>;
  /** Host and mount, to resolve tagged If lists written as absolute URLs. */
  url: UrlContext;
  now: number;
}

/** The outcome when the request may proceed. */
export interface PreconditionResult {
  /** Every state token the If header named (for a LOCK refresh: the locks to renew). */
  submitted: string[];
  /** The active locks around the request's paths (lockdiscovery, refresh and UNLOCK use them). */
  locks: DavLock[];
}

/**
 * Evaluates the If header (RFC 4918 §10.4: 412 when no list holds, 400 when malformed) and
 * then requires a submitted token for every locked resource `changes` touch (§7: 423
 * `lock-token-submitted`). Tagged lists naming URLs this server does not hold evaluate as
 * resources without state, as §10.4.4 says.
 */
export async function checkPreconditions(input: PreconditionInput): Promise<PreconditionResult> {
  const { path, changes, store, now } = input;
  const paths = [path, ...changes.map((change) => change.path)];
  const locks = await locksAround(store, paths, now);
  const header =
    input.ifHeader === undefined || input.ifHeader.trim() === '' ? undefined : parseIfHeader(input.ifHeader);
  const submitted = header ? submittedTokens(header) : [];
  if (header) {
    const known = new Set(paths);
    const holds = await evaluateIf(header, async (tag) => {
      const target = tag === undefined ? path : tagPath(tag, input.url);
      if (target === undefined) return { lockTokens: [] };
      const around = known.has(target) ? locks : await locksAround(store, [target], now);
      return {
        etag: await input.etagOf(target),
        lockTokens: locksCovering(around, target, now).map((lock) => lock.token),
      };
    });
    if (!holds) throw new DavError(412, 'the If header does not hold');
  }
  assertLocksSubmitted(locks, changes, submitted, now);
  return { submitted, locks };
}

function tagPath(tag: string, url: UrlContext): string | undefined {
  try {
    return urlToPath(tag, url);
  } catch (err) {
    // A tag we cannot read names nothing we hold: a resource with no state (§10.4.4).
    if (err instanceof DavError) return undefined;
    throw err;
  }
}
