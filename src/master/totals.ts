// The namespace's totals (files, bytes) as the status and the metrics show them: read from the
// metadata store, but never waited on for more than a second. A store that does not answer
// (PostgreSQL down or frozen) leaves the last values, and says so: the views an operator needs
// right then still answer.

import { setTimeout as delay } from 'node:timers/promises';
import type { MetaStore } from '../meta/store.js';
import type { Totals } from '../meta/types.js';

/** How long a status or a scrape waits for the store's totals before it takes the last ones. */
const WAIT = 1000;

/** The last totals read, and whether the store answered the latest read in time. */
export interface TotalsRead {
  /** Undefined until the store has answered once. */
  totals: Totals | undefined;
  answering: boolean;
}

/** Reads the totals; reads asked for while one is out (for less than the wait) share it. */
export class TotalsReader {
  private last: Totals | undefined;
  private reading: Promise<boolean> | undefined;
  private startedAt = 0;

  constructor(
    private readonly store: Pick<MetaStore, 'totals'>,
    private readonly wait = WAIT,
  ) {}

  async read(): Promise<TotalsRead> {
    // One still out past the wait (a store that never answers) is left to itself.
    if (!this.reading || performance.now() - this.startedAt > this.wait) this.reading = this.fresh();
    const answering = await Promise.race([this.reading, delay(this.wait, false, { ref: false })]);
    return { totals: this.last, answering };
  }

  private fresh(): Promise<boolean> {
    this.startedAt = performance.now();
    const reading: Promise<boolean> = this.store
      .totals()
      .then(
        (totals) => {
          this.last = totals;
          return true;
        },
        () => false,
      )
      .finally(() => {
        if (this.reading === reading) this.reading = undefined;
      });
    return reading;
  }
}
