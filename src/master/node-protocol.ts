// The master's side of the node protocol (`/internal/…`): registrations with whole inventories,
// heartbeats with incremental reports, repair and rot reports — and the hand-out of work,
// each delete checked one last time before it goes.

import { DfsError } from '../protocol/errors.js';
import { isChunkId } from '../protocol/paths.js';
import type {
  HeartbeatRequest,
  HeartbeatResponse,
  NodeCommand,
  NodeIo,
  RegisterRequest,
} from '../protocol/types.js';
import { nodeOrigin } from '../protocol/urls.js';
import type { MasterCore } from './core.js';
import { receiptList } from './requests.js';

/** What the node protocol works with. */
export type NodeProtocolDeps = MasterCore;

// Most ids accepted in one incremental report list.
const MAX_DELTA = 10_000;

function num(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0;
}

// A heartbeat's disk counters, each a finite count or dropped (they only feed charts).
function nodeIo(value: unknown): NodeIo | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<keyof NodeIo, unknown>;
  return {
    writes: num(v.writes),
    bytesWritten: num(v.bytesWritten),
    reads: num(v.reads),
    bytesRead: num(v.bytesRead),
    fsyncs: num(v.fsyncs),
    fsyncSeconds: num(v.fsyncSeconds),
    scrubbedBytes: num(v.scrubbedBytes),
    corrupt: num(v.corrupt),
  };
}

function ids(value: unknown, what: string, max = MAX_DELTA): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > max || !value.every(isChunkId))
    throw new DfsError('bad_request', `${what} must be a list of chunk ids`);
  return value;
}

/** Refuses a body that speaks for another node than the one that authenticated. */
function sameNode(nodeId: string, req: { id?: unknown } | undefined): void {
  if (!nodeId || req?.id !== nodeId)
    throw new DfsError('forbidden', 'node id does not match its authentication');
}

/** The node protocol handlers. */
export class NodeProtocol {
  constructor(private readonly deps: NodeProtocolDeps) {}

  private answer(commands: NodeCommand[], inventory?: number): HeartbeatResponse {
    return {
      known: true,
      chunkSize: this.deps.config.chunkSize,
      epoch: this.deps.leader.epoch,
      commands,
      ...(inventory !== undefined && { inventory }),
    };
  }

  /** True when the node at `url` answers, within two seconds, as node `nodeId`. */
  private async answersAs(url: string, nodeId: string): Promise<boolean> {
    const { token } = this.deps.config;
    try {
      const res = await fetch(`${url}/api/status`, {
        headers: token ? { authorization: `Bearer ${token}` } : {},
        signal: AbortSignal.timeout(2000),
      });
      return res.ok && ((await res.json()) as { id?: unknown }).id === nodeId;
    } catch {
      return false;
    }
  }

  /** Whether a delete of `nodeId`'s copy of a chunk still waits to be handed out. */
  private deleting(nodeId: string): (id: string) => boolean {
    return (id) => this.deps.deletions.isQueued(nodeId, id);
  }

  /** `POST /internal/register`: a node's whole inventory, on start or when the master asked for it. */
  async register(nodeId: string, req: RegisterRequest): Promise<HeartbeatResponse> {
    const { registry, inventories, events } = this.deps;
    sameNode(nodeId, req);
    const url = nodeOrigin(req.url);
    // Two live processes under one id (a node's data folder copied): the second is refused before
    // its inventory touches anything, or each would take the other's copies off the replica map.
    // A node that moved is taken at once: its old address no longer answers as it.
    const other = registry.elsewhere(nodeId, url);
    if (other && (await this.answersAs(other.url, nodeId)))
      throw new DfsError(
        'conflict',
        `node id ${nodeId} is in use by the node at ${other.url} (is this a copy of its data folder? each node needs its own)`,
      );
    // A whole inventory, or a page of one: bounded by the body limit only.
    const sent = ids(req.chunks, 'chunks', Number.POSITIVE_INFINITY);
    let chunks = sent;
    if (req.page !== undefined || req.more !== undefined) {
      if (
        !Number.isSafeInteger(req.page) ||
        (req.page as number) < 0 ||
        typeof (req.more ?? false) !== 'boolean'
      )
        throw new DfsError('bad_request', 'page must be a whole number from 0, and more true or false');
      const whole = inventories.page(nodeId, req.page as number, sent, req.more === true);
      // Not the last page: nothing is applied until the whole inventory is here.
      if (!whole) return this.answer([]);
      chunks = whole;
    }
    const stamp = typeof req.inventory === 'number' ? req.inventory : undefined;
    const result = inventories.apply(nodeId, chunks, stamp, this.deleting(nodeId));
    if (stamp !== undefined) this.deps.deletions.settle(nodeId, new Set(chunks), stamp);
    await registry.register({
      id: nodeId,
      url,
      capacity: num(req.capacity),
      free: num(req.free),
      used: num(req.used),
      chunks: chunks.length,
    });
    if (result.dropped > 0)
      events.add('replicas-lost', `node ${url} no longer holds ${result.dropped} chunk(s)`);
    this.deps.attention.raise();
    return this.answer([]);
  }

