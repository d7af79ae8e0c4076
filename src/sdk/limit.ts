// A tiny concurrency limiter: at most `n` tasks run at once.

/** Runs tasks with at most `n` in flight; `wait` resolves when one slot is free. */
export class Limiter {
  private running = 0;
  private readonly waiters: (() => void)[] = [];

  constructor(private readonly n: number) {}

  /** Resolves once fewer than `n` tasks run. */
  async slot(): Promise<void> {
    while (this.running >= this.n) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** Runs `task` when a slot is free. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    await this.slot();
    this.running++;
    try {
      return await task();
    } finally {
      this.running--;
      this.waiters.shift()?.();
    }
  }
}
