// Waiting on conditions instead of sleeping.

import { setTimeout as sleep } from 'node:timers/promises';

/** Polls `check` until it returns a truthy value (returned) or `timeout` ms pass (throws). */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  what: string,
  timeout = 15_000,
  every = 50,
): Promise<T> {
  const deadline = Date.now() + timeout;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeout} ms waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`,
      );
    }
    await sleep(every);
  }
}
