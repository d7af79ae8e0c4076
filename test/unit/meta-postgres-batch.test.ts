// The PostgreSQL store's pure parts: batching of requests (with a fake runner) and the mapping
// of PostgreSQL's failures to DfsErrors.

import { expect } from 'chai';
import pg from 'pg';
import { Batcher, type BatchRunner } from '../../src/meta/postgres-batch.js';
import { toStoreError, withSessionOptions } from '../../src/meta/postgres-db.js';
import { DfsError } from '../../src/protocol/errors.js';
import { waitFor } from '../helpers/wait.js';

/** A runner whose calls the test completes by hand. */
class FakeRunner implements BatchRunner<number, string> {
  readonly calls: number[][] = [];
  private readonly waiting: (() => void)[] = [];
  /** What the calls completed next fail with (nothing: they succeed). */
  failWith: unknown;

  private wait(items: number[]): Promise<void> {
    this.calls.push(items);
    return new Promise((resolve, reject) => {
      this.waiting.push(() => (this.failWith ? reject(this.failWith) : resolve()));
    });
  }

  async one(item: number): Promise<string> {
    await this.wait([item]);
    if (item < 0) throw new DfsError('conflict', `refused ${item}`);
    return `one ${item}`;
  }

  async many(items: number[]): Promise<(string | DfsError)[]> {
    await this.wait(items);
    return items.map((i) => (i < 0 ? new DfsError('conflict', `refused ${i}`) : `many ${i}`));
  }

