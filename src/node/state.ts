// A storage node's live state: identity, counters and what its status page shows.

import type { ScrubSummary } from '../protocol/types.js';
import type { ChunkStore } from '../storage/chunk-store.js';

/** What `GET /api/status` on a node returns. */
export interface NodeSnapshot {
  id: string;
  url: string;
  master: string;
  registered: boolean;
  lastContact: number;
  capacity: number;
  free: number;
  used: number;
  chunks: number;
  requests: number;
  bytesIn: number;
  bytesOut: number;
  startedAt: number;
  scrub?: ScrubSummary & { running: boolean };
}

/** Mutable state of a running node. */
export class NodeState {
  readonly id: string;
  readonly master: string;
  readonly store: ChunkStore;
  url = '';
  /** Largest chunk accepted; learned from the master, generous until then. */
  chunkSize = 256 * 1024 * 1024;
  registered = false;
  lastContact = 0;
  requests = 0;
  bytesIn = 0;
  bytesOut = 0;
  readonly startedAt = Date.now();
  scrub: (ScrubSummary & { running: boolean }) | undefined;

  constructor(id: string, master: string, store: ChunkStore) {
    this.id = id;
    this.master = master;
    this.store = store;
  }

  /** A consistent copy for pages and heartbeats. */
  async snapshot(): Promise<NodeSnapshot> {
    const usage = await this.store.usage(250); // pages refresh often; statfs need not
    return {
      id: this.id,
      url: this.url,
      master: this.master,
      registered: this.registered,
      lastContact: this.lastContact,
      ...usage,
      requests: this.requests,
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      startedAt: this.startedAt,
      scrub: this.scrub,
    };
  }
}
