// The node's side of its conversation with one master (a node talks to every master): register
// with the whole inventory, heartbeat with what changed since (chunks stored, removed, kept),
// hand the answer's work to the worker, and report lost copies until they are heard.

import { setTimeout as sleep } from 'node:timers/promises';
import type { NodeConfig } from '../config.js';
import type { Logger } from '../http/errors.js';
import { signNodeAuth } from '../protocol/auth.js';
import type { DfsError } from '../protocol/errors.js';
import type { HeartbeatRequest, HeartbeatResponse, Receipt, RegisterRequest } from '../protocol/types.js';
import { jsonCall } from '../sdk/transport.js';
import type { DiskUsage } from '../storage/chunk-store.js';
import type { NodeState } from './state.js';
import type { Worker } from './worker.js';

// Tries at reporting a finished copy before giving up (the master then plans it again).
const REPORT_ATTEMPTS = 3;
// A disk's statfs answer is reused for this long (the write path reads it too).
const STATFS_MAX_AGE = 250;
// Past this many unsent changes, the next contact sends the whole inventory instead.
const MAX_DELTA = 10_000;

/**
 * Most chunk ids in one registration (about 60 MB of JSON, under the master's 64 MB limit); a
 * larger inventory goes in pages. A setting for tests, which page smaller inventories.
 */
export const inventoryPaging = { ids: 900_000 };

/** Registers with one master, heartbeats, and runs its commands until stopped. */
export class MasterLink {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private ticking = false;
  private again = false;
  /** Why the last heartbeat or registration failed ('' once the master answers again). */
  lastError = '';
  // The last failure logged (of a heartbeat, or of the work after one), so a lasting one is logged once.
  private lastFailure = '';
  /** Registered with this master (it knows the node and its inventory). */
  registered = false;
  lastContact = 0;
  /** The master asked for the inventory with this stamp. */
  private inventoryStamp: number | undefined;
  /** Changes since the last heartbeat this master answered. */
  private added = new Set<string>();
  private removed = new Set<string>();
  private kept = new Set<string>();
  /** Quarantined (corrupt) or vanished (missing) chunks this master has not yet been told of. */
  private readonly unreported = new Map<string, 'corrupt' | 'missing'>();

  constructor(
    readonly master: string,
    private readonly config: Readonly<NodeConfig>,
    private readonly state: NodeState,
    private readonly worker: Worker,
    private readonly log: Logger,
  ) {}

