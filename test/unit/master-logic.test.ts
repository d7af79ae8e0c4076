// The master's logic without HTTP or processes: its parts built over the in-memory store, stand-in
// nodes that register and heartbeat by calling the node protocol, and time passed explicitly to
// maintenance. Leases, collection, revival, repairs, trims, safe mode and leadership.

import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { masterConfig } from '../../src/config.js';
import { runBatch } from '../../src/master/batch.js';
import { buildMaster, type MasterParts } from '../../src/master/master.js';
import { KvStore } from '../../src/meta/kv-store.js';
import { MemoryEngine } from '../../src/meta/memory-engine.js';
import { signReceipt } from '../../src/protocol/auth.js';
import { DfsError } from '../../src/protocol/errors.js';
import { healthOf } from '../../src/protocol/format.js';
import type { ChunkRef, FileInfo, HeartbeatRequest, NodeCommand } from '../../src/protocol/types.js';
import type { ProbeResult } from '../../src/sdk/chunk-io.js';
import { waitFor } from '../helpers/wait.js';

const SECRET = 'logic-secret';
const USAGE = { capacity: 1e12, free: 1e12, used: 0 };

function newChunk(): ChunkRef {
  return { id: createHash('sha256').update(randomBytes(16)).digest('hex'), size: 1000 };
}

/** A master over a fresh memory store (or `store`), with heartbeats that never time out by themselves. */
async function master(
  store = new KvStore(new MemoryEngine()),
  flags: Record<string, unknown> = {},
  probe: (url: string, id: string) => Promise<ProbeResult> = async () => 'present',
) {
  const config = masterConfig(
    { port: 0, secret: SECRET, replication: 2, gcGrace: 1, tokenTtl: 1, heartbeatTimeout: 86_400, ...flags },
    {},
  );
  const parts = await buildMaster(config, store, () => {}, probe);
  await parts.leader.claim();
  return parts;
}

/** A stand-in node talking to `m`. */
function standIn(m: MasterParts, id: string) {
  const url = `http://127.0.0.1:${10_000 + Number(id.replace(/\D/g, ''))}`;
  return {
    id,
    register: (chunks: string[] = [], inventory?: number) =>
      m.nodeProtocol.register(id, { id, url, ...USAGE, chunks, inventory }),
    beat: (extra: Partial<HeartbeatRequest> = {}) =>
      m.nodeProtocol.heartbeat(id, { id, ...USAGE, chunks: 0, ...extra }),
    receipt: (chunkId: string) => ({ nodeId: id, chunkId, signature: signReceipt(SECRET, id, chunkId) }),
  };
}

const deletes = (commands: NodeCommand[]) => commands.filter((c) => c.op === 'delete').map((c) => c.chunkId);

/** Writes `chunk` to `holders` and commits it at `path` as a one-chunk file (with `unheard`'s receipts too). */
async function commitFile(
  m: MasterParts,
  path: string,
  chunk: ChunkRef,
  holders: ReturnType<typeof standIn>[],
  unheard: ReturnType<typeof standIn>[] = [],
) {
  const upload = `up-${randomBytes(6).toString('hex')}`;
  await m.namespace.allocate({ chunks: [chunk], exclude: [] }, upload);
  for (const h of holders) await h.beat({ added: [chunk.id] });
  return m.namespace.commit(
    {
      path,
      size: chunk.size,
      sha256: chunk.id,
      chunks: [chunk],
      receipts: [...holders, ...unheard].map((h) => h.receipt(chunk.id)),
      contentType: 'application/octet-stream',
      metadata: {},
      attributes: {},
    },
    upload,
  );
}

