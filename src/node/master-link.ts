// The node's side of the node ↔ master conversation: register with the whole inventory,
// heartbeat, carry out the work the master hands back, and report rot until it is heard.

import { setTimeout as sleep } from 'node:timers/promises';
import type { NodeConfig } from '../config.js';
import type { Logger } from '../http/errors.js';
import { signNodeAuth } from '../protocol/auth.js';
import type { DfsError } from '../protocol/errors.js';
import type {
  HeartbeatRequest,
  HeartbeatResponse,
  NodeCommand,
  Receipt,
  RegisterRequest,
} from '../protocol/types.js';
import { openChunkPut } from '../sdk/chunk-io.js';
import { jsonCall } from '../sdk/transport.js';
import type { DiskUsage } from '../storage/chunk-store.js';
import type { NodeState } from './state.js';

// A repair copy still unfinished after this long is abandoned (the master plans it again).
const COPY_DEADLINE = 60_000;
// Tries at reporting a finished copy before giving up (the master then plans it again).
const REPORT_ATTEMPTS = 3;
// A disk's statfs answer is reused for this long (the write path reads it too).
const STATFS_MAX_AGE = 250;

/** Registers, heartbeats and runs the master's commands until stopped. */
export class MasterLink {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private ticking = false;
  private again = false;
  private lastError = '';
  private readonly busy = new Set<string>();
  /** The master asked for the inventory with this stamp. */
  private inventoryStamp: number | undefined;
  /** Quarantined (corrupt) or vanished (missing) chunks the master has not yet been told of. */
  private readonly unreported = new Map<string, 'corrupt' | 'missing'>();