  /** `POST /internal/heartbeat`: liveness, incremental reports, work handed out, inventories asked for. */
  async heartbeat(nodeId: string, req: HeartbeatRequest): Promise<HeartbeatResponse> {
    const { registry, inventories, repairs, deletions, leader } = this.deps;
    sameNode(nodeId, req);
    const wasAlive = registry.isAlive(nodeId);
    const writeError =
      typeof req.writeError === 'string' && req.writeError ? req.writeError.slice(0, 200) : undefined;
    const node = registry.heartbeat({
      id: nodeId,
      capacity: num(req.capacity),
      free: num(req.free),
      used: num(req.used),
      chunks: num(req.chunks),
      scrub: req.scrub,
      writeError,
      io: nodeIo(req.io),
    });
    if (!node)
      return { known: false, chunkSize: this.deps.config.chunkSize, epoch: leader.epoch, commands: [] };
    const removed = ids(req.removed, 'removed');
    const kept = ids(req.kept, 'kept');
    inventories.applyDelta(nodeId, { added: ids(req.added, 'added'), removed, kept }, this.deleting(nodeId));
    let confirmed = false;
    for (const id of [...removed, ...kept]) confirmed = deletions.confirm(nodeId, id) || confirmed;
    // A condemned chunk whose last copy went can now be forgotten: look again soon.
    if (confirmed) this.deps.attention.note();
    // Back from the dead: deletes were missed and copies may be gone; recount from its disk.
    if (!wasAlive) inventories.askSoon(nodeId);
    const now = Date.now();
    // Work is handed out as the node asks for it: it copies what it holds, up to its limit.
    if (leader.isLeader) repairs.plan(now, nodeId);
    const commands = [...node.outbox, ...(leader.isLeader ? await this.deletesFor(nodeId, now) : [])];
    node.outbox = [];
    return this.answer(commands, inventories.request(nodeId, now));
  }

  // The deletes still valid for `nodeId`: a condemned chunk nobody revived, or a copy that is
  // still one too many. Each is taken out of the replica map as it goes.
  private async deletesFor(nodeId: string, now: number): Promise<NodeCommand[]> {
    const { deletions, replicas, registry, inventories, config, store } = this.deps;
    const queued = deletions.take(nodeId);
    if (queued.length === 0) return [];
    const doomed = await store.stillDoomed(queued.filter((d) => d.reason === 'collect').map((d) => d.id));
    const out: NodeCommand[] = [];
    for (const { id, reason } of queued) {
      const others = replicas.holders(id).filter((n) => n !== nodeId && registry.isAlive(n));
      const valid = reason === 'collect' ? doomed.has(id) : others.length >= config.replication;
      if (!valid) continue;
      replicas.remove(id, nodeId);
      inventories.took(nodeId, id, now);
      deletions.handedOut(nodeId, id, now);
      out.push({ op: 'delete', chunkId: id });
    }
    return out;
  }

  /** `POST /internal/replicated`: a repair copy finished (or failed). */
  async replicated(
    nodeId: string,
    body: { chunkId?: unknown; receipts?: unknown; error?: unknown; missing?: unknown },
  ): Promise<void> {
    const { repairs, replicas, registry, events } = this.deps;
    const chunkId = body?.chunkId;
    if (!isChunkId(chunkId))
      throw new DfsError('invalid_chunk_id', 'chunk id must be 64 lowercase hex digits');
    const written = this.deps.recordReceipts(receiptList(body.receipts));
    const added = [...(written.get(chunkId) ?? [])];
    // The source no longer has the chunk (deleted, or rotted and quarantined): not a replica.
    const gone = added.length === 0 && body.missing === true;
    // Otherwise a failed copy is the targets' fault.
    if (repairs.done(chunkId, nodeId, added.length === 0 && !gone))
      this.deps.metrics.repaired(added.length > 0 ? 'ok' : 'failed');
    if (gone) replicas.remove(chunkId, nodeId);
    if (added.length > 0) {
      const urls = added.map((id) => registry.get(id)?.url ?? id).join(', ');
      events.add('chunk-repaired', `chunk ${chunkId.slice(0, 12)}… copied to ${urls}`);
    }
    repairs.settle(chunkId, added);
    this.deps.attention.raise();
    // Keep copies flowing without waiting for the next scan.
    if (this.deps.leader.isLeader) repairs.plan();
  }

  /** `POST /internal/corrupt`: a node quarantined rotten copies, or found them gone (`missing`). */
  reportLost(nodeId: string, chunkIds: unknown, missing: boolean): void {
    const list = ids(chunkIds, 'chunks', Number.POSITIVE_INFINITY);
    const now = Date.now();
    const url = this.deps.registry.get(nodeId)?.url ?? nodeId;
    for (const id of list) {
      this.deps.inventories.took(nodeId, id, now);
      this.deps.deletions.confirm(nodeId, id);
      if (!this.deps.replicas.remove(id, nodeId)) continue;
      if (!missing) this.deps.corrupt.add(id);
      this.deps.events.add(
        missing ? 'chunk-vanished' : 'chunk-corrupt',
        `chunk ${id.slice(0, 12)}… ${missing ? 'vanished from' : 'was corrupt on'} ${url}`,
      );
    }
    this.deps.attention.raise();
  }

  /** A reader saw bad bytes (or none) from a node: that node re-checks its copy (a client is not trusted to condemn it). */
  suspect(chunkId: string, nodeId: string): void {
    const node = this.deps.registry.get(nodeId);
    if (!node?.alive || node.outbox.some((c) => c.op === 'verify' && c.chunkId === chunkId)) return;
    node.outbox.push({ op: 'verify', chunkId });
  }
}
