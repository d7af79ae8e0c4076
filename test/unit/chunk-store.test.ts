import { rmSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { nodeConfig } from '../../src/config.js';
import { Scrubber } from '../../src/node/scrubber.js';
import { NodeState } from '../../src/node/state.js';
import { DfsError } from '../../src/protocol/errors.js';
import { ChunkStore } from '../../src/storage/chunk-store.js';
import { writeAll } from '../../src/storage/disk-io.js';
import { sha256 as sha, tempDir } from '../helpers/cluster.js';
import { corruptOnDisk } from '../helpers/on-disk.js';

describe('chunk store', () => {
  let dir: string;
  let store: ChunkStore;
  beforeEach(async () => {
    dir = await tempDir();
    store = await ChunkStore.open(dir);
  });
  afterEach(async () => {
    // Closed, or its open pack files are left to the garbage collector (and Node warns).
    await store.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('stores a chunk under its hash only after verifying it', async () => {
    const data = Buffer.from('hello chunk');
    const w = await store.beginWrite(sha(data), 1024);
    await w.write(data.subarray(0, 5));
    await w.write(data.subarray(5));
    await w.commit();
    expect(store.has(sha(data))).to.equal(true);
    expect(await fs.readFile(store.chunkPath(sha(data)))).to.deep.equal(data);
    expect(await fs.readdir(path.join(dir, 'tmp'))).to.deep.equal([]);
    expect(await store.verify(sha(data))).to.equal(true);
  });

  it('refuses a body whose hash does not match its name and leaves nothing behind', async () => {
    const id = sha(Buffer.from('expected'));
    const w = await store.beginWrite(id, 1024);
    await w.write(Buffer.from('something else'));
    const err = await w.commit().catch((e) => e);
    expect(err).to.be.instanceOf(DfsError);
    expect((err as DfsError).code).to.equal('checksum_mismatch');
    expect(store.has(id)).to.equal(false);
    expect(await fs.readdir(path.join(dir, 'tmp'))).to.deep.equal([]);
  });

  it('refuses bodies over the limit', async () => {
    const w = await store.beginWrite(sha(Buffer.alloc(10)), 8);
    const err = await w.write(Buffer.alloc(10)).catch((e) => e);
    expect((err as DfsError).code).to.equal('payload_too_large');
    await w.abort();
    expect(await fs.readdir(path.join(dir, 'tmp'))).to.deep.equal([]);
  });

  it('rebuilds its inventory from disk and drops leftover temporaries on open', async () => {
    const data = Buffer.from('persisted');
    const w = await store.beginWrite(sha(data), 1024);
    await w.write(data);
    await w.commit();
    await fs.writeFile(path.join(dir, 'tmp', 'half-written'), 'x');
    const reopened = await ChunkStore.open(dir);
    expect(reopened.ids()).to.deep.equal([sha(data)]);
    expect((await reopened.usage()).used).to.equal(data.length);
    expect(await fs.readdir(path.join(dir, 'tmp'))).to.deep.equal([]);
  });

  const writers: [string, (data: Buffer) => Promise<unknown>][] = [
    [
      'a chunk file',
      async (data) => {
        const w = await store.beginWrite(sha(data), 1024);
        await w.write(data);
        await w.commit();
      },
    ],
    ['a packed chunk', (data) => store.putSmall(sha(data), data)],
  ];
  for (const [what, write] of writers) {
    it(`detects rot in ${what}, quarantines and counts it`, async () => {
      const data = Buffer.from(`${what}, which will rot`);
      await write(data);
      await corruptOnDisk(dir, sha(data), 0);
      expect(await store.verify(sha(data))).to.equal(false);
      await store.quarantine(sha(data));
      expect(store.has(sha(data))).to.equal(false);
      expect(await fs.readdir(path.join(dir, 'quarantine'))).to.have.length(1);
      expect(store.io.corrupt).to.equal(1);
    });
  }

  it('takes a chunk cut short in a truncated pack for rot, and a scrub reports it', async () => {
    const kept = Buffer.from('a packed chunk before it');
    const cut = Buffer.from('a packed chunk the truncation cuts');
    await store.putSmall(sha(kept), kept);
    await store.putSmall(sha(cut), cut);
    const [pack] = await fs.readdir(path.join(dir, 'packs'));
    const file = path.join(dir, 'packs', pack as string);
    await fs.truncate(file, (await fs.stat(file)).size - 10);
    const reported: string[][] = [];
    const scrubber = new Scrubber(
      store,
      new NodeState('n', store),
      nodeConfig({ scrubRate: '1GiB' }, {}),
      () => {},
      async (ids) => void reported.push(ids),
    );
    expect(await scrubber.pass()).to.deep.equal([sha(cut)]);
    expect(reported).to.deep.equal([[sha(cut)]]);
    expect([store.has(sha(kept)), store.has(sha(cut)), store.io.corrupt]).to.deep.equal([true, false, 1]);
  });

  it('reads a large chunk whole into a kept buffer it gets back; a probe, a range past the budget and a scrub stream', async () => {
    const data = Buffer.alloc(8 * 1024 * 1024, 'large chunk ');
    const id = sha(data);
    const w = await store.beginWrite(id, data.length);
    await w.write(data);
    await w.commit();
    const readers = await Promise.all([1, 2, 3].map(() => store.read(id)));
    // Two of 8 MiB fill the 16 MiB budget: one of the three (whichever opens last) is streamed.
    const whole = readers.filter((r) => r.data);
    expect([whole.length, readers.filter((r) => r.stream).length]).to.deep.equal([2, 1]);
    for (const r of whole) expect(r.data?.equals(data)).to.equal(true);
    for (const r of readers) r.stream?.destroy();
    expect(store.readBuffersInUse).to.equal(16 * 1024 * 1024);
    for (const r of readers) r.release?.();
    expect(store.readBuffersInUse).to.equal(0);
    const range = await store.read(id, 1024 * 1024, 3 * 1024 * 1024 - 1);
    expect(range.data?.equals(data.subarray(1024 * 1024, 3 * 1024 * 1024))).to.equal(true);
    range.release?.();
    const probe = await store.read(id, undefined, undefined, true);
    expect([probe.data, probe.release]).to.deep.equal([undefined, undefined]);
    probe.stream?.destroy();
    expect(await store.verify(id)).to.equal(true);
    expect(store.readBuffersInUse).to.equal(0);
  });

  it('never lets a bad id reach the file system', () => {
    for (const id of ['../etc/passwd', 'A'.repeat(64), 'abc', `${'a'.repeat(63)}/`]) {
      expect(() => store.chunkPath(id)).to.throw(DfsError, /64 lowercase hex/);
    }
  });

  describe("a chunk file removed behind the store's back", () => {
    async function put(text: string): Promise<string> {
      const data = Buffer.from(text);
      const w = await store.beginWrite(sha(data), 1024);
      await w.write(data);
      await w.commit();
      return sha(data);
    }

    it('is forgotten and reported when a read finds it gone', async () => {
      const id = await put('soon gone');
      const lost: string[] = [];
      store.onLost = (gone) => lost.push(gone);
      await fs.rm(store.chunkPath(id));
      const err = await store.read(id).catch((e) => e);
      expect((err as DfsError).code).to.equal('not_found');
      expect(lost).to.deep.equal([id]);
      expect(store.has(id)).to.equal(false);
      expect((await store.usage()).chunks).to.equal(0);
    });

    it('is found by the scrubber', async () => {
      const keep = await put('kept');
      const id = await put('scrubbed away');
      const lost: string[] = [];
      store.onLost = (gone) => lost.push(gone);
      await fs.rm(store.chunkPath(id));
      const state = new NodeState('n', store);
      const config = nodeConfig({ scrubRate: '1GiB' }, {});
      const scrubber = new Scrubber(
        store,
        state,
        config,
        () => {},
        async () => {},
      );
      expect(await scrubber.pass()).to.deep.equal([]);
      expect(lost).to.deep.equal([id]);
      expect(store.ids()).to.deep.equal([keep]);
    });

    it('is dropped from the inventory by a rescan', async () => {
      const keep = await put('still here');
      const id = await put('rescanned away');
      await fs.rm(store.chunkPath(id));
      expect(await store.rescan()).to.deep.equal([keep]);
      expect(store.has(id)).to.equal(false);
    });

    it('is gone from every rescan asked after its removal, concurrent asks sharing one walk', async () => {
      const keep = await put('here all along');
      const id = await put('removed between two asks');
      const spied = store as unknown as { scan: () => Promise<Set<string>> };
      const scan = spied.scan.bind(store);
      let walks = 0;
      spied.scan = () => {
        walks++;
        return scan();
      };
      const first = store.rescan();
      rmSync(store.chunkPath(id));
      const later = [store.rescan(), store.rescan(), store.rescan()];
      await first;
      for (const ids of await Promise.all(later)) expect(ids).to.deep.equal([keep]);
      // The running walk, then one walk for every later ask.
      expect(walks).to.equal(2);
      expect(await store.rescan()).to.deep.equal([keep]);
      expect(walks).to.equal(3);
    });
  });

  it('writes the rest of a short write, and fails one that makes no progress', async () => {
    // A file that takes at most 3 bytes per call, then none once it holds `room` bytes.
    const fake = (room: number) => {
      const file = Buffer.alloc(64);
      let end = 0;
      const handle = {
        async writev(buffers: Buffer[], position?: number) {
          const at = position ?? end;
          const bytes = Buffer.concat(buffers).subarray(0, Math.min(3, room - at));
          bytes.copy(file, at);
          end = Math.max(end, at + bytes.length);
          return { bytesWritten: bytes.length, buffers };
        },
      };
      return { handle: handle as unknown as fs.FileHandle, written: () => file.subarray(0, end).toString() };
    };
    const parts = ['hello', '', ' short', ' writes'].map((t) => Buffer.from(t));
    const appended = fake(64);
    await writeAll(appended.handle, parts, undefined, 'a test write');
    expect(appended.written()).to.equal('hello short writes');
    const placed = fake(64);
    await writeAll(placed.handle, parts, 4, 'a test write');
    expect(placed.written().slice(4)).to.equal('hello short writes');
    const err = await writeAll(fake(10).handle, parts, 0, 'a test write').catch((e) => e);
    expect((err as DfsError).code).to.equal('unavailable');
    expect((err as DfsError).message).to.match(/a test write came up short/);
  });
});
