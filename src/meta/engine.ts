// The engine under the embedded metadata backends (memory, LMDB): ordered tables read and
// written synchronously inside one transaction. The namespace rules are written once over it
// (kv-store.ts); PostgreSQL implements the same store in SQL instead.

/** The tables of an embedded store. */
export type Table =
  | 'entries'
  | 'chunks'
  | 'leases'
  | 'leaseChunks'
  | 'leaseExpiry'
  | 'parts'
  | 'multiparts'
  | 'locks'
  | 'lockRoots'
  | 'nodes'
  | 'masters'
  | 'state'
  | 'ops'
  | 'opExpiry';

/** Every table, for engines that open them up front. */
export const TABLES: readonly Table[] = [
  'entries',
  'chunks',
  'leases',
  'leaseChunks',
  'leaseExpiry',
  'parts',
  'multiparts',
  'locks',
  'lockRoots',
  'nodes',
  'masters',
  'state',
  'ops',
  'opExpiry',
];

/** A key range: keys `>= start` and `< end`, in UTF-8 byte order. */
export interface KeyRange {
  start?: string;
  end?: string;
  limit?: number;
}

/** Reads and writes inside one transaction; writes are visible to later reads in it. */
export interface Txn {
  get<T>(table: Table, key: string): T | undefined;
  put<T>(table: Table, key: string, value: T): void;
  del(table: Table, key: string): void;
  /** Rows in key order. */
  range<T>(table: Table, range: KeyRange): Iterable<{ key: string; value: T }>;
}

/** An ordered, transactional key-value engine. */
export interface Engine {
  readonly kind: string;
  /** Runs `fn` against a consistent view. */
  read<T>(fn: (txn: Txn) => T): Promise<T>;
  /**
   * Runs `fn` as one atomic transaction: throwing aborts every write it made. Resolves once the
   * transaction is durable, or (with `durable: false`) once it is committed and visible.
   */
  write<T>(fn: (txn: Txn) => T, options?: { durable?: boolean }): Promise<T>;
  close(): Promise<void>;
}

/** The smallest string greater than every string that starts with `prefix` and holds no U+10FFFF. */
export function prefixEnd(prefix: string): string {
  return `${prefix}\u{10FFFF}`;
}
