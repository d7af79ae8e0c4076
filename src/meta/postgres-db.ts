// The connection pool under the PostgreSQL metadata store: each call is one statement (one
// transaction) on a pooled connection, retried when PostgreSQL reports a serialization failure or
// a deadlock; every failure comes out as a DfsError, and a database that is down or frozen is
// 'unavailable' until the pool reconnects by itself.

import pg from 'pg';
import { DfsError, isErrorCode } from '../protocol/errors.js';

/** How the pool talks to PostgreSQL. */
export interface PgDbOptions {
  /** Connections in this master's pool (default 20). */
  max?: number;
  /**
   * Longest a statement may run before PostgreSQL cancels it (rolled back) and the call fails as
   * unavailable, ms (default 60,000: a move or removal of a huge folder is one statement). An
   * answer that does not come a little later (a frozen or unreachable server) fails it too.
   */
  queryTimeout?: number;
  /** Longest wait for a connection, ms (default 5,000). */
  connectTimeout?: number;
  /** Retries of a transaction that lost a serialization failure or deadlock (default 8). */
  retries?: number;
}

/** A statement: its name (prepared once per connection), text and parameters. */
export interface Statement {
  name: string;
  text: string;
  values: unknown[];
}

// PostgreSQL reports these when a transaction lost a race and may simply run again.
const RETRYABLE = new Set(['40001', '40P01']);

// Every statement of the store is a key lookup or a key-range scan, so one generic plan per
// statement fits every call: planning again per call (which PostgreSQL chooses when constants make
// a custom plan look cheaper) cost 3× the CPU of a commit. And a plan cached while a table was
// nearly empty (a new cluster) would otherwise go on scanning it whole as it grows.
const SESSION_OPTIONS = '-c plan_cache_mode=force_generic_plan -c enable_seqscan=off';

/** `url` with our session options added to any it names (pg lets the URL's replace the config's). */
export function withSessionOptions(url: string): string {
  try {
    const parsed = new URL(url);
    const theirs = parsed.searchParams.get('options');
    parsed.searchParams.set('options', theirs ? `${theirs} ${SESSION_OPTIONS}` : SESSION_OPTIONS);
    return parsed.toString();
  } catch {
    return url;
  }
}

// int8 as numbers (times in ms, sizes and counts stay far below 2^53), also inside arrays.
const int8 = (value: string) => Number(value);
// A one-dimensional int8[] in text form, `{1,2,3}` (ours never hold NULLs).
const int8Array = (value: string) => (value === '{}' ? [] : value.slice(1, -1).split(',').map(Number));
const TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === 20
      ? int8
      : oid === 1016
        ? int8Array
        : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** The error for a database we cannot reach. */
function unavailable(err: unknown): DfsError {
  // Node reports a refused connection to a name with several addresses as an AggregateError
  // without a message; its code says what happened.
  const reason =
    err instanceof Error ? err.message || (err as NodeJS.ErrnoException).code || err.name : String(err);
  return new DfsError('unavailable', `the metadata database is unavailable (${reason}); try again later`, {
    cause: err,
  });
}

// True when the connection itself failed (not the statement): it must not be reused.
function brokenConnection(err: unknown): boolean {
  if (!(err instanceof pg.DatabaseError)) return true;
  const code = err.code ?? '';
  return code.startsWith('08') || code.startsWith('57P') || code === '53300';
}

// True when PostgreSQL cancelled the statement (statement_timeout): it was rolled back.
function cancelled(err: unknown): boolean {
  return err instanceof pg.DatabaseError && err.code === '57014';
}

/** Turns a statement's failure into the DfsError callers expect. */
export function toStoreError(err: unknown): DfsError {
  if (err instanceof DfsError) return err;
  if (err instanceof pg.DatabaseError) {
    if (err.code === 'DF000' && isErrorCode(err.detail)) return new DfsError(err.detail, err.message);
    if (brokenConnection(err)) return unavailable(err);
    if (cancelled(err))
      return new DfsError('unavailable', 'the metadata database took too long; nothing was changed', {
        cause: err,
      });
    if (err.code && RETRYABLE.has(err.code))
      return new DfsError('unavailable', 'the metadata database is too busy; try again', { cause: err });
    return new DfsError('internal', `metadata database error: ${err.message}`, { cause: err });
  }
  return unavailable(err);
}

/** A pool of connections to one PostgreSQL database. */
export class PgDb {
  private readonly pool: pg.Pool;
  private readonly retries: number;
  private closed = false;

  constructor(url: string, options: PgDbOptions = {}) {
    this.retries = options.retries ?? 8;
    const timeout = options.queryTimeout ?? 60_000;
    this.pool = new pg.Pool({
      connectionString: withSessionOptions(url),
      max: options.max ?? 20,
      connectionTimeoutMillis: options.connectTimeout ?? 5_000,
      statement_timeout: timeout,
      query_timeout: timeout + Math.min(timeout, 5_000),
      idleTimeoutMillis: 30_000,
      keepAlive: true,
      application_name: 'dfs-master',
      types: TYPES,
    });
    // An idle connection that breaks (the server restarted) is dropped by the pool; the next call
    // reports the outage if there is one. Without these listeners the error would crash the process.
    this.pool.on('error', () => undefined);
    this.pool.on('connect', (client) => client.on('error', () => undefined));
  }

  /** Checks out a connection; an outage or a full pool is 'unavailable'. */
  async connect(): Promise<pg.PoolClient> {
    if (this.closed) throw new DfsError('unavailable', 'the metadata store is closed');
    try {
      return await this.pool.connect();
    } catch (err) {
      throw toStoreError(err);
    }
  }

  /** Runs one statement as its own transaction; returns its rows. */
  async query<R extends pg.QueryResultRow>(statement: Statement): Promise<R[]> {
    for (let attempt = 0; ; attempt++) {
      const client = await this.connect();
      try {
        const result = await client.query<R>(statement);
        client.release();
        return result.rows;
      } catch (err) {
        if (brokenConnection(err)) {
          client.release(err instanceof Error ? err : true);
          throw toStoreError(err);
        }
        client.release();
        const code = (err as pg.DatabaseError).code;
        if (!code || !RETRYABLE.has(code) || attempt >= this.retries) throw toStoreError(err);
      }
      // Back off a little, at random, so the transactions that collided do not collide again.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * 2 ** Math.min(attempt, 5)));
    }
  }

  /** Closes every connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}
