// Carries out the work masters hand a node: repair copies, deletes and re-checks. A delete is
// refused when it comes from an older leader epoch than one already seen (a deposed leader does
// no harm), or when the copy is being written or was written after the heartbeat that brought
// the delete was sent (a newer copy that the master could not have meant).

import fs from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../http/errors.js';
import { DfsError } from '../protocol/errors.js';
import type { NodeCommand, Receipt } from '../protocol/types.js';
import { openChunkPut } from '../sdk/chunk-io.js';
import { replaceFile } from '../storage/disk-io.js';
import type { NodeState } from './state.js';

// A repair copy still unfinished after this long is abandoned (the master plans it again).
const COPY_DEADLINE = 60_000;

/** Where a command came from: the link that reports back, the epoch and when the request left. */
export interface Origin {
  epoch: number;
  /** The store's write sequence number when the heartbeat that brought the command was sent. */
  sentAt: number;
  /** Reports a finished (or failed) copy to the master that asked. */
  replicated(report: {
    chunkId: string;
    receipts: Receipt[];
    error?: string;
    missing?: boolean;
  }): Promise<void>;
  /** Asks the master for more work now. */
  kick(): void;
}

/** What the worker reports to every master. */
export interface WorkerEvents {
  /** Copies found rotten (quarantined) or gone from the disk. */
  lost(ids: string[], why: 'corrupt' | 'missing'): void;
  /** A delete was refused because the copy is newer than the command. */
  kept(id: string): void;
}

/** Runs commands, one at a time per chunk and kind. */
export class Worker {
  private readonly busy = new Set<string>();
  /** Copies streaming right now: `stop()` cuts them. */
  private readonly copies = new Set<{ destroy(): void }>();
  private maxEpoch = 0;
  private stopped = false;

  constructor(
    private readonly state: NodeState,
    private readonly data: string,
    private readonly events: WorkerEvents,
    private readonly log: Logger,
  ) {}

  // The epoch file's writes, one after another.
  private epochWrite: Promise<void> = Promise.resolve();

  /** Reads the highest leader epoch this node has obeyed (kept across restarts). */
  async load(): Promise<void> {
    const text = await fs.readFile(path.join(this.data, 'epoch'), 'utf8').catch(() => '0');
    this.maxEpoch = Number(text.trim()) || 0;
  }

  /** Notes an epoch seen in a master's answer; false when it is older than one already seen. */
  async observe(epoch: number): Promise<boolean> {
    if (epoch < this.maxEpoch) return false;
    if (epoch > this.maxEpoch) {
      this.maxEpoch = epoch;
      // Kept on disk (durably: an epoch lost in a crash would let a deposed leader's deletes in)
      // when the disk takes writes; in memory it holds for this run either way. One write at a
      // time, each of the highest epoch by then: two masters' answers never interleave on it.
      this.epochWrite = this.epochWrite.then(() =>
        replaceFile(path.join(this.data, 'epoch'), `${this.maxEpoch}\n`).catch(() => {}),
      );
      await this.epochWrite;
    }
    return true;
  }

  /** Takes no more commands and cuts the copies in flight (the node is closing; the leader re-issues them). */
  stop(): void {
    this.stopped = true;
    for (const copy of this.copies) copy.destroy();
  }

  /** Runs `commands` from one heartbeat answer. */
  async accept(commands: NodeCommand[], origin: Origin): Promise<void> {
    if (this.stopped) return;
    const current = origin.epoch > 0 && (await this.observe(origin.epoch));
    if (this.stopped) return;
    for (const command of commands) {
      // Only a current leader deletes; checks and copies are harmless from anyone.
      if (command.op === 'delete' && !current) {
        this.log(`node ${this.state.id}: delete of ${command.chunkId} from epoch ${origin.epoch} refused`);
        continue;
      }
      void this.run(command, origin);
    }
  }

  private async run(command: NodeCommand, origin: Origin): Promise<void> {
    // A copy to other targets is new work, even while a stuck copy of the same chunk runs.
    const to = command.op === 'replicate' ? command.targets.map((t) => t.nodeId).join(',') : '';
    const key = `${command.op}:${command.chunkId}:${to}`;
    if (this.busy.has(key)) return;
    this.busy.add(key);
    try {
      if (command.op === 'delete') await this.delete(command.chunkId, origin.sentAt);
      else if (command.op === 'verify') await this.verify(command.chunkId, 'reported by a reader');
      else await this.replicate(command, origin);
    } catch (err) {
      this.log(`node ${this.state.id}: ${command.op} ${command.chunkId} failed: ${(err as Error).message}`);
    } finally {
      this.busy.delete(key);
    }
  }

  private async delete(chunkId: string, sentAt: number): Promise<void> {
    const written = this.state.store.writtenAt(chunkId);
    // A copy being written now, or written since the request left, is newer than the decision.
    if (this.state.store.isWriting(chunkId) || (written !== undefined && written > sentAt)) {
      this.events.kept(chunkId);
      return;
    }
    await this.state.store.delete(chunkId);
  }

  /** Re-hashes the local copy; a bad one is quarantined and reported. True when it is good. */
  async verify(chunkId: string, why: string): Promise<boolean> {
    const store = this.state.store;
    // Not here (any more): the master lists a copy that does not exist.
    if (!store.has(chunkId)) {
      this.events.lost([chunkId], 'missing');
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
    this.events.lost([chunkId], 'corrupt');
    return false;
  }

  private async replicate(command: Extract<NodeCommand, { op: 'replicate' }>, origin: Origin): Promise<void> {
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
      await origin
        .replicated({ chunkId, receipts: [], error: (err as Error).message, missing })
        .catch(() => {});
      throw err;
    }
    await origin.replicated({ chunkId, receipts });
    // More copies may be waiting: ask for them now (after a failure, at the next beat).
    origin.kick();
  }

  /** Streams the local copy of a chunk down the targets' pipeline; returns their receipts. */
  private async copy(command: Extract<NodeCommand, { op: 'replicate' }>): Promise<Receipt[]> {
    const { stream, data, size, release } = await this.state.store.read(command.chunkId);
    if (this.stopped) {
      stream?.destroy();
      release?.();
      throw new DfsError('unavailable', 'the node is closing');
    }
    const forward = openChunkPut(
      command.targets.map((t) => t.url),
      command.chunkId,
      command.token,
      size,
    );
    // A target that accepts the connection and then hangs must not hold the copy forever.
    const deadline = setTimeout(() => forward.destroy(), COPY_DEADLINE);
    const copy = {
      destroy: () => {
        forward.destroy();
        stream?.destroy();
      },
    };
    this.copies.add(copy);
    try {
      for await (const piece of data ? [data] : (stream as AsyncIterable<Buffer>)) await forward.write(piece);
      return await forward.finish();
    } catch (err) {
      copy.destroy();
      throw err;
    } finally {
      clearTimeout(deadline);
      this.copies.delete(copy);
      // The copy is answered or destroyed: its request holds the buffer no longer.
      release?.();
    }
  }
}
