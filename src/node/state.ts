// A storage node's live state: identity, counters and what its status page shows.

import type { ScrubSummary } from '../protocol/types.js';
import type { ChunkStore } from '../storage/chunk-store.js';

/** What `GET /api/status` on a node returns. */
export interface NodeSnapshot {
  id: string;
  url: string;
  /** Every master, whether this node is registered with it, and why not when it failed. */
  masters: { url: string; registered: boolean; lastContact: number; problem?: string }[];
  registered: boolean;
  /** Registered with a master whose last heartbeat answered (false while every master is unreachable). */
  connected: boolean;
  lastContact: number;
  /** Why the node cannot write, when its disk fails writes. */
  writeError?: string;
  capacity: number;
  free: number;
  used: number;
  chunks: number;
  requests: number;
  bytesIn: number;
  bytesOut: number;
  startedAt: number;
  scrub?: ScrubState;
}

/** The scrubber's current or last pass: `total` chunks to check in it, `checked` so far. */
export type ScrubState = ScrubSummary & { running: boolean; total?: number };

/** Mutable state of a running node. */
export class NodeState {
  readonly id: string;
  readonly store: ChunkStore;
  url = '';
  /** Largest chunk accepted; learned from the master, generous until then. */
  chunkSize = 256 * 1024 * 1024;
  /** The links to every master (set once they are made). */
  links: readonly { master: string; registered: boolean; lastContact: number; lastError: string }[] = [];
  requests = 0;
  bytesIn = 0;
  bytesOut = 0;
  readonly startedAt = Date.now();
  scrub: ScrubState | undefined;

  constructor(id: string, store: ChunkStore) {
    this.id = id;
    this.store = store;
  }

  /** Registered with at least one master. */
  get registered(): boolean {
    return this.links.some((l) => l.registered);
  }

  /** A consistent copy for pages and heartbeats. */
  async snapshot(): Promise<NodeSnapshot> {
    const usage = await this.store.usage(250); // pages refresh often; statfs need not
    return {
      id: this.id,
      url: this.url,
      masters: this.links.map((l) => ({
        url: l.master,
        registered: l.registered,
        lastContact: l.lastContact,
        ...(l.lastError && { problem: l.lastError }),
      })),
      registered: this.registered,
      connected: this.links.some((l) => l.registered && !l.lastError),
      lastContact: Math.max(0, ...this.links.map((l) => l.lastContact)),
      ...(this.store.writeError && { writeError: this.store.writeError }),
      ...usage,
      requests: this.requests,
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      startedAt: this.startedAt,
      scrub: this.scrub,
    };
  }
}
