// The LMDB engine: the embedded default, one database folder per master. Writes are batched by
// lmdb-js into shared transactions; a write resolves once its transaction is flushed to disk,
// so an acknowledged change survives kill -9 and power loss.

import fs from 'node:fs/promises';
import { type Database, open, type RootDatabase } from 'lmdb';
import { type Engine, type KeyRange, TABLES, type Table, type Txn } from './engine.js';

/** LMDB in folder `path` (created if needed). */
export class LmdbEngine implements Engine {
  readonly kind = 'lmdb';
  private readonly dbs = new Map<Table, Database<unknown, string>>();

  private constructor(private readonly root: RootDatabase) {
    for (const name of TABLES) this.dbs.set(name, root.openDB<unknown, string>({ name }));
  }

  /** Opens (creating if needed) the database in folder `path`. */
  static async open(path: string): Promise<LmdbEngine> {
    await fs.mkdir(path, { recursive: true });
    // A named database per table (lmdb-js opens at most 12 unless told).
    return new LmdbEngine(open({ path, compression: false, maxDbs: TABLES.length }));
  }

  private db(table: Table): Database<unknown, string> {
    return this.dbs.get(table) as Database<unknown, string>;
  }

  private readonly txn: Txn = {
    get: <T>(table: Table, key: string) => this.db(table).get(key) as T | undefined,
    // Inside a transaction callback lmdb-js applies put and remove at once, in that transaction.
    put: (table, key, value) => {
      void this.db(table).put(key, value);
    },
    del: (table, key) => {
      void this.db(table).remove(key);
    },
    range: <T>(table: Table, range: KeyRange) =>
      this.db(table).getRange({ start: range.start, end: range.end, limit: range.limit }) as Iterable<{
        key: string;
        value: T;
      }>,
  };

  async read<T>(fn: (txn: Txn) => T): Promise<T> {
    return fn(this.txn);
  }

  async write<T>(fn: (txn: Txn) => T, options: { durable?: boolean } = {}): Promise<T> {
    let result: T | undefined;
    let failure: unknown;
    // A child transaction of the batch: a callback that throws is undone whole. (A plain
    // `transaction` records the error but commits the writes made before it: a folder move
    // refused halfway stayed half done.)
    await this.root
      .childTransaction(() => {
        try {
          result = fn(this.txn);
        } catch (err) {
          failure = err;
          throw err;
        }
      })
      .catch((err) => {
        throw failure ?? err;
      });
    if (options.durable !== false) await this.root.flushed;
    return result as T;
  }

  async close(): Promise<void> {
    await this.root.close();
  }
}
