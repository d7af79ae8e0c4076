// The background scrubber: re-hashes every chunk at a bounded rate, quarantines rot and reports
// it so the master re-replicates from a good copy.

import { setTimeout as sleep } from 'node:timers/promises';
import type { NodeConfig } from '../config.js';
import type { Logger } from '../http/errors.js';
import type { ChunkStore } from '../storage/chunk-store.js';
import type { NodeState } from './state.js';

/** Runs a scrub pass every `scrubInterval` ms, reading at most `scrubRate` bytes per second. */
export class Scrubber {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly store: ChunkStore,
    private readonly state: NodeState,
    private readonly config: Readonly<NodeConfig>,
    private readonly log: Logger,
    private readonly report: (ids: string[]) => Promise<void>,
  ) {}

  start(): void {
    if (this.config.scrubInterval > 0) this.schedule();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.pass().finally(() => this.schedule()), this.config.scrubInterval);
    this.timer.unref();
  }

  /** One full pass over the store; returns the ids found corrupt. */
  async pass(): Promise<string[]> {
    const corrupt: string[] = [];
    const ids = this.store.ids();
    const scrub = {
      running: true,
      finished: this.state.scrub?.finished ?? 0,
      checked: 0,
      corrupt: 0,
      total: ids.length,
    };
    this.state.scrub = scrub;
    const started = Date.now();
    let bytes = 0;
    // Sleeps whenever the pass runs ahead of the allowed rate.
    const throttle = async (n: number) => {
      bytes += n;
      const due = (bytes / this.config.scrubRate) * 1000 - (Date.now() - started);
      if (due > 5) await sleep(due);
    };
    for (const id of ids) {
      if (this.stopped) break;
      try {
        if (!(await this.store.verify(id, throttle))) {
          corrupt.push(id);
          await this.store.quarantine(id);
          this.log(`scrub: chunk ${id} is corrupt; quarantined`, { level: 'warn', chunk: id });
        }
      } catch (err) {
        // A chunk deleted during the pass is not rot.
        if ((err as { code?: string }).code !== 'not_found')
          this.log(`scrub: ${id}: ${(err as Error).message}`, { level: 'warn', chunk: id });
      }
      scrub.checked++;
      scrub.corrupt = corrupt.length;
    }
    scrub.running = false;
    scrub.finished = Date.now();
    if (corrupt.length > 0)
      await this.report(corrupt).catch((err) => this.log(`scrub report failed: ${err.message}`));
    return corrupt;
  }
}
