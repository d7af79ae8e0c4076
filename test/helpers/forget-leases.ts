// A master's store made to forget uploads, as a crash of PostgreSQL can (it writes leases without
// waiting for the disk): the next allocations that pin chunks are acknowledged and not recorded,
// so the commits of their uploads are refused. Or their chunks are answered as condemned (being
// deleted), so the master places them afresh instead of finding them stored.

import type { MetaStore } from '../../src/meta/store.js';

/** What happens to a lease of chunks: forgotten, kept as usual, or its chunks said condemned. */
export type LeaseFate = 'forget' | 'keep' | 'condemn';

/** The next leases of chunks go as `fates` says, in turn; `left()` says how many are still to go. */
export function scriptLeases(store: MetaStore, fates: LeaseFate[]): { left(): number } {
  const lease = store.lease;
  const next = [...fates];
  store.lease = async (id, chunks, ...rest) => {
    const fate = chunks.length === 0 ? 'keep' : next.shift();
    if (next.length === 0) store.lease = lease;
    if (fate === 'forget') return { revived: [] };
    const result = await lease.call(store, id, chunks, ...rest);
    return fate === 'condemn' ? { revived: chunks.map((c) => c.id) } : result;
  };
  return { left: () => next.length };
}

/** Makes `store` forget the next `n` leases of chunks. */
export function forgetLeases(store: MetaStore, n: number): { left(): number } {
  return scriptLeases(store, Array(n).fill('forget'));
}
