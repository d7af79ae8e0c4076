// The metadata conformance suite against PostgreSQL, and what only PostgreSQL has: several
// masters (each its own pool) sharing one database, migrations run by several at once, and
// listings that cost the same per page however large the folder.

import { createHash } from 'node:crypto';
import { expect } from 'chai';
import pg from 'pg';
import { EventLog } from '../../src/master/events.js';
import { Leader } from '../../src/master/leader.js';
import { MIGRATIONS } from '../../src/meta/postgres-schema.js';
import { PostgresStore } from '../../src/meta/postgres-store.js';
import type { CommitIntent } from '../../src/meta/types.js';
import type { DfsError } from '../../src/protocol/errors.js';
import { PostgresServer, postgresAvailable } from '../helpers/postgres.js';
import { waitFor } from '../helpers/wait.js';
import { chunk, metaStoreConformance } from '../meta/conformance.js';

const TEMPLATE = 'dfs_template';
const T0 = 1_700_000_000_000;

function intent(path: string, extra: Partial<CommitIntent> = {}): CommitIntent {
  return {
    path,
    size: 0,
    sha256: createHash('sha256').update(path).digest('hex'),
    contentType: 'application/octet-stream',
    metadata: {},
    attributes: {},
    chunks: [],
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

describe('PostgreSQL metadata store', function () {
  this.timeout(120_000);
  let server: PostgresServer;
  let databases = 0;

  before(async function () {
    if (!postgresAvailable('the PostgreSQL metadata store tests')) this.skip();
    server = await PostgresServer.start();
    // Migrate once; every test's database is a copy of this one. Its default collation is a
    // linguistic one (ICU en-US, where 'B' sorts after 'b' and 'ä' first), as a production
    // database's often is: keys must still sort by UTF-8 bytes.
    await server.sql(
      `CREATE DATABASE ${TEMPLATE} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.utf8'`,
    );
    await (await PostgresStore.open(server.url(TEMPLATE))).close();
  });
  after(async () => {
    await server?.close();
  });

  /** A fresh database, migrated (a copy of the template) or empty. */
  async function freshDatabase(migrated = true): Promise<{ name: string; url: string }> {
    const name = `dfs_test_${++databases}`;
    return { name, url: await server.createDatabase(name, migrated ? TEMPLATE : undefined) };
  }

  metaStoreConformance('postgres', async () => {
    const { name, url } = await freshDatabase();
    const store = await PostgresStore.open(url);
    return {
      store,
      async close() {
        await store.close();
        await server.dropDatabase(name);
      },
    };
  });

  describe('two masters sharing one database', () => {
    let a: PostgresStore;
    let b: PostgresStore;
    let name: string;

    beforeEach(async () => {
      const db = await freshDatabase();
      name = db.name;
      [a, b] = await Promise.all([PostgresStore.open(db.url), PostgresStore.open(db.url)]);
    });
    afterEach(async () => {
      await Promise.all([a.close(), b.close()]);
      await server.dropDatabase(name);
    });

    it('never commits both /a and /a/b, whichever master commits which', async () => {
      for (let round = 0; round < 20; round++) {
        const [parent, child] = round % 2 ? [a, b] : [b, a];
        const codes = await Promise.all([
          codeOf(parent.commit(intent(`/r${round}`), T0)),
          codeOf(child.commit(intent(`/r${round}/b`), T0)),
        ]);
        expect(
          codes.filter((c) => c === 'ok'),
          `round ${round}: ${codes}`,
        ).to.have.length(1);
        expect(codes.filter((c) => c !== 'ok')).to.deep.equal(['conflict']);
        const stored = await Promise.all([a.getFile(`/r${round}`), a.getFile(`/r${round}/b`)]);
        expect(stored.filter((f) => f !== undefined)).to.have.length(1);
      }
    });

    it('lets one commit win a path that must be free, across masters', async () => {
      const attempts = Array.from({ length: 16 }, (_, i) =>
        (i % 2 ? a : b).commit(intent('/once', { size: i, ifGeneration: 0 }), T0).then(
          (result) => result.file,
          (err: DfsError) => err.code,
        ),
      );
      const outcomes = await Promise.all(attempts);
      const winners = outcomes.filter((o) => typeof o !== 'string');
      expect(winners).to.have.length(1);
      expect(outcomes.filter((o) => o === 'precondition_failed')).to.have.length(15);
      const stored = await b.getFile('/once');
      expect(stored?.generation).to.equal(winners[0]?.generation);
      expect(await a.totals()).to.deep.equal({ files: 1, logicalBytes: stored?.size });
    });

    it('hands leadership over with a new epoch, and fences the deposed leader', async () => {
      const first = await a.claimLeadership('a', 10_000, T0);
      expect((await b.claimLeadership('b', 10_000, T0 + 1_000)).holder).to.equal('a');
      const candidate = [{ id: chunk('orphan').id, size: 1, absent: true }];
      expect(await a.doom(candidate, 0, T0 + 2_000, first.epoch)).to.deep.equal([chunk('orphan').id]);
      // a stops renewing; b takes over once the lease lapses.
      const second = await b.claimLeadership('b', 10_000, T0 + 10_001);
      expect(second).to.deep.include({ holder: 'b', epoch: first.epoch + 1 });
      expect((await a.claimLeadership('a', 10_000, T0 + 10_002)).holder).to.equal('b');
      expect(await codeOf(a.doom(candidate, 0, T0 + 10_003, first.epoch))).to.equal('conflict');
      expect(await codeOf(a.purge([chunk('orphan').id], first.epoch))).to.equal('conflict');
      expect(await b.purge([chunk('orphan').id], second.epoch)).to.deep.equal([chunk('orphan').id]);
    });

    it('judges the leadership lease by the database’s clock, not a master’s running ahead', async () => {
      const events = new EventLog(() => {});
      const first = new Leader(a, events, 10_000);
      // An hour ahead: by its own clock the lease first took lapsed long ago.
      const ahead = new Leader(b, events, 10_000, () => Date.now() + 3_600_000);
      expect(await first.claim()).to.equal(true);
      expect(await ahead.claim()).to.equal(false);
      expect(first.isLeader).to.equal(true);
      expect(ahead.current).to.equal(first.id);
      // Renewed, it keeps its epoch; given up (the store's own lease lapsing), the other takes over.
      const epoch = first.epoch;
      expect(await first.claim()).to.equal(true);
      expect(first.epoch).to.equal(epoch);
      await a.claimLeadership(first.id, 1);
      await waitFor(() => ahead.claim(), 'the other master to take the lapsed lease');
      expect(ahead.epoch).to.equal(epoch + 1);
    });

    it('sees the other master’s changes at once: leases, commits, locks', async () => {
      const c = chunk('shared');
      await a.lease('up-1', [c], 60_000, T0);
      const committed = await b.commit(intent('/by-b', { chunks: [c], size: c.size, uploadId: 'up-1' }), T0);
      expect((await a.getFile('/by-b'))?.generation).to.equal(committed.file.generation);
      expect((await a.getChunks([c.id])).get(c.id)).to.deep.include({ refs: 1, pins: 0 });
      const lock = {
        root: '/by-b',
        depth: 0 as const,
        scope: 'exclusive' as const,
        owner: '',
        timeoutSeconds: 60,
      };
      await a.createLock({ ...lock, token: 'urn:uuid:a', expires: T0 + 60_000 }, T0);
      expect(await codeOf(b.createLock({ ...lock, token: 'urn:uuid:b', expires: T0 + 60_000 }, T0))).to.equal(
        'locked',
      );
    });
  });

  describe('batches', () => {
    it('run commits queued together in order, each seeing the ones before it', async () => {
      const { name, url } = await freshDatabase();
      // One call in flight: while the first commit runs, the others queue into one batch.
      const store = await PostgresStore.open(url, { parallelCalls: 1 });
      try {
        const c = chunk('batched');
        await store.lease('up-b', [c], 60_000, T0);
        const uploaded = intent('/up', { chunks: [c], size: c.size, uploadId: 'up-b' });
        const outcomes = await Promise.all(
          [
            intent('/first'),
            intent('/b1'),
            intent('/b1/c'),
            intent('/b2', { ifGeneration: 0 }),
            intent('/b2', { ifGeneration: 0 }),
            uploaded,
            uploaded,
          ].map((i) =>
            store.commit(i, T0).then(
              (r) => (r.replayed ? 'replayed' : 'ok'),
              (err: DfsError) => err.code,
            ),
          ),
        );
        expect(outcomes).to.deep.equal([
          'ok',
          'ok',
          'conflict',
          'ok',
          'precondition_failed',
          'ok',
          'replayed',
        ]);
        expect(await store.totals()).to.deep.equal({ files: 4, logicalBytes: c.size });
        expect((await store.getChunks([c.id])).get(c.id)).to.deep.include({ refs: 1, pins: 0 });
      } finally {
        await store.close();
        await server.dropDatabase(name);
      }
    });
  });

  describe('counts under concurrent changes from two masters', () => {
    it('keeps references, pins and totals exactly what the rows say', async () => {
      const { name, url } = await freshDatabase();
      const stores = await Promise.all([PostgresStore.open(url), PostgresStore.open(url)]);
      // A small world: 40 paths, 5 contents, so chunk rows are shared and operations collide.
      let seed = 7;
      const random = (n: number) => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        return seed % n;
      };
      const pathOf = () => `/s/d${random(4)}/f${random(10)}`;
      let uploads = 0;
      const operation = async (store: PostgresStore) => {
        const kind = random(10);
        if (kind < 5) {
          const texts = Array.from({ length: 1 + random(2) }, () => `content ${random(5)}`);
          const refs = texts.map(chunk);
          const uploadId = `up-${++uploads}`;
          await store.lease(uploadId, refs, 60_000, T0);
          if (random(5) === 0) return store.abortLease(uploadId, T0);
          const size = refs.reduce((n, c) => n + c.size, 0);
          return store.commit(intent(pathOf(), { chunks: refs, size, uploadId }), T0);
        }
        if (kind === 5) {
          const source = await store.getFile(pathOf());
          if (source) return store.commit(intent(pathOf(), { chunks: source.chunks, size: source.size }), T0);
          return;
        }
        if (kind < 8) return store.remove(pathOf(), {}, T0);
        if (kind === 8) return store.move(pathOf(), pathOf(), { overwrite: true }, T0);
        return store.removeTree(`/s/d${random(4)}/`, T0);
      };
      // Refusals the random operations may meet (a path gone, or its chunks gone since it was
      // read); anything else is a failure of the store.
      const unexpected: string[] = [];
      try {
        await Promise.all(
          Array.from({ length: 16 }, async (_, worker) => {
            for (let i = 0; i < 40; i++)
              await operation(stores[worker % 2] as PostgresStore).catch((err: DfsError) => {
                if (err.code !== 'not_found' && err.code !== 'conflict')
                  unexpected.push(`${err.code}: ${err.message}`);
              });
          }),
        );
        expect(unexpected).to.deep.equal([]);
        const wrong = await server.sql(
          `SELECT c.id, c.refs, c.pins,
                  (SELECT count(*) FROM dfs_entries e, unnest(e.chunk_ids) i WHERE i = c.id) AS referenced,
                  (SELECT count(*) FROM dfs_lease_chunks l WHERE l.chunk_id = c.id) AS pinned
             FROM dfs_chunks c
             WHERE c.refs <> (SELECT count(*) FROM dfs_entries e, unnest(e.chunk_ids) i WHERE i = c.id)
                OR c.pins <> (SELECT count(*) FROM dfs_lease_chunks l WHERE l.chunk_id = c.id)
                OR ((c.refs = 0 AND c.pins = 0) <> (c.zero_since > 0))`,
          [],
          name,
        );
        expect(wrong, 'chunk rows that disagree with the entries and leases').to.deep.equal([]);
        const [counted] = await server.sql<{ files: number; bytes: number }>(
          `SELECT count(*)::int AS files, coalesce(sum(size), 0)::int AS bytes FROM dfs_entries WHERE right(path, 1) <> '/'`,
          [],
          name,
        );
        expect(await stores[0]?.totals()).to.deep.equal({
          files: counted?.files,
          logicalBytes: counted?.bytes,
        });
        expect(counted?.files).to.be.greaterThan(0);
      } finally {
        await Promise.all(stores.map((s) => s.close()));
        await server.dropDatabase(name);
      }
    });
  });

  describe('migrations', () => {
    it('bring a database made by an earlier version up to date (from 5: heartbeats by its clock, commits remembered)', async () => {
      const { name, url } = await freshDatabase(false);
      // The database dfs left at schema version 5: migrations 1 to 5 and their records.
      await server.sql(
        'CREATE TABLE dfs_schema_version (version integer PRIMARY KEY, description text NOT NULL, applied timestamptz NOT NULL DEFAULT now())',
        [],
        name,
      );
      for (const m of MIGRATIONS.filter((m) => m.version <= 5)) {
        await server.sql(m.sql, [], name);
        await server.sql(
          'INSERT INTO dfs_schema_version (version, description) VALUES ($1, $2)',
          [m.version, m.description],
          name,
        );
      }
      // A master of that version, still running through the upgrade: its prepared statements
      // read whole rows of these tables, so a migration that changed their shape would break them.
      const older = new pg.Client({ connectionString: url });
      await older.connect();
      const tables = [
        'dfs_entries',
        'dfs_chunks',
        'dfs_leases',
        'dfs_locks',
        'dfs_masters',
        'dfs_leadership',
      ];
      const readAll = async () => {
        for (const t of tables) await older.query({ name: `older-${t}`, text: `SELECT * FROM ${t} LIMIT 1` });
      };
      await readAll();
      const store = await PostgresStore.open(url);
      try {
        const versions = await server.sql<{ version: number }>(
          'SELECT version FROM dfs_schema_version ORDER BY version',
          [],
          name,
        );
        expect(versions.map((v) => v.version)).to.deep.equal(MIGRATIONS.map((m) => m.version));
        await readAll();
        const live = await store.heartbeatMaster({ id: 'a', url: 'http://a' }, 10_000);
        expect(live.map((m) => m.id)).to.deep.equal(['a']);
        for (const id of ['first-upload', 'second-upload']) await store.lease(id, [], 60_000, T0);
        const first = await store.commit(intent('/e', { uploadId: 'first-upload' }), T0);
        await store.commit(intent('/e', { uploadId: 'second-upload' }), T0 + 1);
        const again = await store.commit(intent('/e', { uploadId: 'first-upload' }), T0 + 2);
        expect(again).to.deep.include({ replayed: true });
        expect(again.file.generation).to.equal(first.file.generation);
        expect((await store.getFile('/e'))?.uploadId).to.equal('second-upload');
        await readAll();
        // Its call recording a part still works, and the part has no checksum.
        const info = { path: '/mp', initiated: T0, contentType: 'text/plain', metadata: {}, attributes: {} };
        await store.createMultipart('older-upload', info, 60_000, T0);
        const call = 'SELECT dfs_put_part($1, $2, $3, $4, $5, $6, $7, $8)';
        await older.query(call, ['older-upload', 1, 0, '"etag"', [], [], T0, T0]);
        expect(await store.listParts('older-upload')).to.deep.equal([
          { number: 1, size: 0, etag: '"etag"', chunks: [], lastModified: T0 },
        ]);
      } finally {
        await older.end();
        await store.close();
        await server.dropDatabase(name);
      }
    });

    it('run once when several masters start on an empty database at the same time', async () => {
      const { name, url } = await freshDatabase(false);
      const stores = await Promise.all(Array.from({ length: 4 }, () => PostgresStore.open(url)));
      try {
        const versions = await server.sql<{ version: number }>(
          'SELECT version FROM dfs_schema_version ORDER BY version',
          [],
          name,
        );
        expect(versions.map((v) => v.version)).to.deep.equal(MIGRATIONS.map((m) => m.version));
        await Promise.all(stores.map((s, i) => s.commit(intent(`/from-${i}`), T0)));
        expect((await stores[0]?.totals())?.files).to.equal(4);
      } finally {
        await Promise.all(stores.map((s) => s.close()));
        await server.dropDatabase(name);
      }
    });

    it('refuse a database whose schema is newer than this build', async () => {
      const { name, url } = await freshDatabase();
      await server.sql(
        `INSERT INTO dfs_schema_version (version, description) VALUES (99, 'future')`,
        [],
        name,
      );
      try {
        const opened = PostgresStore.open(url);
        const err = await opened.then(
          () => undefined,
          (e: DfsError) => e,
        );
        expect(err?.code).to.equal('unavailable');
        expect(err?.message).to.match(/newer than this dfs/);
      } finally {
        await server.dropDatabase(name);
      }
    });
  });

  describe('listing at scale', () => {
    let store: PostgresStore;
    let name: string;

    before(async () => {
      const db = await freshDatabase();
      name = db.name;
      // 100,000 files in one folder, and 20,000 sub-folders of 5 files each.
      await server.sql(
        `INSERT INTO dfs_entries (path, created, generation, content_type, metadata)
           SELECT '/big/f' || lpad(i::text, 6, '0'), 1, i, 'text/plain', '{}' FROM generate_series(1, 100000) i`,
        [],
        name,
      );
      await server.sql(
        `INSERT INTO dfs_entries (path, created, generation, content_type, metadata)
           SELECT '/dirs/d' || lpad(i::text, 6, '0') || '/f' || j, 1, i, 'text/plain', '{}'
           FROM generate_series(1, 20000) i, generate_series(1, 5) j`,
        [],
        name,
      );
      await server.sql('ANALYZE dfs_entries', [], name);
      store = await PostgresStore.open(db.url);
    });
    after(async () => {
      await store?.close();
      await server?.dropDatabase(name);
    });

    // Shared buffers a page of the delimiter listing touches: deterministic, unlike its time.
    async function buffersFor(prefix: string, after: string): Promise<number> {
      const [row] = await server.sql<{ 'QUERY PLAN': [{ Plan: { 'Shared Hit Blocks': number } }] }>(
        'EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) SELECT * FROM dfs_list_children($1, $2, 1000)',
        [prefix, after],
        name,
      );
      return row?.['QUERY PLAN'][0].Plan['Shared Hit Blocks'] ?? Number.NaN;
    }

    it('pages through 100,000 files and 20,000 sub-folders correctly', async () => {
      const page = await store.list({ prefix: '/big/', delimiter: true, after: '/big/f049999', limit: 3 });
      expect(page.entries.map((e) => (e.kind === 'file' ? e.file.path : ''))).to.deep.equal([
        '/big/f050000',
        '/big/f050001',
        '/big/f050002',
      ]);
      expect(page.next).to.equal('/big/f050002');
      const folders = await store.list({
        prefix: '/dirs/',
        delimiter: true,
        after: '/dirs/d019998/',
        limit: 5,
      });
      expect(folders.entries.map((e) => (e.kind === 'folder' ? e.folder.path : ''))).to.deep.equal([
        '/dirs/d019999/',
        '/dirs/d020000/',
      ]);
      expect(folders.next).to.equal(undefined);
    });

    it('costs the same per page early and late, in a folder of files or of folders', async () => {
      const filesEarly = await buffersFor('/big/', '/big/f010000');
      const filesLate = await buffersFor('/big/', '/big/f098000');
      expect(filesLate).to.be.at.most(filesEarly * 2 + 20);
      const foldersEarly = await buffersFor('/dirs/', '/dirs/d002000/');
      const foldersLate = await buffersFor('/dirs/', '/dirs/d018000/');
      expect(foldersLate).to.be.at.most(foldersEarly * 2 + 20);
      // One index probe per sub-folder, not a walk over the 5 files in each.
      expect(foldersLate).to.be.below(1000 * 20);
    });
  });
});
