// The PostgreSQL metadata store when PostgreSQL fails under it: stopped at once (as a crash
// would) or frozen (SIGSTOP). Calls fail with 'unavailable' instead of hanging or crashing the
// process, succeed again by themselves once PostgreSQL is back, and nothing acknowledged is lost.

import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { PostgresStore } from '../../src/meta/postgres-store.js';
import type { CommitIntent } from '../../src/meta/types.js';
import type { DfsError } from '../../src/protocol/errors.js';
import { PostgresServer, postgresAvailable } from '../helpers/postgres.js';
import { waitFor } from '../helpers/wait.js';

const T0 = 1_700_000_000_000;

function intent(path: string): CommitIntent {
  return {
    path,
    size: 1,
    sha256: createHash('sha256').update(path).digest('hex'),
    contentType: 'application/octet-stream',
    metadata: {},
    attributes: {},
    chunks: [],
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

describe('PostgreSQL metadata store under faults', function () {
  this.timeout(120_000);
  let server: PostgresServer;
  let store: PostgresStore;
  let databases = 0;
  // Anything that escaped the store as an unhandled rejection or an uncaught error.
  const escaped: unknown[] = [];
  const onEscape = (err: unknown) => escaped.push(err);

  before(async function () {
    if (!postgresAvailable('the PostgreSQL metadata store tests')) this.skip();
    server = await PostgresServer.start();
    process.on('unhandledRejection', onEscape);
    process.on('uncaughtException', onEscape);
  });
  after(async () => {
    process.off('unhandledRejection', onEscape);
    process.off('uncaughtException', onEscape);
    await server?.close();
  });
  beforeEach(async () => {
    const name = `dfs_fault_${++databases}`;
    // Short timeouts, so a frozen server is noticed in seconds (not so short that a busy machine trips them).
    store = await PostgresStore.open(await server.createDatabase(name), {
      queryTimeout: 5_000,
      connectTimeout: 5_000,
    });
  });
  afterEach(async () => {
    server.thaw();
    await store.close();
    expect(escaped, 'errors that escaped the store').to.deep.equal([]);
  });

  it('fails calls as unavailable while PostgreSQL is down, and recovers by itself', async () => {
    for (let i = 0; i < 20; i++) await store.commit(intent(`/before/${i}`), T0);
    // Commits in flight when it crashes: frozen first, so none can be answered before it dies.
    // Sent or still waiting for a connection, each must fail as unavailable (none may hang, be
    // taken as done, or fail otherwise).
    server.freeze();
    const inFlight = Array.from({ length: 40 }, (_, i) => codeOf(store.commit(intent(`/during/${i}`), T0)));
    await server.crash();
    const outcomes = await Promise.all(inFlight);
    expect(outcomes, 'commits in flight').to.deep.equal(outcomes.map(() => 'unavailable'));
    const down = store.getFile('/before/0');
    expect(await codeOf(down)).to.equal('unavailable');
    expect(await down.catch((err: Error) => err.message)).to.match(/metadata database is unavailable/);
    expect(await codeOf(store.commit(intent('/while-down'), T0))).to.equal('unavailable');

    await server.restart();
    await waitFor(() => store.getFile('/before/0'), 'the store to reconnect');
    for (let i = 0; i < 20; i++)
      expect(await store.getFile(`/before/${i}`), `/before/${i}`).to.not.equal(undefined);
    expect((await store.totals()).files).to.be.at.least(20);
    await store.commit(intent('/after'), T0);
  });

  it('fails calls as unavailable while PostgreSQL is frozen, and recovers when it thaws', async () => {
    await store.commit(intent('/warm'), T0);
    server.freeze();
    const started = Date.now();
    expect(await codeOf(store.getFile('/warm'))).to.equal('unavailable');
    expect(await codeOf(store.commit(intent('/frozen'), T0))).to.equal('unavailable');
    // Bounded by the timeouts, not hanging (generous for a loaded machine).
    expect(Date.now() - started).to.be.below(30_000);
    server.thaw();
    await waitFor(() => store.getFile('/warm'), 'the store to answer again');
    await store.commit(intent('/thawed'), T0);
    expect((await store.getFile('/thawed'))?.path).to.equal('/thawed');
  });

  it('refuses to open when PostgreSQL is unreachable, with a clear error', async () => {
    const closed = `postgres://postgres@127.0.0.1:${server.port + 1}/nothing`;
    const err = await PostgresStore.open(closed, { connectTimeout: 1_000 }).then(
      () => undefined,
      (e: DfsError) => e,
    );
    expect(err?.code).to.equal('unavailable');
    expect(err?.message).to.match(/metadata database is unavailable/);
  });
});
