// An in-memory engine for fast tests of the master's logic: sorted tables, atomic writes (an
// undo log rolls back a transaction that throws). Nothing survives the process.

import { compareUtf8 } from '../protocol/byte-order.js';
import type { Engine, KeyRange, Table, Txn } from './engine.js';

/** One table: values by key, and the keys kept sorted for range scans. */
class SortedTable {
  readonly values = new Map<string, unknown>();
  private keys: string[] = [];

  private position(key: string): number {
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareUtf8(this.keys[mid] as string, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  put(key: string, value: unknown): void {
    if (!this.values.has(key)) this.keys.splice(this.position(key), 0, key);
    // A structured copy: callers must not be able to change stored rows by mutating what they passed.
    this.values.set(key, structuredClone(value));
  }

  del(key: string): void {
    if (!this.values.delete(key)) return;
    this.keys.splice(this.position(key), 1);
  }

  *range(range: KeyRange): Iterable<{ key: string; value: unknown }> {
    let i = range.start === undefined ? 0 : this.position(range.start);
    let n = 0;
    // The key list may change while a caller iterates and writes: re-find the position each step.
    while (i < this.keys.length && (range.limit === undefined || n < range.limit)) {
      const key = this.keys[i] as string;
      if (range.end !== undefined && compareUtf8(key, range.end) >= 0) return;
      yield { key, value: structuredClone(this.values.get(key)) };
      n++;
      const again = this.position(key);
      i = this.keys[again] === key ? again + 1 : again;
    }
  }
}

/** The in-memory engine. */
export class MemoryEngine implements Engine {
  readonly kind = 'memory';
  private readonly tables = new Map<Table, SortedTable>();
  /** A delay before each write resolves, ms: lets tests interleave concurrent transactions. */
  writeDelay = 0;

  private table(name: Table): SortedTable {
    let table = this.tables.get(name);
    if (!table) {
      table = new SortedTable();
      this.tables.set(name, table);
    }
    return table;
  }

  private txn(undo: (() => void)[] | undefined): Txn {
    return {
      get: <T>(table: Table, key: string) =>
        structuredClone(this.table(table).values.get(key)) as T | undefined,
      put: (table, key, value) => {
        const t = this.table(table);
        if (undo) {
          const had = t.values.has(key);
          const old = t.values.get(key);
          undo.push(() => (had ? t.put(key, old) : t.del(key)));
        }
        t.put(key, value);
      },
      del: (table, key) => {
        const t = this.table(table);
        if (undo && t.values.has(key)) {
          const old = t.values.get(key);
          undo.push(() => t.put(key, old));
        }
        t.del(key);
      },
      range: <T>(table: Table, range: KeyRange) =>
        this.table(table).range(range) as Iterable<{ key: string; value: T }>,
    };
  }

  async read<T>(fn: (txn: Txn) => T): Promise<T> {
    return fn(this.txn(undefined));
  }

  async write<T>(fn: (txn: Txn) => T): Promise<T> {
    const undo: (() => void)[] = [];
    let result: T;
    try {
      result = fn(this.txn(undo));
    } catch (err) {
      for (const step of undo.reverse()) step();
      throw err;
    }
    if (this.writeDelay > 0) await new Promise((resolve) => setTimeout(resolve, this.writeDelay));
    return result;
  }

  async close(): Promise<void> {
    this.tables.clear();
  }
}