  start(): void {
    void this.tick();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** Talks to the master now rather than at the next interval (to fetch more work). */
  kick(): void {
    if (this.stopped) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    void this.tick();
  }

  /** Notes a change of the store for the next heartbeat. */
  changed(id: string, kind: 'added' | 'removed'): void {
    (kind === 'added' ? this.removed : this.added).delete(id);
    (kind === 'added' ? this.added : this.removed).add(id);
    // Too much to send as a delta (the master was away): the inventory says it all.
    if (this.added.size + this.removed.size > MAX_DELTA) this.registered = false;
  }

  /** Notes a delete this node refused (its copy is newer than the command). */
  keptCopy(id: string): void {
    this.kept.add(id);
  }

  private call<T>(route: string, json: unknown): Promise<T> {
    const headers = { authorization: signNodeAuth(this.config.secret, this.state.id) };
    return jsonCall<T>('post', `${this.master}${route}`, `master ${this.master}`, { json, headers });
  }

  // Space below the reserve is not offered to the master: a disk that full counts as full.
  private async usage(): Promise<DiskUsage> {
    const usage = await this.state.store.usage(STATFS_MAX_AGE);
    return { ...usage, free: Math.max(0, usage.free - this.config.reserve) };
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    this.ticking = true;
    let ok = false;
    let heard = false;
    try {
      const sentAt = this.state.store.sequence;
      const answer =
        !this.registered || this.inventoryStamp !== undefined ? await this.register() : await this.beat();
      this.registered = answer.known;
      this.state.chunkSize = answer.chunkSize;
      this.lastContact = Date.now();
      this.lastError = '';
      heard = true;
      if (answer.inventory !== undefined) this.inventoryStamp = answer.inventory;
      await this.worker.accept(answer.commands, {
        epoch: answer.epoch ?? 0,
        sentAt,
        replicated: (report) => this.report(report),
        kick: () => this.kick(),
      });
      ok = true;
      if (this.unreported.size > 0) await this.flushLost();
      this.lastFailure = '';
    } catch (err) {
      const message = (err as Error).message;
      if (message !== this.lastFailure) this.log(`node ${this.state.id}: ${message}; retrying`);
      this.lastFailure = message;
      // A report the master refused after answering the heartbeat (or this node's own failure
      // after it) leaves the master reachable: the report goes again after the next heartbeat.
      if (!heard) {
        this.lastError = message;
        const code = (err as DfsError).code;
        if (code === 'unauthorized' || code === 'forbidden') this.registered = false;
      }
    } finally {
      this.ticking = false;
    }
    if (this.stopped) return;
    const soon = ok && (this.again || this.inventoryStamp !== undefined);
    this.again = false;
    this.timer = setTimeout(() => void this.tick(), soon ? 0 : this.config.heartbeatInterval);
  }

  private async register(): Promise<HeartbeatResponse> {
    const stamp = this.inventoryStamp;
    // What changed before the inventory is read is in it.
    this.added.clear();
    this.removed.clear();
    this.kept.clear();
    // Read after the master asked: the inventory must not predate the request it answers. An
    // inventory the master asked for is read from the disk: files removed behind the node's
    // back are noticed here at the latest.
    const chunks = stamp === undefined ? this.state.store.ids() : await this.state.store.rescan();
    const size = inventoryPaging.ids;
    const pages = Math.max(1, Math.ceil(chunks.length / size));
    const usage = await this.usage();
    const send = (page: number) => {
      const body: RegisterRequest = {
        id: this.state.id,
        url: this.state.url,
        ...usage,
        chunks: pages === 1 ? chunks : chunks.slice(page * size, (page + 1) * size),
        ...(stamp !== undefined && { inventory: stamp }),
        ...(pages > 1 && { page, more: page < pages - 1 }),
      };
      return this.call<HeartbeatResponse>('/internal/register', body);
    };
    for (let page = 0; page < pages - 1; page++) await send(page);
    const answer = await send(pages - 1);
    if (stamp === undefined && !this.registered)
      this.log(`node ${this.state.id} registered with ${this.master} as ${this.state.url}`);
    if (this.inventoryStamp === stamp) this.inventoryStamp = undefined;
    return answer;
  }

  private async beat(): Promise<HeartbeatResponse> {
    const scrub = this.state.scrub;
    const added = [...this.added];
    const removed = [...this.removed];
    const kept = [...this.kept];
    // A disk that failed a write is tried again: the node takes chunks again once it can.
    if (this.state.store.writeError) await this.state.store.probeWrite();
    const writeError = this.state.store.writeError;
    const body: HeartbeatRequest = {
      id: this.state.id,
      ...(await this.usage()),
      scrub: scrub && { finished: scrub.finished, checked: scrub.checked, corrupt: scrub.corrupt },
      ...(added.length > 0 && { added }),
      ...(removed.length > 0 && { removed }),
      ...(kept.length > 0 && { kept }),
      ...(writeError && { writeError }),
      io: this.state.store.io,
    };
    const answer = await this.call<HeartbeatResponse>('/internal/heartbeat', body);
    // Heard: what was sent is off the list (changes made meanwhile stay for the next one).
    for (const id of added) this.added.delete(id);
    for (const id of removed) this.removed.delete(id);
    for (const id of kept) this.kept.delete(id);
    return answer;
  }

  /** Reports lost copies; kept and sent again with the next heartbeat until the master hears. */
  reportLost(ids: string[], why: 'corrupt' | 'missing'): void {
    for (const id of ids) this.unreported.set(id, why);
    void this.flushLost().catch(() => {});
  }

  private async flushLost(): Promise<void> {
    for (const why of ['corrupt', 'missing'] as const) {
      const ids = [...this.unreported].filter(([, w]) => w === why).map(([id]) => id);
      if (ids.length === 0) continue;
      await this.call('/internal/corrupt', { id: this.state.id, chunks: ids, missing: why === 'missing' });
      for (const id of ids) if (this.unreported.get(id) === why) this.unreported.delete(id);
    }
  }

  // A finished copy is reported until heard (a failed report is retried, never turned into a
  // failure report); a failed copy is reported once.
  private async report(report: { chunkId: string; receipts: Receipt[]; error?: string; missing?: boolean }) {
    const body = { id: this.state.id, ...report };
    if (report.error !== undefined) return void (await this.call('/internal/replicated', body));
    for (let attempt = 1; ; attempt++) {
      try {
        await this.call('/internal/replicated', body);
        return;
      } catch (err) {
        if (attempt === REPORT_ATTEMPTS || this.stopped) throw err;
        await sleep(this.config.heartbeatInterval);
      }
    }
  }
}
