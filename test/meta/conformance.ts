// The conformance suite every metadata backend runs (memory, LMDB, PostgreSQL): the namespace,
// listing, reference counts, leases, collection, multipart uploads, locks and leadership.

import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { COMMIT_REPLAY_WINDOW, EXPIRE_BATCH } from '../../src/meta/rules.js';
import type { MetaStore } from '../../src/meta/store.js';
import type { CommitIntent, ListEntry, ListQuery } from '../../src/meta/types.js';
import type { DfsError } from '../../src/protocol/errors.js';
import type { ChunkRef } from '../../src/protocol/types.js';

/** Opens a fresh, empty store; `close` removes whatever it made. */
export type StoreFactory = () => Promise<{ store: MetaStore; close(): Promise<void> }>;

const T0 = 1_700_000_000_000;
const TTL = 60_000;

/** A chunk reference for `text`. */
export function chunk(text: string): ChunkRef {
  return { id: createHash('sha256').update(text).digest('hex'), size: text.length };
}

function intent(path: string, chunks: ChunkRef[], extra: Partial<CommitIntent> = {}): CommitIntent {
  const size = chunks.reduce((n, c) => n + c.size, 0);
  return {
    path,
    size,
    sha256: createHash('sha256').update(path).digest('hex'),
    contentType: 'application/octet-stream',
    metadata: {},
    attributes: {},
    chunks,
    ...extra,
  };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    return (err as DfsError).code;
  }
  return 'ok';
}

const keyOf = (e: ListEntry) => (e.kind === 'file' ? e.file.path : e.folder.path);

