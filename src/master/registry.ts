// The node registry: who the storage nodes are, where they live, and whether they are alive.

import { setTimeout as sleep } from 'node:timers/promises';
import type { MetaStore } from '../meta/store.js';
import type { NodeRecord } from '../meta/types.js';
import type { NodeCommand, NodeInfo, NodeIo, ScrubSummary } from '../protocol/types.js';
import type { EventLog } from './events.js';

/** A node as the master tracks it in memory. */
export interface TrackedNode {
  id: string;
  url: string;
  capacity: number;
  free: number;
  used: number;
  chunks: number;
  lastHeartbeat: number;
  alive: boolean;
  /** Registered (inventory reconciled) since this master started. */
  registered: boolean;
  /** Set while the node reports it cannot write to its disk: it gets no new chunks. */
  writeError?: string;
  scrub?: ScrubSummary;
  /** The node's disk work so far, as its last heartbeat told (for the charts). */
  io?: NodeIo;
  /** Work waiting for the node's next heartbeat. */
  outbox: NodeCommand[];
}

/** Tracks nodes; a node silent for longer than the timeout is dead until it speaks again. */
export class NodeRegistry {
  private readonly nodes = new Map<string, TrackedNode>();
  private readonly startedAt = Date.now();

  constructor(
    private readonly store: MetaStore,
    private readonly events: EventLog,
    private readonly timeout: number,
    private readonly onChange: (node: TrackedNode) => void,
    known: NodeRecord[],
  ) {
    // Nodes known before a restart are given one timeout to come back before they count as dead.
    for (const value of known) {
      this.nodes.set(value.id, {
        id: value.id,
        url: value.url,
        capacity: value.capacity,
        free: 0,
        used: 0,
        chunks: 0,
        // Never heard in this run: its one timeout runs from this master's start (sweep).
        lastHeartbeat: 0,
        alive: true,
        registered: false,
        outbox: [],
      });
    }
  }

  get(id: string): TrackedNode | undefined {
    return this.nodes.get(id);
  }

  all(): TrackedNode[] {
    return [...this.nodes.values()];
  }

  alive(): TrackedNode[] {
    return this.all().filter((n) => n.alive);
  }

  isAlive(id: string): boolean {
    return this.nodes.get(id)?.alive === true;
  }

  /**
   * Resolves once every node known from before a restart has registered again (or died), or
   * one heartbeat timeout after the start: until then placement would see too few nodes.
   */
  async settled(): Promise<void> {
    const deadline = this.startedAt + this.timeout;
    while (Date.now() < deadline && !this.isSettled()) await sleep(Math.min(50, deadline - Date.now()));
  }

  /** How many nodes known from before a restart have neither registered again nor died. */
  waitingFor(): number {
    let n = 0;
    for (const node of this.nodes.values()) if (node.alive && !node.registered) n++;
    return n;
  }

  /** True once every node known from before a restart has registered again or died. */
  isSettled(): boolean {
    return this.waitingFor() === 0;
  }

  /** The live node registered as `id` at another address than `url`, if there is one. */
  elsewhere(id: string, url: string): TrackedNode | undefined {
    const node = this.nodes.get(id);
    return node?.registered && node.alive && node.url !== url ? node : undefined;
  }

  /** Records a registration; persists the node's address. */
  async register(info: {
    id: string;
    url: string;
    capacity: number;
    free: number;
    used: number;
    chunks: number;
  }) {
    const existing = this.nodes.get(info.id);
    const node: TrackedNode = {
      ...info,
      lastHeartbeat: Date.now(),
      alive: true,
      registered: true,
      outbox: existing?.outbox ?? [],
      // What only heartbeats report survives a registration (the master asks for those now and then).
      scrub: existing?.scrub,
      writeError: existing?.writeError,
      io: existing?.io,
    };
    this.nodes.set(info.id, node);
    if (!existing) this.events.add('node-joined', `node ${info.url} joined`);
    else if (!existing.alive) this.events.add('node-back', `node ${info.url} is back`);
    else if (existing.url !== info.url) this.events.add('node-moved', `node ${info.id} now at ${info.url}`);
    if (!existing?.registered || existing.url !== info.url)
      await this.store.putNode({
        id: info.id,
        url: info.url,
        capacity: info.capacity,
        registered: Date.now(),
      });
    this.onChange(node);
    return node;
  }

  /** Records a heartbeat; returns the node, or undefined when it must register first. */
  heartbeat(info: {
    id: string;
    capacity: number;
    free: number;
    used: number;
    chunks: number;
    scrub?: ScrubSummary;
    writeError?: string;
    io?: NodeIo;
  }) {
    const node = this.nodes.get(info.id);
    if (!node?.registered) return undefined;
    const wasDead = !node.alive;
    if (info.writeError && !node.writeError)
      this.events.add('node-cannot-write', `node ${node.url} cannot write: ${info.writeError}`);
    else if (!info.writeError && node.writeError)
      this.events.add('node-writable', `node ${node.url} writes again`);
    Object.assign(node, info, { lastHeartbeat: Date.now(), alive: true });
    if (wasDead) {
      this.events.add('node-back', `node ${node.url} is back`);
      this.onChange(node);
    }
    return node;
  }

  /** Marks silent nodes dead; returns those that just died. */
  sweep(now = Date.now()): TrackedNode[] {
    const died: TrackedNode[] = [];
    for (const node of this.nodes.values()) {
      const heard = node.lastHeartbeat || this.startedAt;
      if (node.alive && now - heard > this.timeout) {
        node.alive = false;
        // Copies and checks are planned again elsewhere (deletes wait in their own queue).
        node.outbox = [];
        died.push(node);
        this.events.add(
          'node-lost',
          node.lastHeartbeat
            ? `node ${node.url} lost: no heartbeat for ${Math.round((now - heard) / 1000)}s`
            : `node ${node.url} lost: not heard from since this master started`,
        );
        this.onChange(node);
      }
    }
    return died;
  }

  /** Where replicas on `nodeIds` live, and whether each node is alive. */
  locate(nodeIds: string[]): { nodeId: string; url: string; alive: boolean }[] {
    return nodeIds.map((nodeId) => {
      const node = this.nodes.get(nodeId);
      return { nodeId, url: node?.url ?? '', alive: node?.alive === true };
    });
  }

  /** Live nodes that take new chunks (registered in this run, or reporting free space; able to write). */
  writable(): TrackedNode[] {
    return this.all().filter((n) => n.alive && (n.registered || n.free > 0) && !n.writeError);
  }

  /** Forgets a node for good (it was removed from the cluster). */
  async remove(id: string): Promise<void> {
    await this.store.removeNode(id);
    this.nodes.delete(id);
  }

  /** The public view of every node. */
  info(): NodeInfo[] {
    return this.all()
      .map((n) => ({
        id: n.id,
        url: n.url,
        state: n.alive ? ('alive' as const) : ('dead' as const),
        ...(n.writeError && { writeError: n.writeError }),
        lastHeartbeat: n.lastHeartbeat,
        capacity: n.capacity,
        free: n.free,
        used: n.used,
        chunks: n.chunks,
        scrub: n.scrub,
      }))
      .sort((a, b) => a.url.localeCompare(b.url));
  }
}
