// Time series for the pages' charts, kept in memory: a ring of evenly spaced slots (by default
// 360 of 10 s: the last hour), one column of numbers per named value. No database.

/** Samples per series: an hour of 10 s steps. */
export const SERIES_POINTS = 360;

/** A fixed window of the latest samples of some named values, on a grid of `step` ms. */
export class SeriesRing<Name extends string = string> {
  private readonly columns = new Map<Name, Float64Array>();
  /** The grid slot (time / step) of the newest sample; -1 before the first. */
  private lastSlot = -1;
  /** Slots filled so far, up to the capacity. */
  private filled = 0;

  constructor(
    names: readonly Name[],
    readonly step: number,
    readonly capacity = SERIES_POINTS,
  ) {
    for (const name of names) this.columns.set(name, new Float64Array(capacity).fill(Number.NaN));
  }

  /** The time (ms) of the newest slot; 0 before the first sample. */
  get end(): number {
    return this.lastSlot < 0 ? 0 : this.lastSlot * this.step;
  }

  /**
   * Records the values at `time` in its slot of the grid; a value left out (or not a finite
   * number) is a gap. Slots skipped since the last sample (a stalled timer) are gaps too; a
   * sample in the newest slot again replaces it, and an older one is dropped.
   */
  record(time: number, values: Partial<Record<Name, number | undefined>>): void {
    const slot = Math.round(time / this.step);
    if (this.lastSlot >= 0 && slot < this.lastSlot) return;
    if (this.lastSlot < 0 || slot > this.lastSlot) {
      const advance = this.lastSlot < 0 ? 1 : Math.min(slot - this.lastSlot, this.capacity);
      for (let i = 1; i <= advance; i++) this.clear(slot - advance + i);
      this.filled = Math.min(this.capacity, this.filled + (this.lastSlot < 0 ? 1 : slot - this.lastSlot));
      this.lastSlot = slot;
    }
    const at = this.index(slot);
    for (const [name, column] of this.columns) {
      const value = values[name];
      column[at] = typeof value === 'number' && Number.isFinite(value) ? value : Number.NaN;
    }
  }

  /**
   * The values of `name` in the `points` slots ending at `endTime`, oldest first; null for a
   * gap or a slot outside what the ring holds.
   */
  window(name: Name, endTime: number, points: number): (number | null)[] {
    const column = this.columns.get(name);
    const endSlot = Math.round(endTime / this.step);
    const out: (number | null)[] = new Array(points).fill(null);
    if (!column || this.lastSlot < 0) return out;
    const oldest = this.lastSlot - this.filled + 1;
    for (let i = 0; i < points; i++) {
      const slot = endSlot - points + 1 + i;
      if (slot < oldest || slot > this.lastSlot) continue;
      const value = column[this.index(slot)] as number;
      if (!Number.isNaN(value)) out[i] = value;
    }
    return out;
  }

  /** Slots from the first sample to the newest, up to the capacity. */
  get length(): number {
    return this.filled;
  }

  private index(slot: number): number {
    return ((slot % this.capacity) + this.capacity) % this.capacity;
  }

  private clear(slot: number): void {
    const at = this.index(slot);
    for (const column of this.columns.values()) column[at] = Number.NaN;
  }
}

/**
 * Turns running totals (counters) into their increase since the last reading. A total that went
 * down belongs to a process that restarted: it counts from zero.
 */
export class Deltas {
  private readonly last = new Map<string, number>();

  /** The increase of total `key` since its last reading; undefined at the first one. */
  next(key: string, total: number): number | undefined {
    const before = this.last.get(key);
    this.last.set(key, total);
    if (before === undefined) return undefined;
    return total >= before ? total - before : total;
  }
}

/** `part / whole`, or undefined when either is unknown or the whole is zero. */
export function ratio(part: number | undefined, whole: number | undefined): number | undefined {
  return part === undefined || whole === undefined || whole <= 0 ? undefined : part / whole;
}

/** Runs `sample` every `step` ms until the returned stop is called; never keeps the process alive. */
export function sampleEvery(step: number, sample: (now: number) => void): () => void {
  const timer = setInterval(() => sample(Date.now()), step);
  timer.unref();
  return () => clearInterval(timer);
}