/** Runs the suite against stores made by `factory`. */
export function metaStoreConformance(name: string, factory: StoreFactory): void {
  describe(`metadata store conformance: ${name}`, function () {
    this.timeout(60_000);
    let store: MetaStore;
    let close: () => Promise<void>;
    let uploads = 0;

    beforeEach(async () => {
      ({ store, close } = await factory());
    });
    afterEach(async () => {
      await close();
    });

    /** Leases `chunks` to a fresh upload and commits them at `path`. */
    async function put(path: string, texts: string[], extra: Partial<CommitIntent> = {}) {
      const refs = texts.map(chunk);
      const uploadId = `upload-${++uploads}`;
      await store.lease(uploadId, refs, TTL, T0);
      return store.commit(intent(path, refs, { uploadId, ...extra }), T0);
    }

    async function listAll(query: Omit<ListQuery, 'limit'>, limit: number): Promise<string[]> {
      const keys: string[] = [];
      let after: string | undefined;
      for (let pages = 0; pages < 10_000; pages++) {
        const page = await store.list({ ...query, after, limit });
        expect(page.entries.length).to.be.at.most(limit);
        keys.push(...page.entries.map(keyOf));
        if (!page.next) return keys;
        after = page.next;
      }
      throw new Error('listing did not end');
    }

    describe('files', () => {
      it('commits a file, reads it back with a growing generation, and counts it', async () => {
        const a = await put('/docs/a.txt', ['one', 'two'], {
          contentType: 'text/plain',
          metadata: { k: 'v' },
        });
        const got = await store.getFile('/docs/a.txt');
        expect(got).to.deep.include({ path: '/docs/a.txt', size: 6, contentType: 'text/plain' });
        expect(got?.metadata).to.deep.equal({ k: 'v' });
        expect(got?.chunks).to.deep.equal([chunk('one'), chunk('two')]);
        const b = await put('/docs/a.txt', ['three']);
        expect(b.file.generation).to.be.greaterThan(a.file.generation);
        expect(b.previous?.generation).to.equal(a.file.generation);
        expect(await store.totals()).to.deep.equal({ files: 1, logicalBytes: 5 });
        await put('/docs/b.txt', ['four']);
        expect(await store.totals()).to.deep.equal({ files: 2, logicalBytes: 9 });
      });

      it('replaces atomically: the old version stops referencing its chunks', async () => {
        await put('/r', ['old']);
        await put('/r', ['new']);
        const rows = await store.getChunks([chunk('old').id, chunk('new').id]);
        expect(rows.get(chunk('old').id)?.refs).to.equal(0);
        expect(rows.get(chunk('new').id)?.refs).to.equal(1);
        expect((await store.getFile('/r'))?.chunks).to.deep.equal([chunk('new')]);
      });

      it('refuses a file below a file, and a file where a folder is', async () => {
        await put('/f', ['x']);
        expect(await codeOf(put('/f/g', ['y']))).to.equal('conflict');
        await put('/d/inner', ['z']);
        expect(await codeOf(put('/d', ['w']))).to.equal('conflict');
        await store.mkdir('/empty/', T0);
        expect(await codeOf(put('/empty', ['w']))).to.equal('conflict');
        expect(await store.getFile('/f/g')).to.equal(undefined);
      });

      it('honours generation conditions', async () => {
        expect(await codeOf(put('/c', ['1'], { ifGeneration: 5 }))).to.equal('precondition_failed');
        const first = await put('/c', ['1'], { ifGeneration: 0 });
        expect(await codeOf(put('/c', ['2'], { ifGeneration: 0 }))).to.equal('precondition_failed');
        expect(await codeOf(put('/c', ['2'], { ifNotGeneration: first.file.generation }))).to.equal(
          'precondition_failed',
        );
        const second = await put('/c', ['2'], { ifGeneration: first.file.generation });
        expect(await codeOf(store.remove('/c', { ifGeneration: first.file.generation }, T0))).to.equal(
          'precondition_failed',
        );
        await store.remove('/c', { ifGeneration: second.file.generation }, T0);
        expect(await store.getFile('/c')).to.equal(undefined);
      });

      it('answers a retried commit of the same upload again without a new version', async () => {
        const refs = [chunk('retry')];
        await store.lease('retry-upload', refs, TTL, T0);
        const first = await store.commit(intent('/retry', refs, { uploadId: 'retry-upload' }), T0);
        const again = await store.commit(intent('/retry', refs, { uploadId: 'retry-upload' }), T0 + 5);
        expect(again.replayed).to.equal(true);
        expect(again.file.generation).to.equal(first.file.generation);
        expect((await store.getChunks([refs[0]?.id as string])).get(refs[0]?.id as string)?.refs).to.equal(1);
      });

      it('answers a commit sent again after another replaced the file as the version it made, changing nothing', async () => {
        // An empty file: no chunk could tell that its commit already happened.
        await store.lease('empty-upload', [], TTL, T0);
        const empty = intent('/e', [], { uploadId: 'empty-upload' });
        const first = await store.commit(empty, T0);
        const newer = await put('/e', ['newer']);
        const again = await store.commit(empty, T0 + 5);
        expect(again.replayed).to.equal(true);
        expect(again.file).to.deep.include({ path: '/e', generation: first.file.generation, created: T0 });
        expect((await store.getFile('/e'))?.generation).to.equal(newer.file.generation);
        const tombstone = await store.getLease('empty-upload');
        expect(tombstone?.state).to.equal('committed');
        expect(tombstone?.committed).to.deep.include({
          path: '/e',
          generation: first.file.generation,
          created: T0,
        });
        // A file whose chunks a copy still references.
        const refs = [chunk('shared')];
        await store.lease('shared-upload', refs, TTL, T0);
        const original = intent('/s', refs, { uploadId: 'shared-upload' });
        const made = await store.commit(original, T0);
        await store.lease('copy-upload', [], TTL, T0);
        await store.commit(intent('/copy', refs, { uploadId: 'copy-upload' }), T0);
        const replaced = await put('/s', ['replacement']);
        const resent = await store.commit(original, T0 + 5);
        expect(resent).to.deep.include({ replayed: true });
        expect(resent.file.generation).to.equal(made.file.generation);
        expect((await store.getFile('/s'))?.generation).to.equal(replaced.file.generation);
        expect((await store.getChunks([chunk('shared').id])).get(chunk('shared').id)?.refs).to.equal(1);
        expect(await store.totals()).to.deep.equal({ files: 3, logicalBytes: 5 + 6 + 11 });
        // The same upload cannot commit somewhere else, nor other bytes.
        expect(await codeOf(store.commit({ ...original, path: '/elsewhere' }, T0 + 5))).to.equal('conflict');
        expect(await store.getFile('/elsewhere')).to.equal(undefined);
        const other = intent('/s', [chunk('replacement')], { uploadId: 'shared-upload' });
        expect(await codeOf(store.commit(other, T0 + 5))).to.equal('conflict');
        expect((await store.getFile('/s'))?.generation).to.equal(replaced.file.generation);
      });

      it('refuses a different commit under an upload id that already committed (two completes of one upload)', async () => {
        const [one, two, three] = [chunk('part one'), chunk('part two'), chunk('part three')];
        await store.lease('one-upload', [one, two, three], TTL, T0);
        const first = await store.commit(intent('/mp', [one, two], { uploadId: 'one-upload' }), T0);
        const other = store.commit(intent('/mp', [one, three], { uploadId: 'one-upload' }), T0 + 1);
        expect(await codeOf(other)).to.equal('conflict');
        expect(await store.getFile('/mp')).to.deep.include({ generation: first.file.generation });
        expect((await store.getFile('/mp'))?.chunks).to.deep.equal([one, two]);
        const same = await store.commit(intent('/mp', [one, two], { uploadId: 'one-upload' }), T0 + 2);
        expect(same).to.deep.include({ replayed: true });
      });

      it('applies one of the commits of one upload sent at once to several paths', async () => {
        for (const [round, refs] of [[], [chunk('one copy')]].entries()) {
          const id = `many-paths-${round}`;
          await store.lease(id, refs, TTL, T0);
          const paths = Array.from({ length: 8 }, (_, i) => `/many${round}/${i}`);
          const results = await Promise.all(
            paths.map((path) => codeOf(store.commit(intent(path, refs, { uploadId: id }), T0))),
          );
          expect(results.filter((r) => r === 'ok')).to.have.length(1);
          expect(results.filter((r) => r !== 'ok')).to.deep.equal(Array(7).fill('conflict'));
          const made = await Promise.all(paths.map((path) => store.getFile(path)));
          expect(made.filter(Boolean)).to.have.length(1);
          expect((await store.getLease(id))?.committed?.path).to.equal(paths[results.indexOf('ok')]);
        }
      });

      it('forgets a committed upload after a while, and then refuses its commit however late it comes', async () => {
        await store.lease('old-upload', [], TTL, T0);
        const empty = intent('/forgotten', [], { uploadId: 'old-upload' });
        await store.commit(empty, T0);
        const newer = await put('/forgotten', ['newer']);
        await store.expireLeases(T0 + COMMIT_REPLAY_WINDOW - 1);
        expect((await store.commit(empty, T0 + COMMIT_REPLAY_WINDOW - 1)).replayed).to.equal(true);
        await store.expireLeases(T0 + COMMIT_REPLAY_WINDOW + 1);
        expect(await store.getLease('old-upload')).to.equal(undefined);
        // A commit held up past that (in a master frozen while its client's resend went elsewhere)
        // is not applied over what was written since; nor is one of an upload never begun.
        expect(await codeOf(store.commit(empty, T0 + 2 * COMMIT_REPLAY_WINDOW))).to.equal('conflict');
        expect((await store.getFile('/forgotten'))?.generation).to.equal(newer.file.generation);
        const unbegun = intent('/unbegun', [], { uploadId: 'never-leased' });
        expect(await codeOf(store.commit(unbegun, T0))).to.equal('conflict');
        expect(await store.getFile('/unbegun')).to.equal(undefined);
      });

      it('removes files, and refuses to remove a folder as a file', async () => {
        await put('/x/y', ['1']);
        expect(await codeOf(store.remove('/x', {}, T0))).to.equal('conflict');
        expect(await codeOf(store.remove('/nope', {}, T0))).to.equal('not_found');
        await store.remove('/x/y', {}, T0);
        expect(await store.totals()).to.deep.equal({ files: 0, logicalBytes: 0 });
        expect(await store.getFolder('/x/')).to.equal(undefined);
      });

      it('answers a remove, move, rmdir or removeTree sent again under its id as the first time, doing it once', async () => {
        await put('/once/a', ['a']);
        const removed = await store.remove('/once/a', { op: 'op-remove' }, T0);
        const newer = await put('/once/a', ['a2']);
        expect(await store.remove('/once/a', { op: 'op-remove' }, T0)).to.deep.equal(removed);
        expect((await store.getFile('/once/a'))?.generation).to.equal(newer.file.generation);
        await put('/once/m', ['m']);
        const move = () => store.move('/once/m', '/once/n', { overwrite: false, op: 'op-move' }, T0);
        expect(await move()).to.deep.equal({ moved: 1 });
        expect(await move()).to.deep.equal({ moved: 1 });
        expect(await store.getFile('/once/n')).to.not.equal(undefined);
        await store.mkdir('/once/d/', T0);
        await store.rmdir('/once/d/', { op: 'op-rmdir' }, T0);
        await store.rmdir('/once/d/', { op: 'op-rmdir' }, T0);
        await store.mkdir('/once/k/', T0);
        await put('/once/k/in', ['k']);
        await store.rmdir('/once/k/', { keepContents: true, op: 'op-rmdir-keep' }, T0);
        await store.rmdir('/once/k/', { keepContents: true, op: 'op-rmdir-keep' }, T0);
        expect((await store.getFolder('/once/k/'))?.explicit).to.equal(false);
        await put('/once/t/x', ['x']);
        await put('/once/t/y/z', ['z']);
        expect(await store.removeTree('/once/t/', T0, { op: 'op-tree' })).to.equal(2);
        expect(await store.removeTree('/once/t/', T0, { op: 'op-tree' })).to.equal(2);
        expect(await store.totals()).to.deep.equal({ files: 3, logicalBytes: 4 });
        // An id that came with another call is refused, and that call does nothing.
        expect(await codeOf(store.remove('/once/n', { op: 'op-move' }, T0))).to.equal('conflict');
        expect(await store.getFile('/once/n')).to.not.equal(undefined);
        // A call that failed keeps nothing under its id: sent again, it runs again.
        expect(await codeOf(store.remove('/once/late', { op: 'op-late' }, T0))).to.equal('not_found');
        await put('/once/late', ['l']);
        await store.remove('/once/late', { op: 'op-late' }, T0);
        expect(await store.getFile('/once/late')).to.equal(undefined);
        // Past the window the answer is forgotten: the id is a new call.
        await store.expireLeases(T0 + COMMIT_REPLAY_WINDOW - 1);
        expect(await store.remove('/once/a', { op: 'op-remove' }, T0)).to.deep.equal(removed);
        await store.expireLeases(T0 + COMMIT_REPLAY_WINDOW + 1);
        const now = T0 + COMMIT_REPLAY_WINDOW + 2;
        expect((await store.remove('/once/a', { op: 'op-remove' }, now)).generation).to.equal(
          newer.file.generation,
        );
        // The same call arriving twice at once (through two masters) is done once.
        await put('/once/both', ['b']);
        const both = () => store.remove('/once/both', { op: 'op-both' }, now);
        const [one, two] = await Promise.all([both(), both()]);
        expect(two).to.deep.equal(one);
        expect(await store.totals()).to.deep.equal({ files: 2, logicalBytes: 2 });
      });

      it('one winner among concurrent commits to one path, and never both of /a and /a/b', async () => {
        const results = await Promise.all(
          Array.from({ length: 8 }, (_, i) => codeOf(put('/race', [`r${i}`], { ifGeneration: 0 }))),
        );
        expect(results.filter((r) => r === 'ok')).to.have.length(1);
        for (let round = 0; round < 5; round++) {
          const both = await Promise.all([
            codeOf(put(`/p${round}`, ['a'])),
            codeOf(put(`/p${round}/b`, ['b'])),
          ]);
          expect(both.filter((r) => r === 'ok')).to.have.length(1);
        }
      });
    });

    describe('folders and listing', () => {
      it('lists children page by page in UTF-8 byte order, files and folders merged', async () => {
        const names = ['b', 'a b', 'ä', 'é', 'z', '😀', 'B', '\uFFFD', 'a-', 'a.txt', 'a0'];
        for (const n of names) await put(`/o/${n}`, [n]);
        await put('/o/a/deep/file', ['deep']);
        await store.mkdir('/o/empty/', T0);
        const expected = [...names.map((n) => `/o/${n}`), '/o/a/', '/o/empty/'].sort((x, y) =>
          Buffer.compare(Buffer.from(x), Buffer.from(y)),
        );
        for (const limit of [1, 2, 3, 100]) {
          expect(await listAll({ prefix: '/o/', delimiter: true }, limit), `limit ${limit}`).to.deep.equal(
            expected,
          );
        }
        const page = await store.list({ prefix: '/o/', delimiter: true, limit: 100 });
        const folders = page.entries.filter((e) => e.kind === 'folder');
        expect(folders.map((f) => (f.kind === 'folder' ? f.folder.explicit : undefined))).to.deep.equal([
          false,
          true,
        ]);
      });

      it('lists every file and explicit folder below a prefix, and any name prefix', async () => {
        await put('/t/a/1', ['1']);
        await put('/t/a/2', ['2']);
        await put('/t/ab', ['3']);
        await put('/t/b/c/3', ['4']);
        await store.mkdir('/t/e/', T0);
        expect(await listAll({ prefix: '/t/', delimiter: false }, 2)).to.deep.equal([
          '/t/a/1',
          '/t/a/2',
          '/t/ab',
          '/t/b/c/3',
          '/t/e/',
        ]);
        expect(await listAll({ prefix: '/t/', delimiter: false, filesOnly: true }, 2)).to.deep.equal([
          '/t/a/1',
          '/t/a/2',
          '/t/ab',
          '/t/b/c/3',
        ]);
        // A page that ends before a folder row only (skipped here) says no more pages follow.
        const files = await store.list({ prefix: '/t/', delimiter: false, filesOnly: true, limit: 4 });
        expect([files.entries.length, files.next]).to.deep.equal([4, undefined]);
        expect(await listAll({ prefix: '/t/a', delimiter: true }, 1)).to.deep.equal(['/t/a/', '/t/ab']);
        // A name prefix equal to a whole file name finds that file.
        expect(await listAll({ prefix: '/t/ab', delimiter: true }, 5)).to.deep.equal(['/t/ab']);
        expect(await listAll({ prefix: '/t/b/', delimiter: true }, 5)).to.deep.equal(['/t/b/c/']);
        const withChunks = await store.list({ prefix: '/t/a/', delimiter: true, limit: 5, withChunks: true });
        const first = withChunks.entries[0];
        expect(first?.kind === 'file' && first.file.chunks).to.deep.equal([chunk('1')]);
        const without = await store.list({ prefix: '/t/a/', delimiter: true, limit: 5 });
        const bare = without.entries[0];
        expect(bare?.kind === 'file' && bare.file.chunks).to.equal(undefined);
        expect(bare?.kind === 'file' && bare.file.chunkCount).to.equal(1);
      });

      it('pages a large folder in flat time per page', async () => {
        for (let i = 0; i < 3000; i += 500) {
          await Promise.all(
            Array.from({ length: 500 }, (_, j) => put(`/big/f${String(i + j).padStart(5, '0')}`, ['x'])),
          );
        }
        expect(await listAll({ prefix: '/big/', delimiter: true }, 1000)).to.have.length(3000);
        const last = await store.list({
          prefix: '/big/',
          delimiter: true,
          after: '/big/f02990',
          limit: 1000,
        });
        expect(last.entries).to.have.length(9);
        expect(last.next).to.equal(undefined);
      });

      it('makes explicit folders that stay when emptied; removes only empty ones', async () => {
        await store.mkdir('/m/n/o/', T0);
        expect((await store.getFolder('/m/'))?.explicit).to.equal(true);
        await put('/m/n/o/f', ['f']);
        expect(await codeOf(store.rmdir('/m/n/o/'))).to.equal('conflict');
        await store.remove('/m/n/o/f', {}, T0);
        await store.rmdir('/m/n/o/');
        expect(await codeOf(store.rmdir('/m/n/o/'))).to.equal('not_found');
        expect(await store.getFolder('/m/n/')).to.include({ explicit: true });
        // keepContents drops only the folder's own entry; what is below stays and implies it.
        await store.mkdir('/m/k/', T0);
        await put('/m/k/f', ['f']);
        await store.rmdir('/m/k/', { keepContents: true });
        expect(await store.getFolder('/m/k/')).to.include({ explicit: false });
        expect((await store.getFile('/m/k/f'))?.size).to.equal(chunk('f').size);
        expect(await codeOf(store.rmdir('/m/k/', { keepContents: true }))).to.equal('not_found');
        await store.mkdir('/m/e/', T0);
        await store.rmdir('/m/e/', { keepContents: true });
        expect(await store.getFolder('/m/e/')).to.equal(undefined);
        // impliedParents makes only the folder itself explicit.
        await store.mkdir('/p/q/r/', T0, { impliedParents: true });
        expect(await store.getFolder('/p/q/r/')).to.include({ explicit: true });
        expect(await store.getFolder('/p/q/')).to.include({ explicit: false });
        expect(await store.getFolder('/p/')).to.include({ explicit: false });
        await store.rmdir('/p/q/r/');
        expect(await store.getFolder('/p/')).to.equal(undefined);
        await put('/p/file', ['f']);
        expect(await codeOf(store.mkdir('/p/file/x/', T0, { impliedParents: true }))).to.equal('conflict');
        expect(await codeOf(store.mkdir('/p/file/', T0, { impliedParents: true }))).to.equal('conflict');
        await put('/file', ['f']);
        expect(await codeOf(store.mkdir('/file/', T0))).to.equal('conflict');
        expect(await codeOf(store.mkdir('/file/sub/', T0))).to.equal('conflict');
      });

      it('removes a whole tree in one transaction', async () => {
        await put('/tree/a', ['a']);
        await put('/tree/b/c', ['c']);
        await store.mkdir('/tree/d/', T0);
        expect(await store.removeTree('/tree/', T0)).to.equal(2);
        expect(await store.getFolder('/tree/')).to.equal(undefined);
        expect(await store.totals()).to.deep.equal({ files: 0, logicalBytes: 0 });
        expect((await store.getChunks([chunk('c').id])).get(chunk('c').id)?.refs).to.equal(0);
      });

      it('moves a file, and a folder of thousands of files atomically', async () => {
        await put('/mv/a', ['a']);
        await store.move('/mv/a', '/mv/b', { overwrite: false }, T0);
        expect(await store.getFile('/mv/a')).to.equal(undefined);
        expect((await store.getFile('/mv/b'))?.path).to.equal('/mv/b');
        await put('/mv/c', ['c']);
        expect(await codeOf(store.move('/mv/c', '/mv/b', { overwrite: false }, T0))).to.equal('conflict');
        await store.move('/mv/c', '/mv/b', { overwrite: true }, T0);
        expect(await store.totals()).to.deep.equal({ files: 1, logicalBytes: 1 });
        for (let i = 0; i < 3000; i += 500) {
          await Promise.all(
            Array.from({ length: 500 }, (_, j) => put(`/src/d${(i + j) % 7}/f${i + j}`, ['x'])),
          );
        }
        await store.mkdir('/src/empty/', T0);
        expect(await store.move('/src', '/dst/in', { overwrite: false }, T0)).to.deep.equal({ moved: 3000 });
        expect(await store.getFolder('/src/')).to.equal(undefined);
        expect(await listAll({ prefix: '/dst/in/', delimiter: false }, 1000)).to.have.length(3001);
        expect((await store.getFile('/dst/in/d1/f1'))?.path).to.equal('/dst/in/d1/f1');
        expect(await codeOf(store.move('/dst', '/dst/in/deeper', { overwrite: false }, T0))).to.equal(
          'bad_request',
        );
        expect(await codeOf(store.move('/dst/in', '/mv/b', { overwrite: false }, T0))).to.equal('conflict');
        expect(await codeOf(store.move('/nothing', '/x', { overwrite: false }, T0))).to.equal('not_found');
      });

      it('refuses a move that would make a path too long, and moves nothing', async () => {
        const long = 'n'.repeat(200);
        // A short path sorts first: a store that moved it before refusing the long one must undo it.
        await put('/l/a', ['a']);
        await put(`/l/${long}/${long}/${long}/${long}/f`, ['f']);
        const to = `/${'m'.repeat(250)}`;
        expect(await codeOf(store.move('/l', to, { overwrite: false }, T0))).to.equal('bad_request');
        expect(await store.getFolder('/l/')).to.not.equal(undefined);
        expect(await store.getFolder(`${to}/`)).to.equal(undefined);
        expect((await store.getFile('/l/a'))?.path).to.equal('/l/a');
        expect(await store.getFile(`${to}/a`)).to.equal(undefined);
      });

      it('keeps attributes of files and folders', async () => {
        await put('/p', ['p'], { attributes: { a: '1' } });
        await store.setAttributes('/p', { set: { b: '2' }, remove: ['a'] });
        expect((await store.getFile('/p'))?.attributes).to.deep.equal({ b: '2' });
        await put('/q/file', ['q']);
        await store.setAttributes('/q/', { set: { c: '3' }, remove: [] });
        expect(await store.getFolder('/q/')).to.deep.include({ explicit: true, attributes: { c: '3' } });
        expect(await codeOf(store.setAttributes('/none', { set: {}, remove: [] }))).to.equal('not_found');
      });
    });

    describe('chunks, leases and collection', () => {
      it('counts references, never below zero', async () => {
        await put('/s1', ['shared']);
        await put('/s2', ['shared', 'shared']);
        const id = chunk('shared').id;
        expect((await store.getChunks([id])).get(id)?.refs).to.equal(3);
        await store.remove('/s1', {}, T0);
        await store.remove('/s2', {}, T0 + 10);
        const row = (await store.getChunks([id])).get(id);
        expect(row).to.deep.include({ refs: 0, pins: 0, zeroSince: T0 + 10 });
        expect(await codeOf(store.remove('/s2', {}, T0))).to.equal('not_found');
        expect((await store.getChunks([id])).get(id)?.refs).to.equal(0);
      });

      it('refuses a commit naming a chunk that is neither referenced nor leased to the upload', async () => {
        const c = chunk('unleased');
        expect(await codeOf(store.commit(intent('/u', [c]), T0))).to.equal('conflict');
        await store.lease('someone-else', [c], TTL, T0);
        expect(await codeOf(store.commit(intent('/u', [c], { uploadId: 'mine' }), T0))).to.equal('conflict');
        await put('/v', ['unleased']);
        // Now referenced by a file: any commit may name it (a copy moves no data).
        await store.commit(intent('/copy', [c]), T0);
        expect((await store.getChunks([c.id])).get(c.id)?.refs).to.equal(2);
      });

      it("moves a commit's chunks from its lease to the file, and unpins what the file does not name", async () => {
        const [a, b, spare] = [chunk('take-a'), chunk('take-b'), chunk('take-spare')];
        await store.lease('mixed', [a, b, spare], TTL, T0);
        await store.lease('other', [b], TTL, T0);
        await store.commit(intent('/taken', [a, a, b], { uploadId: 'mixed' }), T0 + 5);
        const rows = await store.getChunks([a.id, b.id, spare.id]);
        expect(rows.get(a.id)).to.deep.include({ refs: 2, pins: 0, zeroSince: 0 });
        // Still pinned by the other upload's lease.
        expect(rows.get(b.id)).to.deep.include({ refs: 1, pins: 1, zeroSince: 0 });
        expect(rows.get(spare.id)).to.deep.include({ refs: 0, pins: 0, zeroSince: T0 + 5 });
        // The file's chunks are its own now: the other upload's commit of them still applies,
        // and no pin is left behind by either.
        await store.commit(intent('/again', [b], { uploadId: 'other' }), T0 + 6);
        expect((await store.getChunks([b.id])).get(b.id)).to.deep.include({ refs: 2, pins: 0 });
      });

      it('expires an idle lease: its late commit is refused, its chunks unpinned', async () => {
        const c = chunk('idle');
        await store.lease('idle-upload', [c], TTL, T0);
        expect((await store.getChunks([c.id])).get(c.id)?.pins).to.equal(1);
        expect(await store.expireLeases(T0 + TTL - 1)).to.equal(0);
        await store.lease('idle-upload', [c], TTL, T0 + TTL - 1);
        expect(await store.expireLeases(T0 + TTL + 10)).to.equal(0);
        expect(await store.expireLeases(T0 + 2 * TTL)).to.equal(1);
        expect((await store.getLease('idle-upload'))?.state).to.equal('expired');
        expect((await store.getChunks([c.id])).get(c.id)).to.deep.include({
          pins: 0,
          zeroSince: T0 + 2 * TTL,
        });
        const late = store.commit(intent('/late', [c], { uploadId: 'idle-upload' }), T0 + 2 * TTL);
        expect(await codeOf(late)).to.equal('conflict');
        expect(await codeOf(store.lease('idle-upload', [c], TTL, T0 + 2 * TTL))).to.equal('conflict');
        // The tombstone is forgotten at last.
        await store.expireLeases(T0 + 20 * TTL);
        expect(await store.getLease('idle-upload')).to.equal(undefined);
      });

      it('ends a batch of open leases per sweep, and forgets many more tombstones in it', async () => {
        const ids = (n: number) => Array.from({ length: n }, (_, i) => i);
        await Promise.all(
          ids(EXPIRE_BATCH + 1).map((i) => store.lease(`open-${i}`, [chunk(`o${i}`)], TTL, T0)),
        );
        const tombstones = 2 * EXPIRE_BATCH;
        await Promise.all(
          ids(tombstones).map(async (i) => {
            await store.lease(`made-${i}`, [], TTL, T0);
            await store.commit(intent(`/t/${i}`, [], { uploadId: `made-${i}` }), T0);
          }),
        );
        const later = T0 + COMMIT_REPLAY_WINDOW + TTL;
        expect(await store.expireLeases(later)).to.equal(EXPIRE_BATCH);
        for (const i of [0, tombstones - 1]) expect(await store.getLease(`made-${i}`)).to.equal(undefined);
        expect(await store.expireLeases(later)).to.equal(1);
      });

      it('aborts a lease at once', async () => {
        const c = chunk('aborted');
        await store.lease('gone', [c], TTL, T0);
        await store.abortLease('gone', T0 + 1);
        expect((await store.getChunks([c.id])).get(c.id)).to.deep.include({ pins: 0, zeroSince: T0 + 1 });
        expect(await codeOf(store.commit(intent('/a', [c], { uploadId: 'gone' }), T0))).to.equal('conflict');
      });

      it('condemns only what is unreferenced, unpinned and past its grace; revives on a new lease', async () => {
        await put('/keep', ['keep']);
        await put('/drop', ['drop']);
        await store.remove('/drop', {}, T0 + 100);
        await store.lease('open', [chunk('pinned')], TTL, T0);
        const candidates = ['keep', 'drop', 'pinned', 'orphan'].map((t) => ({
          id: chunk(t).id,
          size: 1,
          absent: t === 'orphan',
        }));
        const epoch = (await store.claimLeadership('m1', 10_000, T0)).epoch;
        expect(await store.doom(candidates, 1000, T0 + 500, epoch)).to.deep.equal([chunk('orphan').id]);
        const doomed = await store.doom(candidates, 1000, T0 + 1100, epoch);
        expect(doomed).to.have.members([chunk('drop').id, chunk('orphan').id]);
        expect(await store.stillDoomed(doomed)).to.deep.equal(new Set(doomed));
        // A commit may not name a condemned chunk; a new lease revives it (to be written afresh).
        expect(await codeOf(store.commit(intent('/again', [chunk('drop')]), T0))).to.equal('conflict');
        const { revived } = await store.lease('rewrite', [chunk('drop')], TTL, T0 + 1200);
        expect(revived).to.deep.equal([chunk('drop').id]);
        expect(await store.purge(doomed, epoch)).to.deep.equal([chunk('orphan').id]);
        expect((await store.getChunks([chunk('orphan').id])).size).to.equal(0);
        // A deposed leader's epoch is refused.
        await store.claimLeadership('m2', 10_000, T0 + 20_000);
        expect(await codeOf(store.doom(candidates, 0, T0 + 20_000, epoch))).to.equal('conflict');
      });

      it('pages the chunk table', async () => {
        await put('/ct', ['1', '2', '3', '4', '5']);
        const ids: string[] = [];
        let after: string | undefined;
        for (;;) {
          const page = await store.chunkPage(after, 2);
          if (page.length === 0) break;
          ids.push(...page.map((p) => p.id));
          after = page.at(-1)?.id;
        }
        expect(ids).to.deep.equal(['1', '2', '3', '4', '5'].map((t) => chunk(t).id).sort());
      });
    });

    describe('multipart uploads', () => {
      it('keeps parts, lists uploads, and completes by one commit', async () => {
        const info = {
          path: '/mp/obj',
          initiated: T0,
          contentType: 'video/mp4',
          metadata: {},
          attributes: {},
        };
        await store.createMultipart('mp-1', info, TTL, T0);
        await store.createMultipart('mp-2', { ...info, path: '/mp/other', initiated: T0 + 1 }, TTL, T0);
        const p1 = [chunk('p1a'), chunk('p1b')];
        const p2 = [chunk('p2')];
        await store.lease('mp-1', [...p1, ...p2, chunk('stale')], TTL, T0);
        const part2 = { number: 2, size: 2, etag: '"b"', chunks: p2, lastModified: T0 };
        await store.putPart('mp-1', { ...part2, checksum: 'AAAAAA==' }, T0);
        await store.putPart('mp-1', { number: 1, size: 6, etag: '"a"', chunks: p1, lastModified: T0 }, T0);
        expect((await store.listParts('mp-1')).map((p) => [p.number, p.checksum])).to.deep.equal([
          [1, undefined],
          [2, 'AAAAAA=='],
        ]);
        // A part sent again replaces the whole record, its checksum too.
        await store.putPart('mp-1', { ...part2, checksum: 'AQIDBA==' }, T0);
        expect((await store.listParts('mp-1'))[1]).to.deep.equal({ ...part2, checksum: 'AQIDBA==' });
        expect((await store.listMultiparts('/mp/', 10)).map((l) => l.id)).to.deep.equal(['mp-1', 'mp-2']);
        expect(
          await codeOf(
            store.putPart(
              'mp-1',
              { number: 3, size: 1, etag: '"c"', chunks: [chunk('nope')], lastModified: T0 },
              T0,
            ),
          ),
        ).to.equal('conflict');
        await store.commit(
          intent('/mp/obj', [...p1, ...p2], { uploadId: 'mp-1', contentType: 'video/mp4' }),
          T0,
        );
        expect((await store.getFile('/mp/obj'))?.chunks).to.have.length(3);
        expect(await codeOf(store.listParts('mp-1'))).to.equal('not_found');
        expect((await store.listMultiparts('/mp/', 10)).map((l) => l.id)).to.deep.equal(['mp-2']);
        expect((await store.getChunks([chunk('stale').id])).get(chunk('stale').id)?.pins).to.equal(0);
        await store.abortLease('mp-2', T0);
        expect(await store.listMultiparts('/mp/', 10)).to.deep.equal([]);
      });

      it('answers a create sent again (its answer lost) without change; refuses another create under its id', async () => {
        const info = {
          path: '/mpa/obj',
          initiated: T0,
          contentType: 'text/plain',
          metadata: { a: '1', b: '2' },
          attributes: { 'content-language': 'fr' },
        };
        await store.createMultipart('mp-again', info, TTL, T0);
        // The same call later: the master stamps its own start time; key order means nothing.
        await store.createMultipart(
          'mp-again',
          { ...info, initiated: T0 + 5, metadata: { b: '2', a: '1' } },
          TTL,
          T0 + 5,
        );
        const listed = await store.listMultiparts('/mpa/', 10);
        expect(listed.map((l) => [l.id, l.multipart?.initiated])).to.deep.equal([['mp-again', T0]]);
        for (const other of [
          { ...info, path: '/mpa/other' },
          { ...info, contentType: 'text/html' },
          { ...info, metadata: { a: '1' } },
          { ...info, attributes: {} },
        ])
          expect(await codeOf(store.createMultipart('mp-again', other, TTL, T0))).to.equal('conflict');
        expect((await store.listMultiparts('/mpa/', 10)).map((l) => l.multipart)).to.deep.equal([info]);
        // An upload that ended is not opened again by a late copy of its create.
        await store.abortLease('mp-again', T0 + 6);
        expect(await codeOf(store.createMultipart('mp-again', info, TTL, T0 + 7))).to.equal('conflict');
        // Nor is a plain upload's lease taken for a multipart one.
        await store.lease('plain-lease', [chunk('pl')], TTL, T0);
        expect(await codeOf(store.createMultipart('plain-lease', info, TTL, T0))).to.equal('conflict');
      });

      it('lists open uploads by path in byte order, then by initiation', async () => {
        const info = (path: string, initiated: number) => ({
          path,
          initiated,
          contentType: 'application/octet-stream',
          metadata: {},
          attributes: {},
        });
        // A path that is a prefix of another sorts first, whatever the order of creation.
        await store.createMultipart('longer', info('/ord/a-b', T0), TTL, T0);
        await store.createMultipart('late', info('/ord/a', T0 + 5), TTL, T0);
        await store.createMultipart('early', info('/ord/a', T0 + 1), TTL, T0);
        await store.createMultipart('other', info('/ord/b', T0), TTL, T0);
        expect((await store.listMultiparts('/ord/', 10)).map((l) => l.id)).to.deep.equal([
          'early',
          'late',
          'longer',
          'other',
        ]);
        expect((await store.listMultiparts('/ord/a', 2)).map((l) => l.id)).to.deep.equal(['early', 'late']);
        // From a path on: its own uploads included, a start before the prefix changes nothing.
        const from = async (start: string) =>
          (await store.listMultiparts('/ord/', 10, start)).map((l) => l.id);
        expect(await from('/ord/a')).to.deep.equal(['early', 'late', 'longer', 'other']);
        expect(await from('/ord/a-')).to.deep.equal(['longer', 'other']);
        expect(await from('/ord/a-b\u{10FFFF}')).to.deep.equal(['other']);
        expect(await from('/')).to.deep.equal(['early', 'late', 'longer', 'other']);
        expect(await from('/ord/\u{10FFFF}')).to.deep.equal([]);
        // A bound just after a path (no path holds a control character) skips that path's uploads.
        expect(await from('/ord/a\u0001')).to.deep.equal(['longer', 'other']);
        // UTF-8 order: U+FFFD sorts before the astral characters, below the highest bound.
        await store.createMultipart('bmp', info('/ord/z\uFFFD', T0), TTL, T0);
        await store.createMultipart('astral', info('/ord/z\u{1F600}', T0), TTL, T0);
        expect(await from('/ord/z\uFFFE')).to.deep.equal(['astral']);
        expect(await from('/ord/z\u{10FFFF}')).to.deep.equal([]);
      });
    });

    describe('locks', () => {
      const lock = (root: string, scope: 'exclusive' | 'shared', depth: 0 | 'infinity', token: string) => ({
        token,
        root,
        depth,
        scope,
        owner: '',
        timeoutSeconds: 60,
        expires: T0 + 60_000,
      });

      it('refuses conflicting locks, allows shared ones, and covers descendants at depth infinity', async () => {
        await store.createLock(lock('/l/f', 'exclusive', 0, 'urn:uuid:1'), T0);
        expect(await codeOf(store.createLock(lock('/l/f', 'shared', 0, 'urn:uuid:2'), T0))).to.equal(
          'locked',
        );
        await store.createLock(lock('/s', 'shared', 0, 'urn:uuid:3'), T0);
        await store.createLock(lock('/s', 'shared', 0, 'urn:uuid:4'), T0);
        expect(
          await codeOf(store.createLock(lock('/l/', 'exclusive', 'infinity', 'urn:uuid:5'), T0)),
        ).to.equal('locked');
        await store.createLock(lock('/l/', 'exclusive', 0, 'urn:uuid:6'), T0);
        await store.createLock(lock('/d/', 'exclusive', 'infinity', 'urn:uuid:7'), T0);
        expect(await codeOf(store.createLock(lock('/d/x/y', 'exclusive', 0, 'urn:uuid:8'), T0))).to.equal(
          'locked',
        );
        expect((await store.locksFor('/d/x/y', false, T0)).map((l) => l.token)).to.deep.equal(['urn:uuid:7']);
        expect((await store.locksFor('/l/', true, T0)).map((l) => l.token)).to.have.members([
          'urn:uuid:1',
          'urn:uuid:6',
        ]);
      });

      it('expires, refreshes and releases locks', async () => {
        await store.createLock(lock('/e', 'exclusive', 0, 'urn:uuid:e'), T0);
        expect(await store.locksFor('/e', false, T0 + 60_001)).to.deep.equal([]);
        await store.createLock(
          { ...lock('/e', 'exclusive', 0, 'urn:uuid:f'), expires: T0 + 120_000 },
          T0 + 60_001,
        );
        const refreshed = await store.refreshLock('urn:uuid:f', 600, T0 + 70_000);
        expect(refreshed.expires).to.equal(T0 + 70_000 + 600_000);
        expect(await store.removeLock('urn:uuid:f')).to.equal(true);
        expect(await store.removeLock('urn:uuid:f')).to.equal(false);
        expect(await codeOf(store.refreshLock('urn:uuid:f', 60, T0))).to.equal('not_found');
      });
    });

    describe('nodes, masters and leadership', () => {
      it('remembers nodes', async () => {
        await store.putNode({ id: 'n1', url: 'http://a:1', capacity: 10, registered: T0 });
        await store.putNode({ id: 'n2', url: 'http://b:1', capacity: 10, registered: T0 });
        await store.removeNode('n1');
        expect((await store.listNodes()).map((n) => n.id)).to.deep.equal(['n2']);
      });

      it('lists live masters', async () => {
        await store.heartbeatMaster({ id: 'a', url: 'http://a', lastSeen: T0 }, 10_000);
        const live = await store.heartbeatMaster({ id: 'b', url: 'http://b', lastSeen: T0 + 20_000 }, 10_000);
        expect(live.map((m) => m.id)).to.deep.equal(['b']);
        // Without a time of its own, a heartbeat is stamped by the store's clock.
        const before = Date.now();
        const stamped = await store.heartbeatMaster({ id: 'c', url: 'http://c' }, 10_000);
        const c = stamped.find((m) => m.id === 'c');
        expect(c?.lastSeen).to.be.within(before - 1_000, Date.now() + 1_000);
        expect(stamped.map((m) => m.id)).to.deep.equal(['c']);
      });

      it('grants leadership to one holder at a time, bumping the epoch at each takeover', async () => {
        const a = await store.claimLeadership('a', 10_000, T0);
        expect(a.holder).to.equal('a');
        expect((await store.claimLeadership('b', 10_000, T0 + 5_000)).holder).to.equal('a');
        const renewed = await store.claimLeadership('a', 10_000, T0 + 5_000);
        expect(renewed).to.deep.equal({ holder: 'a', epoch: a.epoch, expires: T0 + 15_000 });
        const b = await store.claimLeadership('b', 10_000, T0 + 15_001);
        expect(b).to.deep.include({ holder: 'b', epoch: a.epoch + 1 });
      });

      it('forgets a master that leaves, and lets the lease it held lapse at once', async () => {
        await store.heartbeatMaster({ id: 'a', url: 'http://a', lastSeen: T0 }, 10_000);
        await store.heartbeatMaster({ id: 'b', url: 'http://b', lastSeen: T0 }, 10_000);
        const a = await store.claimLeadership('a', 10_000, T0);
        // Leaving while another holds the lease changes nothing of it.
        await store.leaveCluster('b');
        expect((await store.claimLeadership('c', 10_000, T0 + 1)).holder).to.equal('a');
        await store.leaveCluster('a');
        const live = await store.heartbeatMaster({ id: 'c', url: 'http://c', lastSeen: T0 + 1 }, 10_000);
        expect(live.map((m) => m.id)).to.deep.equal(['c']);
        expect(await store.claimLeadership('c', 10_000, T0 + 2)).to.deep.include({
          holder: 'c',
          epoch: a.epoch + 1,
        });
      });
    });
  });
}
