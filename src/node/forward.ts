// The replication pipeline's forward list, checked before a node stores or sends on a byte.

import { DfsError } from '../protocol/errors.js';
import { nodeOrigin } from '../protocol/urls.js';

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
  const origins = targets.map((target) => nodeOrigin(target, 'forward target'));
  if (new Set(origins).size !== origins.length) {
    throw new DfsError('bad_request', 'forward targets must be distinct');
  }
  return origins;
}
