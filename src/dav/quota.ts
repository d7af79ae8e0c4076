// The cluster's space as WebDAV quota properties (RFC 4331), for `df` on a davfs2 mount and a
// desktop's free-space line: what every live node can still take, divided by the replication
// factor, and the bytes of every file (counted once). Read from the master at most every few
// seconds, whatever the number of PROPFINDs asking.

import type { DfsClient } from '../sdk/client.js';

/** The quota properties' values, in bytes. */
export interface Quota {
  available: number;
  used: number;
}

// How long one reading of the master serves PROPFINDs.
const FRESH_MS = 5000;

/** Returns the cluster's quota, read afresh when the last reading is older than FRESH_MS. */
export function clusterQuota(sdk: DfsClient, fresh = FRESH_MS): () => Promise<Quota | undefined> {
  let last: { at: number; quota: Promise<Quota | undefined> } | undefined;
  return () => {
    const now = Date.now();
    if (!last || now - last.at > fresh) {
      const quota = Promise.all([sdk.nodes(), sdk.status()]).then(
        ([nodes, status]) => ({
          available: Math.floor(
            nodes.filter((n) => n.state === 'alive').reduce((sum, n) => sum + n.free, 0) /
              Math.max(1, status.replication),
          ),
          used: status.logicalBytes,
        }),
        // Not known now: the properties are answered as absent (404), not as a wrong number.
        () => undefined,
      );
      last = { at: now, quota };
    }
    return last.quota;
  };
}
