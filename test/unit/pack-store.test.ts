// Pack files for small chunks: group commit, reads, tombstones, a torn tail cut off on open,
// vanished packs, and compaction that never brings a deleted chunk back.

import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import {
  CHUNK_RECORD,
  decodeHeader,
  encodeHeader,
  HEADER_SIZE,
  TOMBSTONE,
} from '../../src/storage/pack-format.js';
import { PackStore } from '../../src/storage/pack-store.js';
import { tempDir } from '../helpers/cluster.js';

function chunk(size = 4096): { id: string; data: Buffer } {
  const data = randomBytes(size);
  return { id: createHash('sha256').update(data).digest('hex'), data };
}

describe('pack store', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await tempDir('dfs-packs-');
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('encodes and checks record headers', () => {
    const id = chunk().id;
    const header = encodeHeader(TOMBSTONE, id, 0);
    expect(header.length).to.equal(HEADER_SIZE);
    expect(decodeHeader(header)).to.deep.equal({ type: TOMBSTONE, id, size: 0 });
    header[20] = (header[20] as number) ^ 1;
    expect(decodeHeader(header)).to.equal(undefined);
  });

  it('stores concurrent writes durably in one pack and reads them back, whole or in ranges', async () => {
    const store = await PackStore.open(dir, { maxPackSize: 64 * 1024 * 1024 });
    const chunks = Array.from({ length: 64 }, () => chunk(1000 + Math.floor(Math.random() * 5000)));
    await Promise.all(chunks.map((c) => store.put(c.id, c.data)));
    for (const c of chunks) expect((await store.read(c.id)).data.equals(c.data)).to.equal(true);
    const [first] = chunks as [{ id: string; data: Buffer }];
    expect((await store.read(first.id, 10, 19)).data.equals(first.data.subarray(10, 20))).to.equal(true);
    expect(await fs.readdir(dir)).to.deep.equal(['00000001.pack']);
    await store.close();
    const again = await PackStore.open(dir, { maxPackSize: 64 * 1024 * 1024 });
    expect(new Set(again.ids())).to.deep.equal(new Set(chunks.map((c) => c.id)));
    for (const c of chunks) expect((await again.read(c.id)).data.equals(c.data)).to.equal(true);
    await again.close();
  });

  it('forgets deleted chunks, across a reopen too', async () => {
    const store = await PackStore.open(dir, { maxPackSize: 1 << 20 });
    const [a, b] = [chunk(), chunk()];
    await store.put(a.id, a.data);
    await store.put(b.id, b.data);
    expect(store.delete(a.id)).to.equal(true);
    expect(store.delete(a.id)).to.equal(false);
    expect(store.has(a.id)).to.equal(false);
    await store.put(chunk().id, chunk().data).catch(() => {});
    await store.close();
    const again = await PackStore.open(dir, { maxPackSize: 1 << 20 });
    expect(again.has(a.id)).to.equal(false);
    expect(again.has(b.id)).to.equal(true);
    await again.close();
  });

  it('cuts a torn tail off the newest pack when it opens', async () => {
    const store = await PackStore.open(dir, { maxPackSize: 1 << 20 });
    const [a, b] = [chunk(), chunk()];
    await store.put(a.id, a.data);
    await store.put(b.id, b.data);
    await store.close();
    const file = path.join(dir, '00000001.pack');
    const { size } = await fs.stat(file);
    // A crash in the middle of the second record's payload.
    await fs.truncate(file, size - 100);
    const again = await PackStore.open(dir, { maxPackSize: 1 << 20 });
    expect(again.has(a.id)).to.equal(true);
    expect(again.has(b.id)).to.equal(false);
    expect((await fs.stat(file)).size).to.equal(HEADER_SIZE + a.data.length);
    const c = chunk();
    await again.put(c.id, c.data);
    await again.close();
    const third = await PackStore.open(dir, { maxPackSize: 1 << 20 });
    expect([...third.ids()].sort()).to.deep.equal([a.id, c.id].sort());
    await third.close();
    // A last record whose payload never reached the disk (zeros, the file's length intact) is a
    // torn tail too: cut off, and no corruption.
    const { size: whole } = await fs.stat(file);
    const handle = await fs.open(file, 'r+');
    await handle.write(Buffer.alloc(c.data.length), 0, c.data.length, whole - c.data.length);
    await handle.close();
    const fourth = await PackStore.open(dir, { maxPackSize: 1 << 20 });
    expect([[...fourth.ids()], fourth.corrupt]).to.deep.equal([[a.id], 0]);
    expect((await fs.stat(file)).size).to.equal(HEADER_SIZE + a.data.length);
    await fourth.close();
  });

  it('skips a rotten record in the newest pack on open, keeping every chunk after it', async () => {
    const store = await PackStore.open(dir, { maxPackSize: 1 << 20 });
    const chunks = Array.from({ length: 5 }, () => chunk(1000));
    for (const c of chunks) await store.put(c.id, c.data);
    await store.close();
    const file = path.join(dir, '00000001.pack');
    const before = await fs.readFile(file);
    // One flipped bit in the first chunk's payload.
    const rotten = Buffer.from(before);
    rotten[HEADER_SIZE + 10] = (rotten[HEADER_SIZE + 10] as number) ^ 1;
    await fs.writeFile(file, rotten);
    const again = await PackStore.open(dir, { maxPackSize: 1 << 20 });
    expect(chunks.map((c) => again.has(c.id))).to.deep.equal([false, true, true, true, true]);
    expect(again.corrupt).to.equal(1);
    for (const c of chunks.slice(1)) expect((await again.read(c.id)).data.equals(c.data)).to.equal(true);
    expect((await fs.stat(file)).size).to.equal(before.length);
    await again.close();
  });

  it('skips a rotten header to the next record, in an older pack too, and never cuts one', async () => {
    const store = await PackStore.open(dir, { maxPackSize: 8 * 1024 });
    const chunks = Array.from({ length: 6 }, () => chunk(1500));
    for (const c of chunks) await store.put(c.id, c.data);
    await store.put(chunk().id, chunk().data);
    await store.close();
    expect((await fs.readdir(dir)).length).to.be.greaterThan(1);
    const file = path.join(dir, '00000001.pack');
    const bytes = await fs.readFile(file);
    // The second record's header rots (its CRC no longer matches).
    const second = HEADER_SIZE + 1500 + 20;
    bytes[second] = (bytes[second] as number) ^ 0xff;
    await fs.writeFile(file, bytes);
    const again = await PackStore.open(dir, { maxPackSize: 8 * 1024 });
    const [first, lost, ...rest] = chunks as { id: string; data: Buffer }[];
    expect([again.has(first?.id ?? ''), again.has(lost?.id ?? '')]).to.deep.equal([true, false]);
    for (const c of rest)
      if (again.has(c.id)) expect((await again.read(c.id)).data.equals(c.data)).to.equal(true);
    // Every chunk after the rot in this pack is still there.
    const inFirstPack = rest.filter((c) => bytes.includes(c.data));
    expect(inFirstPack.length).to.be.greaterThan(0);
    for (const c of inFirstPack) expect(again.has(c.id), c.id).to.equal(true);
    expect((await fs.stat(file)).size).to.equal(bytes.length);
    await again.close();
  });

  it('trusts no size of a header found by searching: one inside a chunk skips no real record', async () => {
    const store = await PackStore.open(dir, { maxPackSize: 1 << 20 });
    const [a, c] = [chunk(1000), chunk(1000)];
    // b's bytes hold what looks like a record header whose size reaches the end of the pack.
    // (The rest of b's bytes, then c's header and bytes.)
    const fakeSize = 500 + HEADER_SIZE + 1000;
    const bData = Buffer.concat([encodeHeader(CHUNK_RECORD, chunk().id, fakeSize), randomBytes(500)]);
    const b = { id: createHash('sha256').update(bData).digest('hex'), data: bData };
    for (const x of [a, b, c]) await store.put(x.id, x.data);
    await store.close();
    const file = path.join(dir, '00000001.pack');
    const bytes = await fs.readFile(file);
    // The fake header's payload ends exactly where the pack does.
    expect(HEADER_SIZE + 1000 + HEADER_SIZE + HEADER_SIZE + fakeSize).to.equal(bytes.length);
    // b's own header rots: the search lands on the fake one first.
    bytes[HEADER_SIZE + 1000 + 20] = (bytes[HEADER_SIZE + 1000 + 20] as number) ^ 0xff;
    await fs.writeFile(file, bytes);
    const again = await PackStore.open(dir, { maxPackSize: 1 << 20 });
    expect([again.has(a.id), again.has(b.id), again.has(c.id)]).to.deep.equal([true, false, true]);
    expect((await again.read(c.id)).data.equals(c.data)).to.equal(true);
    expect((await fs.stat(file)).size).to.equal(bytes.length);
    await again.close();
  });

  it("cuts a failed batch's bytes off, so none of its records comes back on the next open", async () => {
    const store = await PackStore.open(dir, { maxPackSize: 1 << 20 });
    const [x, w, p] = [chunk(4000), chunk(4000), chunk()];
    await store.put(x.id, x.data);
    // The disk fails the fdatasync of a batch holding a write of w and the tombstone of x (both
    // queued while an earlier batch is out).
    const handle = (store as unknown as { active: { handle: fs.FileHandle } }).active.handle;
    const datasync = handle.datasync.bind(handle);
    let syncs = 0;
    handle.datasync = async () => {
      if (++syncs === 2) throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
      return datasync();
    };
    const earlier = store.put(p.id, p.data);
    const failed = store.put(w.id, w.data).catch((err: Error) => err.message);
    expect(store.delete(x.id)).to.equal(true);
    await earlier;
    expect(await failed).to.match(/EIO/);
    handle.datasync = datasync;
    // x written again (acknowledged), as long as w's record was: it must not be followed by the
    // failed batch's tombstone.
    await store.put(x.id, x.data);
    await store.close();
    const again = await PackStore.open(dir, { maxPackSize: 1 << 20 });
    expect([again.has(x.id), again.has(w.id)]).to.deep.equal([true, false]);
    await again.close();
  });

  it('takes no more appends when a failed batch cannot be cut off', async () => {
    const store = await PackStore.open(dir, { maxPackSize: 1 << 20 });
    const [a, b, c] = [chunk(), chunk(), chunk()];
    await store.put(a.id, a.data);
    const handle = (store as unknown as { active: { handle: fs.FileHandle } }).active.handle;
    const eio = async () => {
      throw Object.assign(new Error('EIO: i/o error'), { code: 'EIO' });
    };
    handle.datasync = eio;
    handle.truncate = eio;
    expect(await store.put(b.id, b.data).catch((err: Error) => err.message)).to.match(/EIO/);
    const refused = await store.put(c.id, c.data).then(
      () => undefined,
      (err: { code: string; message: string }) => err,
    );
    expect(refused?.code).to.equal('unavailable');
    expect(refused?.message).to.match(/no more writes until the node restarts/);
    expect((await store.read(a.id)).data.equals(a.data)).to.equal(true);
    await store.close();
  });

  it('moves on to a new pack when one is full, and compacts mostly dead packs', async () => {
    const store = await PackStore.open(dir, { maxPackSize: 16 * 1024 });
    const chunks = Array.from({ length: 12 }, () => chunk(4000));
    for (const c of chunks) await store.put(c.id, c.data);
    expect((await fs.readdir(dir)).length).to.be.greaterThan(2);
    // Most of the early chunks go; compaction keeps the rest and frees the old packs.
    for (const c of chunks.slice(0, 7)) store.delete(c.id);
    const packsBefore = (await fs.readdir(dir)).length;
    expect(await store.compact()).to.be.greaterThan(0);
    expect((await fs.readdir(dir)).length).to.be.lessThan(packsBefore + 1);
    for (const c of chunks.slice(7)) expect((await store.read(c.id)).data.equals(c.data)).to.equal(true);
    for (const c of chunks.slice(0, 7)) expect(store.has(c.id)).to.equal(false);
    await store.close();
    const again = await PackStore.open(dir, { maxPackSize: 16 * 1024 });
    expect(new Set(again.ids())).to.deep.equal(new Set(chunks.slice(7).map((c) => c.id)));
    await again.close();
  });

  it('keeps a chunk deleted after compaction removes the pack holding its tombstone', async () => {
    const options = { maxPackSize: 16 * 1024 };
    const store = await PackStore.open(dir, options);
    // Pack 1: A and two live chunks, so it stays mostly live after A is deleted.
    const [a, b, c] = [chunk(4000), chunk(7000), chunk(7000)];
    for (const x of [a, b, c]) await store.put(x.id, x.data);
    // Pack 2: A's tombstone and D, which then dies (its tombstone goes to pack 3): pack 2 is all dead.
    const [d, e] = [chunk(20000), chunk(1000)];
    store.delete(a.id);
    await store.put(d.id, d.data);
    store.delete(d.id);
    await store.put(e.id, e.data);
    expect((await fs.readdir(dir)).sort()).to.deep.equal(['00000001.pack', '00000002.pack', '00000003.pack']);
    expect(await store.compact()).to.equal(1);
    expect((await fs.readdir(dir)).sort()).to.deep.equal(['00000001.pack', '00000003.pack']);
    await store.close();
    const again = await PackStore.open(dir, options);
    expect(again.has(a.id)).to.equal(false);
    expect(again.has(d.id)).to.equal(false);
    expect(new Set(again.ids())).to.deep.equal(new Set([b.id, c.id, e.id]));
    await again.close();
  });

  it('carries no tombstone forward over a chunk stored again since', async () => {
    const options = { maxPackSize: 16 * 1024 };
    const store = await PackStore.open(dir, options);
    const [a, b, c, d] = [chunk(4000), chunk(7000), chunk(7000), chunk(20000)];
    for (const x of [a, b, c]) await store.put(x.id, x.data);
    store.delete(a.id);
    await store.put(d.id, d.data);
    store.delete(d.id);
    // A is stored again (in pack 3) before pack 2, with A's tombstone, is compacted.
    await store.put(a.id, a.data);
    expect(await store.compact()).to.equal(1);
    expect((await store.read(a.id)).data.equals(a.data)).to.equal(true);
    await store.close();
    const again = await PackStore.open(dir, options);
    expect(new Set(again.ids())).to.deep.equal(new Set([a.id, b.id, c.id]));
    await again.close();
  });

  it('drops the chunks of a pack file removed behind its back', async () => {
    const store = await PackStore.open(dir, { maxPackSize: 4 * 1024 });
    const [a, b] = [chunk(6000), chunk(6000)];
    await store.put(a.id, a.data);
    await store.put(b.id, b.data);
    await fs.rm(path.join(dir, '00000001.pack'));
    expect(await store.vanished()).to.deep.equal([a.id]);
    expect(store.has(a.id)).to.equal(false);
    expect(store.has(b.id)).to.equal(true);
    await store.close();
  });

  it('numbers a new pack after every other when the newest one vanished', async () => {
    const options = { maxPackSize: 4 * 1024 };
    const store = await PackStore.open(dir, options);
    const [a, b, c] = [chunk(6000), chunk(6000), chunk(6000)];
    await store.put(a.id, a.data);
    await store.put(b.id, b.data);
    await fs.rm(path.join(dir, '00000002.pack'));
    expect(await store.vanished()).to.deep.equal([b.id]);
    await store.put(c.id, c.data);
    // Appended to a new pack 3, not a second pack 1 (refused) or one sorting before another.
    expect((await fs.readdir(dir)).sort()).to.deep.equal(['00000001.pack', '00000003.pack']);
    await store.delete(a.id);
    await store.close();
    const again = await PackStore.open(dir, options);
    expect([...again.ids()]).to.deep.equal([c.id]);
    expect((await again.read(c.id)).data.equals(c.data)).to.equal(true);
    await again.close();
  });
});