describe('master logic over the memory store', () => {
  it('writes a short chunk afresh when its one listed copy is gone: a re-upload never leans on it', async () => {
    const gone = new Set<string>();
    const m = await master(undefined, {}, async (url) => (gone.has(url) ? 'absent' : 'present'));
    const [a, b, c] = [standIn(m, 'n1'), standIn(m, 'n2'), standIn(m, 'n3')];
    for (const n of [a, b, c]) await n.register();
    const chunk = newChunk();
    await commitFile(m, '/short.bin', chunk, [a, b]);
    // n2 reports its copy lost; n1's copy vanished too, unreported so far.
    await b.beat({ removed: [chunk.id] });
    gone.add('http://127.0.0.1:10001');
    const [answer] = await m.namespace.allocate({ chunks: [chunk], exclude: [] }, 'up-again');
    expect(answer?.stored).to.equal(false);
    expect(answer?.stored === false && answer.targets).to.have.length(2);
    expect(m.namespace.liveReplicas(chunk.id)).to.deep.equal([]);
  });

  it('collects a chunk only after its lease ends and its grace passes; forgets it once its copies are gone', async () => {
    const m = await master();
    const [a, b] = [standIn(m, 'n1'), standIn(m, 'n2')];
    await a.register();
    await b.register();
    const chunk = newChunk();
    await m.namespace.allocate({ chunks: [chunk], exclude: [] }, 'upload-one');
    await a.beat({ added: [chunk.id] });
    await b.beat({ added: [chunk.id] });
    const now = Date.now();
    await m.maintenance.tick(now + 10_000);
    expect(deletes((await a.beat()).commands), 'pinned by an open upload').to.deep.equal([]);
    await m.namespace.abort('upload-one');
    await m.maintenance.tick(now + 20_000);
    expect(deletes((await a.beat()).commands)).to.deep.equal([chunk.id]);
    expect(deletes((await b.beat()).commands)).to.deep.equal([chunk.id]);
    // Still condemned until both nodes say the copy is gone.
    await m.maintenance.tick(now + 30_000);
    expect((await m.store.getChunks([chunk.id])).get(chunk.id)?.doomed).to.equal(true);
    await a.beat({ removed: [chunk.id] });
    await b.beat({ removed: [chunk.id] });
    await m.maintenance.tick(now + 40_000);
    expect((await m.store.getChunks([chunk.id])).size).to.equal(0);
  });

  it('hands a delete out again when the node still holds the chunk in an inventory read after it', async () => {
    const m = await master();
    const [a, b] = [standIn(m, 'n1'), standIn(m, 'n2')];
    for (const n of [a, b]) await n.register();
    const chunk = newChunk();
    await commitFile(m, '/gone', chunk, [a, b]);
    await m.namespace.remove('/gone');
    const now = Date.now();
    await m.maintenance.tick(now + 10_000);
    await m.maintenance.tick(now + 20_000);
    expect(deletes((await a.beat()).commands)).to.deep.equal([chunk.id]);
    expect(deletes((await b.beat()).commands)).to.deep.equal([chunk.id]);
    await b.beat({ removed: [chunk.id] });
    // n1 restarts before it ran the delete: its inventory, asked for after, still lists the chunk.
    const handed = Date.now();
    await waitFor(() => Date.now() > handed, 'the clock to pass the hand-out');
    await a.register([chunk.id]);
    const { inventory } = await a.beat();
    expect(inventory).to.be.a('number');
    await a.register([chunk.id], inventory);
    await m.maintenance.tick(now + 30_000);
    expect(deletes((await a.beat()).commands)).to.deep.equal([chunk.id]);
    await a.beat({ removed: [chunk.id] });
    await m.maintenance.tick(now + 40_000);
    expect((await m.store.getChunks([chunk.id])).size).to.equal(0);
  });

  it('writes a condemned chunk afresh when it is uploaded again, and withholds its delete', async () => {
    const m = await master();
    const [a, b] = [standIn(m, 'n1'), standIn(m, 'n2')];
    await a.register();
    await b.register();
    const chunk = newChunk();
    await commitFile(m, '/doomed', chunk, [a, b]);
    await m.namespace.remove('/doomed');
    await m.maintenance.tick(Date.now() + 10_000);
    expect((await m.store.getChunks([chunk.id])).get(chunk.id)?.doomed).to.equal(true);
    // Before any delete is handed out, the same bytes are uploaded again.
    const [again] = await m.namespace.allocate({ chunks: [chunk], exclude: [] }, 'upload-again');
    expect(again?.stored, 'not de-duplicated against dying copies').to.equal(false);
    expect(deletes((await a.beat()).commands)).to.deep.equal([]);
    expect(deletes((await b.beat()).commands)).to.deep.equal([]);
  });

  it('repairs a chunk whose holder died, from a live holder, and counts it healthy after', async () => {
    const m = await master();
    const [a, b, c] = [standIn(m, 'n1'), standIn(m, 'n2'), standIn(m, 'n3')];
    for (const n of [a, b, c]) await n.register();
    const chunk = newChunk();
    await commitFile(m, '/f', chunk, [a, b]);
    (m.registry.get('n2') as { lastHeartbeat: number }).lastHeartbeat = 1; // heard long ago
    await m.maintenance.tick(Date.now());
    expect(m.maintenance.health.underReplicated).to.equal(1);
    const copy = (await a.beat()).commands.find((cmd) => cmd.op === 'replicate');
    expect(copy?.op === 'replicate' && copy.targets.map((t) => t.nodeId)).to.deep.equal(['n3']);
    await m.nodeProtocol.replicated('n1', { chunkId: chunk.id, receipts: [c.receipt(chunk.id)] });
    // The same report again (or one for no copy in flight) counts for nothing.
    await m.nodeProtocol.replicated('n1', { chunkId: chunk.id, receipts: [c.receipt(chunk.id)] });
    await m.nodeProtocol.replicated('n1', { chunkId: newChunk().id, receipts: [], error: 'x' });
    const text = await m.monitoring.registry.metrics();
    expect(text).to.match(/^dfs_master_repairs_total\{result="ok"\} 1$/m);
    expect(text).to.not.match(/^dfs_master_repairs_total\{result="failed"\} [1-9]/m);
    await m.maintenance.tick(Date.now());
    expect(m.maintenance.health.underReplicated).to.equal(0);
    expect((await m.namespace.stat('/f')).minReplicas).to.equal(2);
  });

  it('sends the copy of a chunk larger than a lowered chunk size on a copy token, others on a put token', async () => {
    const store = new KvStore(new MemoryEngine());
    const before = await master(store);
    const [a, b] = [standIn(before, 'n1'), standIn(before, 'n2')];
    for (const n of [a, b]) await n.register();
    const big = { ...newChunk(), size: 4096 };
    const small = newChunk();
    await commitFile(before, '/big', big, [a, b]);
    await commitFile(before, '/small', small, [a, b]);
    // Restarted with a smaller chunk size; n2 is gone for good, n3 is new.
    before.leader.resign();
    await store.claimLeadership(before.leader.id, 0);
    const after = await master(store, { chunkSize: '1KiB' });
    await standIn(after, 'n1').register([big.id, small.id]);
    await standIn(after, 'n3').register();
    (after.registry.get('n2') as { lastHeartbeat: number }).lastHeartbeat = 1; // heard long ago
    await after.maintenance.tick(Date.now() + 10_000);
    const copies = (await standIn(after, 'n1').beat()).commands.filter((cmd) => cmd.op === 'replicate');
    const ops = Object.fromEntries(
      copies.map((c) => [c.chunkId, c.op === 'replicate' && c.token.split('.')[0]]),
    );
    expect(ops).to.deep.equal({ [big.id]: 'copy', [small.id]: 'put' });
  });

  it('shows a node known from before a restart as never heard from, until it reports', async () => {
    const store = new KvStore(new MemoryEngine());
    const before = await master(store);
    for (const id of ['n1', 'n2']) await standIn(before, id).register();
    before.leader.resign();
    const after = await master(store);
    await standIn(after, 'n1').register();
    const heard = Object.fromEntries(after.registry.info().map((n) => [n.id, n.lastHeartbeat]));
    expect(heard.n1).to.be.greaterThan(0);
    // Its grace period started with this master: no heartbeat of its came then.
    expect(heard.n2).to.equal(0);
  });

  it('trims one copy too many, and never below the factor', async () => {
    const m = await master();
    const nodes = [standIn(m, 'n1'), standIn(m, 'n2'), standIn(m, 'n3')];
    for (const n of nodes) await n.register();
    const chunk = newChunk();
    await commitFile(m, '/t', chunk, nodes);
    await m.maintenance.tick(Date.now());
    const trimmed: string[] = [];
    for (const n of nodes) if (deletes((await n.beat()).commands).includes(chunk.id)) trimmed.push(n.id);
    expect(trimmed).to.have.length(1);
    expect((await m.namespace.stat('/t')).chunks[0]?.replicas).to.have.length(2);
    await m.maintenance.tick(Date.now());
    for (const n of nodes) expect(deletes((await n.beat()).commands)).to.deep.equal([]);
  });

  it('takes an inventory in pages, applied once the last is in; a page out of order is refused', async () => {
    const store = new KvStore(new MemoryEngine());
    const before = await master(store);
    const old = [standIn(before, 'n1'), standIn(before, 'n2')];
    for (const n of old) await n.register();
    const chunks = [newChunk(), newChunk(), newChunk()];
    for (const [i, c] of chunks.entries()) await commitFile(before, `/paged/${i}`, c, old);
    // A restarted master hears n1's inventory whole, and n2's in three pages.
    const m = await master(store);
    await standIn(m, 'n1').register(chunks.map((c) => c.id));
    const page = (n: number, more: boolean) =>
      m.nodeProtocol.register('n2', {
        id: 'n2',
        url: 'http://127.0.0.1:10002',
        ...USAGE,
        chunks: [chunks[n]?.id as string],
        page: n,
        more,
      });
    const copies = () =>
      Promise.all(
        chunks.map(async (_, i) => (await m.namespace.stat(`/paged/${i}`)).chunks[0]?.replicas.length),
      );
    await page(0, true);
    const late = (await page(2, false).catch((e: DfsError) => e)) as DfsError;
    expect([late.code, late.message]).to.deep.equal([
      'conflict',
      'inventory page 2 came out of order: send the inventory again',
    ]);
    await page(0, true);
    await page(1, true);
    expect(await copies(), 'before the last page').to.deep.equal([1, 1, 1]);
    await page(2, false);
    expect(await copies()).to.deep.equal([2, 2, 2]);
    const bad = (await m.nodeProtocol
      .register('n2', { id: 'n2', url: 'http://127.0.0.1:10002', ...USAGE, chunks: [], page: -1 })
      .catch((e: DfsError) => e)) as DfsError;
    expect(bad.code).to.equal('bad_request');
  });

  it('paces passes over a chunk table that takes long to read by their own length', async () => {
    // A store whose every pass takes 400 ms, as one of a few hundred thousand chunks would.
    class SlowStore extends KvStore {
      passes = 0;
      override async chunkPage(after: string | undefined, limit: number) {
        if (after === undefined) this.passes++;
        await new Promise((resolve) => setTimeout(resolve, 400));
        return super.chunkPage(after, limit);
      }
    }
    const store = new SlowStore(new MemoryEngine());
    const m = await master(store);
    const nodes = [standIn(m, 'n1'), standIn(m, 'n2')];
    for (const n of nodes) await n.register();
    const start = Date.now();
    await m.maintenance.tick(start);
    expect(store.passes).to.equal(1);
    // A node came: looked at again once as long as the last pass took has gone by.
    await standIn(m, 'n3').register();
    await m.maintenance.tick(start + 10);
    expect(store.passes, 'right after a pass that long').to.equal(1);
    await m.maintenance.tick(start + 60_000);
    expect(store.passes).to.equal(2);
    // A file committed: recounted once nine times the pass's length has gone by, not after 3 s.
    await commitFile(m, '/paced', newChunk(), nodes);
    await m.maintenance.tick(start + 63_500);
    expect(store.passes, '3.5 s after a pass of 400 ms or more').to.equal(2);
    await m.maintenance.tick(start + 120_000);
    expect(store.passes).to.equal(3);
  });

  it('answers a batch of stats at once after a restart: a file whose copies are not reported yet holds up no other', async () => {
    const store = new KvStore(new MemoryEngine());
    const before = await master(store);
    const [x, y] = [newChunk(), newChunk()];
    const old = [standIn(before, 'n1'), standIn(before, 'n2')];
    for (const n of old) await n.register();
    await commitFile(before, '/x.bin', x, old);
    await commitFile(before, '/y.bin', y, old);
    // The restarted master hears from n1 (which holds only x now); n2 has not reported, and
    // heartbeats here never time out: a stat that waited for n2 would wait for ever.
    const m = await master(store);
    await standIn(m, 'n1').register([x.id]);
    const results = await runBatch(
      {
        calls: [
          { op: 'stat', path: '/x.bin' },
          { op: 'stat', path: '/y.bin' },
        ],
      },
      m.namespace,
      { chunkSize: 1 << 20, maxFileSize: 1 << 30 },
      () => {},
    );
    const replicas = results.map((r) => (r.ok ? (r.value as FileInfo).chunks[0]?.replicas.length : -1));
    expect(replicas).to.deep.equal([1, 0]);
  });

  it('stays in safe mode until every known node has reported, and collects nothing meanwhile', async () => {
    const store = new KvStore(new MemoryEngine());
    for (const id of ['n1', 'n2'])
      await store.putNode({ id, url: `http://127.0.0.1:1000${id[1]}`, capacity: 1, registered: 1 });
    const m = await master(store);
    const [a, b] = [standIn(m, 'n1'), standIn(m, 'n2')];
    const orphan = newChunk();
    await a.register([orphan.id]);
    const later = Date.now() + 60_000;
    await m.maintenance.tick(later);
    expect(m.maintenance.safeMode).to.deep.equal({ on: true, waitingFor: 1 });
    expect(deletes((await a.beat()).commands)).to.deep.equal([]);
    await b.register();
    await m.maintenance.tick(later + 1);
    expect(m.maintenance.safeMode.on).to.equal(false);
    expect(deletes((await a.beat()).commands), 'an orphan no row names').to.deep.equal([orphan.id]);
  });

  it('keeps a node that cannot write out of placement when it registers again before its next heartbeat', async () => {
    const m = await master();
    const [a, b, c] = [standIn(m, 'n1'), standIn(m, 'n2'), standIn(m, 'n3')];
    for (const n of [a, b, c]) await n.register();
    await c.beat({ writeError: 'EROFS: read-only file system' });
    await c.register();
    expect(m.registry.get('n3')?.writeError).to.equal('EROFS: read-only file system');
    const [answer] = await m.namespace.allocate({ chunks: [newChunk()], exclude: [] }, 'up-readonly');
    expect(answer?.stored === false && answer.targets.map((t) => t.nodeId).sort()).to.deep.equal([
      'n1',
      'n2',
    ]);
    const cannotWrite = m.events.recent().filter((e) => e.kind === 'node-cannot-write');
    expect(cannotWrite, 'logged once, not again after the registration').to.have.length(1);
    await c.beat({ writeError: 'EROFS: read-only file system' });
    expect(m.events.recent().filter((e) => e.kind === 'node-cannot-write')).to.have.length(1);
  });

  it('answers the status and the metrics within a second while the store does not answer, with the last totals', async () => {
    const store = new KvStore(new MemoryEngine());
    const read = store.totals.bind(store);
    let frozen = false;
    store.totals = () => (frozen ? new Promise(() => {}) : read());
    const m = await master(store);
    const [a, b] = [standIn(m, 'n1'), standIn(m, 'n2')];
    for (const n of [a, b]) await n.register();
    await commitFile(m, '/kept.bin', newChunk(), [a, b]);
    const up = await m.operations.status();
    expect(up).to.include({ files: 1, logicalBytes: 1000, metadataAnswering: true });
    expect(await m.monitoring.registry.metrics()).to.match(/^dfs_master_metadata_up 1$/m);
    frozen = true;
    const down = await m.operations.status();
    expect(down).to.include({ files: 1, logicalBytes: 1000, metadataAnswering: false });
    expect(healthOf(down)).to.equal('degraded');
    const text = await m.monitoring.registry.metrics();
    expect(text).to.match(/^dfs_master_metadata_up 0$/m);
    expect(text).to.match(/^dfs_master_files 1$/m);
    frozen = false;
    expect((await m.operations.status()).metadataAnswering).to.equal(true);
  });

  it('logs a maintenance pass the store could not serve in one line, without a stack', async () => {
    const store = new KvStore(new MemoryEngine());
    store.chunkPage = () =>
      Promise.reject(new DfsError('unavailable', 'the metadata database is unavailable'));
    const logged: string[] = [];
    const config = masterConfig({ port: 0, secret: SECRET, heartbeatTimeout: 86_400 }, {});
    const m = await buildMaster(
      config,
      store,
      (line) => logged.push(line),
      async () => 'present',
    );
    await m.leader.claim();
    m.maintenance.start(5);
    try {
      await waitFor(() => logged.some((l) => l.startsWith('maintenance failed')), 'a failed pass');
    } finally {
      await m.maintenance.stop();
    }
    expect(logged.find((l) => l.startsWith('maintenance failed'))).to.equal(
      'maintenance failed: the metadata database is unavailable',
    );
  });

  it('reads the namespace totals once per metrics scrape, for all its gauges', async () => {
    const store = new KvStore(new MemoryEngine());
    const read = store.totals.bind(store);
    let reads = 0;
    store.totals = () => {
      reads++;
      return read();
    };
    const m = await master(store);
    const [a, b] = [standIn(m, 'n1'), standIn(m, 'n2')];
    for (const n of [a, b]) await n.register();
    await commitFile(m, '/counted.bin', newChunk(), [a, b]);
    const text = await m.monitoring.registry.metrics();
    expect(text).to.match(/^dfs_master_files 1$/m);
    expect(text).to.match(/^dfs_master_logical_bytes 1000$/m);
    expect(reads).to.equal(1);
    await m.monitoring.registry.metrics();
    expect(reads, 'each scrape reads afresh').to.equal(2);
  });

  it('leads with one epoch at a time: a standby answers epoch 0 and hands out no deletes', async () => {
    const store = new KvStore(new MemoryEngine());
    const first = await master(store);
    const second = await master(store);
    expect(first.leader.isLeader).to.equal(true);
    expect(second.leader.isLeader).to.equal(false);
    const node = standIn(second, 'n1');
    await node.register();
    expect((await node.beat()).epoch).to.equal(0);
    expect((await standIn(first, 'n1').register()).epoch).to.equal(first.leader.epoch);
    expect(first.leader.epoch).to.be.greaterThan(0);
    // Its status names the leader's epoch (it leads with none of its own).
    expect(await second.operations.status()).to.include({ role: 'standby', epoch: first.leader.epoch });
  });

  it('removes a dead node whose only sole copies are garbage, never one holding a file’s only copy', async () => {
    const m = await master();
    const [a, b] = [standIn(m, 'n1'), standIn(m, 'n2')];
    for (const n of [a, b]) await n.register();
    const kept = newChunk();
    await commitFile(m, '/kept', kept, [a, b]);
    await a.beat({ removed: [kept.id] });
    await b.beat({ added: [newChunk().id] });
    (m.registry.get('n2') as { lastHeartbeat: number }).lastHeartbeat = 1; // heard long ago
    await m.maintenance.tick(Date.now());
    const refused = await m.operations.removeNode('n2').catch((err: { code: string }) => err.code);
    expect(refused).to.equal('conflict');
    // Once nothing needs its copies (the file deleted, the other chunk an orphan), it can go.
    await m.namespace.remove('/kept');
    await m.operations.removeNode('n2');
    expect(m.registry.get('n2')).to.equal(undefined);
  });

  it('refuses a second live process under one node id before its inventory counts; takes a moved node at once', async () => {
    const m = await master();
    // The first process answers as n1 at its address.
    const first = http.createServer((_req, res) => res.end(JSON.stringify({ id: 'n1' })));
    await new Promise<void>((r) => first.listen(0, '127.0.0.1', r));
    const firstUrl = `http://127.0.0.1:${(first.address() as AddressInfo).port}`;
    const register = (url: string, chunks: string[]) =>
      m.nodeProtocol.register('n1', { id: 'n1', url, ...USAGE, chunks });
    try {
      await register(firstUrl, []);
      const stray = newChunk().id;
      const refused = await register('http://127.0.0.1:19999', [stray]).catch((err: DfsError) => err);
      expect((refused as DfsError).code).to.equal('conflict');
      expect((refused as DfsError).message).to.include(`in use by the node at ${firstUrl}`);
      expect(m.registry.get('n1')?.url).to.equal(firstUrl);
      expect(m.replicas.holders(stray), 'the copy’s inventory counts for nothing').to.deep.equal([]);
    } finally {
      first.close();
    }
    // Its old address no longer answers as n1: the node moved, and is taken at once.
    await register('http://127.0.0.1:19999', []);
    expect(m.registry.get('n1')?.url).to.equal('http://127.0.0.1:19999');
  });

  it('a node one master removes is forgotten by the others too', async () => {
    const store = new KvStore(new MemoryEngine());
    const [first, second] = [await master(store), await master(store)];
    for (const m of [first, second]) await standIn(m, 'n1').register();
    for (const m of [first, second]) m.registry.sweep(Date.now() + 2 * 86_400_000);
    await first.operations.removeNode('n1');
    expect(first.registry.get('n1')).to.equal(undefined);
    await second.leader.claim();
    await second.maintenance.tick();
    expect(second.registry.get('n1')).to.equal(undefined);
    expect(second.events.recent().some((e) => e.kind === 'node-removed')).to.equal(true);
  });

  it('a master that hears from no storage node leaves leading to one that does', async () => {
    const store = new KvStore(new MemoryEngine());
    const first = await master(store);
    await standIn(first, 'n1').register();
    const second = await master(store);
    // n1 never reaches the second master: silent past the heartbeat timeout, it is dead there.
    second.registry.sweep(Date.now() + 2 * 86_400_000);
    // The leader freezes and its lease lapses: the master cut off from the nodes does not take it.
    first.leader.resign();
    await store.claimLeadership(first.leader.id, 0);
    expect(await second.leader.claim()).to.equal(false);
    expect(await first.leader.claim()).to.equal(true);
    // Once it hears from a node it may lead again (here: after the first master's lease).
    await standIn(second, 'n1').register();
    first.leader.resign();
    await store.claimLeadership(first.leader.id, 0);
    expect(await second.leader.claim()).to.equal(true);
  });

  it('refuses a commit of chunks whose upload expired, and answers a resent commit again', async () => {
    const m = await master();
    const [a, b] = [standIn(m, 'n1'), standIn(m, 'n2')];
    await a.register();
    await b.register();
    const chunk = newChunk();
    const manifest = await commitFile(m, '/once', chunk, [a, b]);
    const again = await m.namespace.commit(
      {
        path: '/once',
        size: chunk.size,
        sha256: chunk.id,
        chunks: [chunk],
        receipts: [],
        contentType: 'application/octet-stream',
        metadata: {},
        attributes: {},
      },
      manifest.uploadId,
    );
    expect(again.generation).to.equal(manifest.generation);
    const late = newChunk();
    await m.namespace.allocate({ chunks: [late], exclude: [] }, 'upload-late');
    await m.maintenance.tick(Date.now() + 3_600_000);
    const err = await m.namespace
      .commit(
        {
          path: '/late',
          size: late.size,
          sha256: late.id,
          chunks: [late],
          receipts: [a.receipt(late.id), b.receipt(late.id)],
          contentType: 'application/octet-stream',
          metadata: {},
          attributes: {},
        },
        'upload-late',
      )
      .catch((e) => e);
    expect(err.code).to.equal('conflict');
    expect(err.message).to.match(/expired/);
  });

  it('takes the receipt of a node it has not heard from yet as genuine, yet no holder until it reports', async () => {
    const m = await master();
    const [a, b, unheard] = [standIn(m, 'n1'), standIn(m, 'n2'), standIn(m, 'n3')];
    await a.register();
    await b.register();
    // n3 stored the chunk too, but has not registered with this master (it has just started).
    const chunk = newChunk();
    const file = await commitFile(m, '/heard', chunk, [a, b], [unheard]);
    expect(file.path).to.equal('/heard');
    expect(m.namespace.liveReplicas(chunk.id).sort()).to.deep.equal(['n1', 'n2']);
    // Its copy alone is no live copy: 503, to be tried again once it reports (not a bad request).
    const lone = newChunk();
    const err = (await commitFile(m, '/unheard', lone, [], [unheard]).catch((e) => e)) as DfsError;
    expect(err.code).to.equal('insufficient_nodes');
    // A receipt that is not genuine is still refused, known node or not.
    const forged = { nodeId: 'n9', chunkId: lone.id, signature: 'f'.repeat(64) };
    await m.namespace.allocate({ chunks: [lone], exclude: [] }, 'upload-forged');
    const refused = (await m.namespace
      .commit(
        {
          path: '/forged',
          size: lone.size,
          sha256: lone.id,
          chunks: [lone],
          receipts: [forged],
          contentType: 'application/octet-stream',
          metadata: {},
          attributes: {},
        },
        'upload-forged',
      )
      .catch((e) => e)) as DfsError;
    expect(refused.code).to.equal('forbidden');
  });
});
