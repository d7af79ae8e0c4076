// Resendable calls over an ordered key-value engine (see Resendable in store.ts). Tables: `ops`
// (id → OpRecord), `opExpiry` (`time/id` → 1, to forget old answers without a scan).

import { DfsError } from '../protocol/errors.js';
import type { Txn } from './engine.js';
import { COMMIT_REPLAY_WINDOW, pad } from './rules.js';

/** The answer a resendable call gave: what it was (`remove /a`), and its result. */
interface OpRecord {
  what: string;
  result: unknown;
  expires: number;
}

/**
 * Runs `run` in `txn` as the call `op` (with no id, just runs it): its answer is remembered, and
 * a call that already ran under the id gets the remembered answer. A call that throws leaves
 * nothing (its transaction is undone), so its resend runs again.
 */
export function once<T>(txn: Txn, op: string | undefined, what: string, now: number, run: () => T): T {
  if (op === undefined) return run();
  const done = txn.get<OpRecord>('ops', op);
  if (done) {
    if (done.what !== what)
      throw new DfsError('conflict', `operation id ${op} was already used for another call`);
    return (done.result ?? undefined) as T;
  }
  const result = run();
  const expires = now + COMMIT_REPLAY_WINDOW;
  txn.put<OpRecord>('ops', op, { what, result: result ?? null, expires });
  txn.put('opExpiry', `${pad(expires)}/${op}`, 1);
  return result;
}

/** Forgets up to `limit` answers past their window. */
export function forgetOps(txn: Txn, now: number, limit: number): void {
  for (const { key } of [...txn.range('opExpiry', { end: pad(now), limit })]) {
    txn.del('opExpiry', key);
    txn.del('ops', key.slice(key.indexOf('/') + 1));
  }
}
