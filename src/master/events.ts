// The master's short log of recent cluster events (node joined, node lost, chunk repaired).

import type { Logger } from '../http/errors.js';
import type { ClusterEvent } from '../protocol/types.js';

/** A ring buffer of the latest events, newest first, also echoed to the daemon log. */
export class EventLog {
  private readonly items: ClusterEvent[] = [];

  constructor(
    private readonly log: Logger,
    private readonly limit = 100,
  ) {}

  add(kind: string, message: string): void {
    this.items.unshift({ time: Date.now(), kind, message });
    if (this.items.length > this.limit) this.items.pop();
    this.log(message, { event: kind });
  }

  recent(n = 20): ClusterEvent[] {
    return this.items.slice(0, n);
  }
}
