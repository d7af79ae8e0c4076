// A tiny concurrency limiter: at most `n` tasks run at once.

/** Runs tasks with at most `n` in flight; `slot` resolves when one is free. */
export class Limiter {
  private running = 0;
  private readonly waiters: (() => void)[] = [];

  constructor(private readonly n: number) {}

  /** Resolves once fewer than `n` tasks run. */
  async slot(): Promise<void> {
    while (this.running >= this.n) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /**
   * Runs `task` when a slot is free. The slot is taken in the same step as the check that found
   * it free: many calls made at once (`items.map((i) => limiter.run(…))`) still run `n` at a time.
   */
  async run<T>(task: () => Promise<T>): Promise<T> {
    while (this.running >= this.n) await new Promise<void>((resolve) => this.waiters.push(resolve));
    this.running++;
    try {
      return await task();
    } finally {
      this.running--;
      this.waiters.shift()?.();
    }
  }
}
