// Closed-loop load from this process: `concurrency` workers each run one operation after another
// until the time is up (or a count is reached), as wrk does over HTTP.

/** What a load run did. */
export interface LoadResult {
  done: number;
  errors: number;
  seconds: number;
  perSec: number;
  firstError?: string;
}

/**
 * Runs `op(n, worker)` with `concurrency` workers until `seconds` pass or `total` operations
 * have been started, whichever comes first.
 */
export async function closedLoop(
  concurrency: number,
  limit: { seconds?: number; total?: number },
  op: (n: number, worker: number) => Promise<void>,
): Promise<LoadResult> {
  const started = process.hrtime.bigint();
  const deadline = limit.seconds === undefined ? Number.POSITIVE_INFINITY : Date.now() + limit.seconds * 1000;
  const total = limit.total ?? Number.POSITIVE_INFINITY;
  let next = 0;
  let done = 0;
  let errors = 0;
  let firstError: string | undefined;
  const worker = async (w: number) => {
    while (Date.now() < deadline && next < total) {
      const n = next++;
      try {
        await op(n, w);
        done++;
      } catch (err) {
        errors++;
        firstError ??= (err as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { done, errors, seconds, perSec: done / seconds, firstError };
}

/** A one-piece async source, as the SDK's upload takes. */
export async function* once(data: Buffer): AsyncGenerator<Buffer> {
  if (data.length > 0) yield data;
}
