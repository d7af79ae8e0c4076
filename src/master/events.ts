// The master's short log of recent cluster events (node joined, node lost, chunk repaired).

import type { Logger } from '../http/errors.js';
import type { ClusterEvent } from '../protocol/types.js';

// Events of one chunk each, gathered into one line while they come within a minute of the first.
const PER_CHUNK = new Set(['chunk-repaired', 'chunk-corrupt', 'chunk-vanished']);
const RUN = 60_000;

/** A ring buffer of the latest events, newest first, also echoed to the daemon log (each one). */
export class EventLog {
  private readonly items: ClusterEvent[] = [];
  // The newest item's run of per-chunk events of one kind: how many, since when.
  private run = { count: 0, since: 0 };

  constructor(
    private readonly log: Logger,
    private readonly limit = 100,
  ) {}

  add(kind: string, message: string, now = Date.now()): void {
    this.log(message, { event: kind });
    const newest = this.items[0];
    // One chunk after another (a repair of a dead node's chunks): one line for the run, so the
    // event that started it (the node lost) stays in view.
    if (PER_CHUNK.has(kind) && newest?.kind === kind && now - this.run.since < RUN) {
      this.run.count++;
      this.items[0] = { time: now, kind, message: `${message} (and ${this.run.count - 1} more like it)` };
      return;
    }
    this.run = { count: 1, since: now };
    this.items.unshift({ time: now, kind, message });
    if (this.items.length > this.limit) this.items.pop();
  }

  recent(n = 20): ClusterEvent[] {
    return this.items.slice(0, n);
  }
}