  constructor(
    private readonly config: Readonly<NodeConfig>,
    private readonly state: NodeState,
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

  private call<T>(route: string, json: unknown): Promise<T> {
    const headers = { authorization: signNodeAuth(this.config.secret, this.state.id) };
    return jsonCall<T>('post', `${this.config.master}${route}`, `master ${this.config.master}`, {
      json,
      headers,
    });
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
    try {
      const answer =
        !this.state.registered || this.inventoryStamp !== undefined
          ? await this.register()
          : await this.beat();
      this.state.registered = answer.known;
      this.state.chunkSize = answer.chunkSize;
      this.state.lastContact = Date.now();
      this.lastError = '';
      if (answer.inventory !== undefined) this.inventoryStamp = answer.inventory;
      for (const command of answer.commands) void this.run(command);
      ok = true;
      if (this.unreported.size > 0) await this.flushCorrupt();
    } catch (err) {
      const message = (err as Error).message;
      if (message !== this.lastError) this.log(`node ${this.state.id}: ${message}; retrying`);
      this.lastError = message;
      const code = (err as DfsError).code;
      if (code === 'unauthorized' || code === 'forbidden') this.state.registered = false;
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
    // Read after the master asked: the inventory must not predate the request it answers.
    const body: RegisterRequest = {
      id: this.state.id,
      url: this.state.url,
      ...(await this.usage()),
      // An inventory the master asked for is read from the disk: files removed behind the
      // node's back are noticed here at the latest.
      chunks: stamp === undefined ? this.state.store.ids() : await this.state.store.rescan(),
      ...(stamp !== undefined && { inventory: stamp }),
    };
    const answer = await this.call<HeartbeatResponse>('/internal/register', body);
    if (stamp === undefined)
      this.log(`node ${this.state.id} registered with ${this.config.master} as ${this.state.url}`);
    if (this.inventoryStamp === stamp) this.inventoryStamp = undefined;
    return answer;
  }

  private async beat(): Promise<HeartbeatResponse> {
    const scrub = this.state.scrub;
    const body: HeartbeatRequest = {
      id: this.state.id,
      ...(await this.usage()),
      scrub: scrub && { finished: scrub.finished, checked: scrub.checked, corrupt: scrub.corrupt },
    };
    return this.call<HeartbeatResponse>('/internal/heartbeat', body);
  }

  /**
   * Reports quarantined (`corrupt`) or vanished (`missing`) chunks; kept and sent again with the
   * next heartbeat until the master hears.
   */
  async reportLost(ids: string[], why: 'corrupt' | 'missing'): Promise<void> {
    for (const id of ids) this.unreported.set(id, why);
    await this.flushCorrupt();
  }

  private async flushCorrupt(): Promise<void> {
    for (const why of ['corrupt', 'missing'] as const) {
      const ids = [...this.unreported].filter(([, w]) => w === why).map(([id]) => id);
      if (ids.length === 0) continue;
      await this.call('/internal/corrupt', { id: this.state.id, chunks: ids, missing: why === 'missing' });
      for (const id of ids) if (this.unreported.get(id) === why) this.unreported.delete(id);
    }
  }

  private async run(command: NodeCommand): Promise<void> {
    // A copy to other targets is new work, even while a stuck copy of the same chunk runs.
    const to = command.op === 'replicate' ? command.targets.map((t) => t.nodeId).join(',') : '';
    const key = `${command.op}:${command.chunkId}:${to}`;
    if (this.busy.has(key)) return;
    this.busy.add(key);
    try {
      if (command.op === 'delete') await this.state.store.delete(command.chunkId);
      else if (command.op === 'verify') await this.verify(command.chunkId, 'reported by a reader');
      else await this.replicate(command);
    } catch (err) {
      this.log(`node ${this.state.id}: ${command.op} ${command.chunkId} failed: ${(err as Error).message}`);
    } finally {
      this.busy.delete(key);
    }
  }

  // Re-hashes the local copy; a bad one is quarantined and reported. True when it is good.
  private async verify(chunkId: string, why: string): Promise<boolean> {
    const store = this.state.store;
    // Not here (any more): the master lists a copy that does not exist.
    if (!store.has(chunkId)) {
      await this.reportLost([chunkId], 'missing').catch(() => {});
      return false;
    }
    const good = await store.verify(chunkId).catch((err) => {
      // A vanished file was reported by the store itself.
      if ((err as DfsError).code === 'not_found') return false;
      throw err;
    });
    if (good || !store.has(chunkId)) return good;
    await store.quarantine(chunkId);
    this.log(`node ${this.state.id}: chunk ${chunkId} is corrupt (${why}); quarantined`);
    await this.reportLost([chunkId], 'corrupt').catch(() => {});
    return false;
  }

  private async replicate(command: Extract<NodeCommand, { op: 'replicate' }>): Promise<void> {
    const { chunkId } = command;
    let receipts: Receipt[];
    try {
      receipts = await this.copy(command);
    } catch (err) {
      const code = (err as DfsError).code;
      // The copy the target refused may be our own rot: check it before it is offered again.
      const missing =
        code === 'not_found' ||
        (code === 'checksum_mismatch' && !(await this.verify(chunkId, 'a copy failed')));
      await this.call('/internal/replicated', {
        id: this.state.id,
        chunkId,
        receipts: [],
        error: (err as Error).message,
        missing,
      }).catch(() => {});
      throw err;
    }
    // The copy is done: a failed report is retried, never turned into a failure report.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.call('/internal/replicated', { id: this.state.id, chunkId, receipts });
        break;
      } catch (err) {
        if (attempt === REPORT_ATTEMPTS || this.stopped) throw err;
        await sleep(this.config.heartbeatInterval);
      }
    }
    // More copies may be waiting: ask for them now (after a failure, at the next beat).
    this.kick();
  }

  /** Streams the local copy of a chunk down the targets' pipeline; returns their receipts. */
  private async copy(command: Extract<NodeCommand, { op: 'replicate' }>): Promise<Receipt[]> {
    const { size, stream, data } = await this.state.store.read(command.chunkId);
    const forward = openChunkPut(
      command.targets.map((t) => t.url),
      command.chunkId,
      command.token,
      size,
    );
    // A target that accepts the connection and then hangs must not hold the copy forever.
    const deadline = setTimeout(() => forward.destroy(), COPY_DEADLINE);
    try {
      for await (const piece of data ? [data] : (stream as AsyncIterable<Buffer>)) await forward.write(piece);
      return await forward.finish();
    } catch (err) {
      forward.destroy();
      stream?.destroy();
      throw err;
    } finally {
      clearTimeout(deadline);
    }
  }
}