  /** Completes every call in flight. */
  async finish(): Promise<void> {
    for (const complete of this.waiting.splice(0)) complete();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const outcome = (p: Promise<string>) => p.then(String, (err: DfsError) => `${err.code}: ${err.message}`);

describe('PostgreSQL store: batching', () => {
  it('sends a lone request at once, and batches what queues while calls are in flight', async () => {
    const runner = new FakeRunner();
    const batcher = new Batcher(runner, { parallel: 1, max: 3 });
    const results = [1, 2, 3, 4, 5, 6].map((i) => outcome(batcher.submit(i)));
    expect(runner.calls).to.deep.equal([[1]]);
    await runner.finish();
    expect(runner.calls).to.deep.equal([[1], [2, 3, 4]]);
    await runner.finish();
    expect(runner.calls).to.deep.equal([[1], [2, 3, 4], [5, 6]]);
    await runner.finish();
    expect(await Promise.all(results)).to.deep.equal([
      'one 1',
      'many 2',
      'many 3',
      'many 4',
      'many 5',
      'many 6',
    ]);
  });

  it('keeps `parallel` calls in flight', async () => {
    const runner = new FakeRunner();
    const batcher = new Batcher(runner, { parallel: 2 });
    const results = [1, 2, 3, 4].map((i) => outcome(batcher.submit(i)));
    expect(runner.calls).to.deep.equal([[1], [2]]);
    await runner.finish();
    expect(runner.calls).to.deep.equal([[1], [2], [3, 4]]);
    await runner.finish();
    expect(await Promise.all(results)).to.deep.equal(['one 1', 'one 2', 'many 3', 'many 4']);
  });

  it('lets another call start while one is slow, up to `most` in flight', async () => {
    const runner = new FakeRunner();
    const batcher = new Batcher(runner, { parallel: 1, stallAfter: 10, most: 2 });
    const results = [1, 2, 3].map((i) => outcome(batcher.submit(i)));
    expect(runner.calls).to.deep.equal([[1]]);
    await waitFor(() => runner.calls.length === 2, 'a second call beside the slow one', 2_000, 5);
    expect(runner.calls).to.deep.equal([[1], [2, 3]]);
    results.push(outcome(batcher.submit(4)));
    // Both calls turn slow, but two is the most in flight: 4 waits for one of them. (Waiting is
    // the only way to see that something does not happen; a slower machine only weakens it.)
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(runner.calls).to.have.length(2);
    await runner.finish();
    expect(runner.calls).to.deep.equal([[1], [2, 3], [4]]);
    await runner.finish();
    expect(await Promise.all(results)).to.deep.equal(['one 1', 'many 2', 'many 3', 'one 4']);
  });

  it('refuses only the refused items of a batch', async () => {
    const runner = new FakeRunner();
    const batcher = new Batcher(runner, { parallel: 1 });
    const results = [1, -2, 3].map((i) => outcome(batcher.submit(i)));
    await runner.finish();
    await runner.finish();
    expect(await Promise.all(results)).to.deep.equal(['one 1', 'conflict: refused -2', 'many 3']);
  });

  it('fails a whole batch on an outage, and runs it one by one after any other failure', async () => {
    const runner = new FakeRunner();
    const batcher = new Batcher(runner, { parallel: 1 });
    runner.failWith = new DfsError('unavailable', 'down');
    const down = [0, 1, 2].map((i) => outcome(batcher.submit(i)));
    await runner.finish(); // [0]
    await runner.finish(); // [1, 2]
    expect(await Promise.all(down)).to.deep.equal([
      'unavailable: down',
      'unavailable: down',
      'unavailable: down',
    ]);
    runner.failWith = new DfsError('internal', 'one bad item');
    const alone = outcome(batcher.submit(7));
    const batched = [8, -9].map((i) => outcome(batcher.submit(i)));
    await runner.finish(); // [7]
    await runner.finish(); // [8, -9] fails as a whole…
    runner.failWith = undefined;
    await runner.finish(); // …so 8 and -9 run one by one
    expect(runner.calls.slice(-4)).to.deep.equal([[7], [8, -9], [8], [-9]]);
    expect(await Promise.all([alone, ...batched])).to.deep.equal([
      'internal: one bad item',
      'one 8',
      'conflict: refused -9',
    ]);
  });
});

describe('PostgreSQL store: errors', () => {
  const databaseError = (code: string, message: string, detail?: string) => {
    const err = new pg.DatabaseError(message, message.length, 'error');
    err.code = code;
    err.detail = detail;
    return err;
  };

  it('turns a refusal raised in SQL into its DfsError', () => {
    const err = toStoreError(databaseError('DF000', '/a is a folder', 'conflict'));
    expect(err).to.be.instanceOf(DfsError);
    expect([err.code, err.message]).to.deep.equal(['conflict', '/a is a folder']);
  });

  it('reports an unreachable, restarting or busy database as unavailable', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    for (const err of [
      refused,
      new Error('Query read timeout'),
      new Error('Connection terminated unexpectedly'),
      databaseError('57P01', 'terminating connection due to administrator command'),
      databaseError('08006', 'connection failure'),
      databaseError('40P01', 'deadlock detected'),
    ]) {
      const mapped = toStoreError(err);
      expect(mapped.code, err.message).to.equal('unavailable');
      expect(mapped.status).to.equal(503);
    }
  });

  it('reports a statement PostgreSQL cancelled for taking too long as unavailable, changing nothing', () => {
    const err = toStoreError(databaseError('57014', 'canceling statement due to statement timeout'));
    expect([err.code, err.message]).to.deep.equal([
      'unavailable',
      'the metadata database took too long; nothing was changed',
    ]);
  });

  it('adds its session options to those a URL names', () => {
    const plain = new URL(withSessionOptions('postgres://u:p%40ss@db:5432/dfs'));
    expect(plain.searchParams.get('options')).to.equal(
      '-c plan_cache_mode=force_generic_plan -c enable_seqscan=off',
    );
    expect([plain.username, plain.password, plain.host, plain.pathname]).to.deep.equal([
      'u',
      'p%40ss',
      'db:5432',
      '/dfs',
    ]);
    const theirs = new URL(
      withSessionOptions('postgres://db/dfs?options=-c%20search_path%3Dmeta&sslmode=require'),
    );
    expect(theirs.searchParams.get('options')).to.equal(
      '-c search_path=meta -c plan_cache_mode=force_generic_plan -c enable_seqscan=off',
    );
    expect(theirs.searchParams.get('sslmode')).to.equal('require');
  });

  it('reports any other SQL error as internal', () => {
    expect(toStoreError(databaseError('42P01', 'relation "dfs_entries" does not exist')).code).to.equal(
      'internal',
    );
  });
});
