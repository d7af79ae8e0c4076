// A master's store made to forget uploads, as a crash of PostgreSQL can (it writes leases without
// waiting for the disk): the next `n` allocations that pin chunks are acknowledged and not
// recorded, so the commits of their uploads are refused.

import type { MetaStore } from '../../src/meta/store.js';

/** Makes `store` forget the next `n` leases of chunks; `left()` says how many are still to go. */
export function forgetLeases(store: MetaStore, n: number): { left(): number } {
  const lease = store.lease;
  let left = n;
  store.lease = (id, chunks, ...rest) => {
    if (chunks.length === 0 || left === 0) return lease.call(store, id, chunks, ...rest);
    if (--left === 0) store.lease = lease;
    return Promise.resolve({ revived: [] });
  };
  return { left: () => left };
}
