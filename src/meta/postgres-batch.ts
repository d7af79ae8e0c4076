// Batching of the store's hottest calls, as lmdb-js batches its writes: while `parallel` calls are
// in flight new requests queue, and the next call takes every queued request (up to `max`) into
// one transaction: one round trip, one statement, one WAL flush for all of them. A lone request
// goes out at once by itself, so batching adds no latency when the store is idle.

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

/** Queues requests and runs them in batches. */
export class Batcher<I, R> {
  private readonly queue: Pending<I, R>[] = [];
  private inFlight = 0;

  constructor(
    private readonly runner: BatchRunner<I, R>,
    private readonly parallel: number,
    private readonly max: number,
  ) {}

  /** Runs `item`, alone or with others queued at the same time. */
  submit(item: I): Promise<R> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.parallel && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.max);
      this.inFlight++;
      void this.run(batch).finally(() => {
        this.inFlight--;
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
