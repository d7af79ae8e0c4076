// Batching of the store's hottest calls, as lmdb-js batches its writes: while a call is in flight
// new requests queue, and the next call takes every queued request (up to `max`) into one
// transaction: one round trip, one statement, one WAL flush for all of them. A lone request goes
// out at once by itself, so batching adds no latency when the store is idle. One call in flight
// batches best (measured), but a call that waits long (on a lock a big folder move holds) would
// hold up every request behind it: after `stallAfter` ms it stops counting, and another may start.

import { DfsError } from '../protocol/errors.js';

/** How to run one request, and several in one transaction. */
export interface BatchRunner<I, R> {
  one(item: I): Promise<R>;
  /** Each item's result or refusal, in order; throws when the transaction failed as a whole. */
  many(items: I[]): Promise<(R | DfsError)[]>;
}

interface Pending<I, R> {
  item: I;
  resolve: (result: R) => void;
  reject: (err: unknown) => void;
}

/** How a Batcher batches. */
export interface BatchOptions {
  /** Calls in flight while none is slow (default 1). */
  parallel?: number;
  /** After this many ms a call no longer holds its place (default 50). */
  stallAfter?: number;
  /** Calls in flight at most, slow ones included (default 4). */
  most?: number;
  /** Requests in one call at most (default 32). */
  max?: number;
}

/** Queues requests and runs them in batches. */
export class Batcher<I, R> {
  private readonly queue: Pending<I, R>[] = [];
  // Calls in flight, and those of them that are not yet slow.
  private inFlight = 0;
  private counted = 0;
  private readonly parallel: number;
  private readonly stallAfter: number;
  private readonly most: number;
  private readonly max: number;

  constructor(
    private readonly runner: BatchRunner<I, R>,
    options: BatchOptions = {},
  ) {
    this.parallel = options.parallel ?? 1;
    this.stallAfter = options.stallAfter ?? 50;
    this.most = Math.max(options.most ?? 4, this.parallel);
    this.max = options.max ?? 32;
  }

  /** Runs `item`, alone or with others queued at the same time. */
  submit(item: I): Promise<R> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.counted < this.parallel && this.inFlight < this.most && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.max);
      this.inFlight++;
      this.counted++;
      let slow = false;
      const timer = setTimeout(() => {
        slow = true;
        this.counted--;
        this.pump();
      }, this.stallAfter);
      void this.run(batch).finally(() => {
        clearTimeout(timer);
        this.inFlight--;
        if (!slow) this.counted--;
        this.pump();
      });
    }
  }

  private async run(batch: Pending<I, R>[]): Promise<void> {
    if (batch.length === 1) return this.runOne(batch[0] as Pending<I, R>);
    let results: (R | DfsError)[];
    try {
      results = await this.runner.many(batch.map((p) => p.item));
    } catch (err) {
      // An outage fails them all; anything else runs again one by one, so only its cause fails.
      if (err instanceof DfsError && err.code === 'unavailable') for (const p of batch) p.reject(err);
      else await Promise.all(batch.map((p) => this.runOne(p)));
      return;
    }
    batch.forEach((p, i) => {
      const result = results[i];
      if (result instanceof DfsError) p.reject(result);
      else if (result === undefined) p.reject(new DfsError('internal', 'a batched request got no answer'));
      else p.resolve(result);
    });
  }

  private async runOne(p: Pending<I, R>): Promise<void> {
    try {
      p.resolve(await this.runner.one(p.item));
    } catch (err) {
      p.reject(err);
    }
  }
}
