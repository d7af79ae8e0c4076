// The LockStore contract: every backend (in memory, the metadata store through the SDK) runs it.
// A backend on a real cluster keeps time by the master's clock, so the suite takes a clock.

import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { type LockStore, locksAround } from '../../src/dav/lock-store.js';
import { type DavLock, mintLockToken, refreshLock } from '../../src/dav/locks.js';

/** The time a store is driven by. */
export interface ContractClock {
  now(): number;
  /** Lets `ms` pass (a fake clock jumps; a real one waits). */
  advance(ms: number): Promise<void>;
}

/** A clock that only moves when told. */
export function fakeClock(start = 1_800_000_000_000): ContractClock {
  let now = start;
  return {
    now: () => now,
    advance: async (ms) => {
      now += ms;
    },
  };
}

/** Wall-clock time, for a store whose server drops expired locks by its own clock. */
export const realClock: ContractClock = {
  now: () => Date.now(),
  advance: (ms) => sleep(ms),
};

/** Runs the LockStore contract against the stores `makeStore` returns (a fresh one per test). */
export function describeLockStore(
  name: string,
  makeStore: () => Promise<LockStore> | LockStore,
  clock: ContractClock,
): void {
  describe(`lock store contract: ${name}`, () => {
    let store: LockStore;
    let now: number;
    // Tokens by name: a store may insist on real urn:uuid tokens.
    let ids: Map<string, string>;
    const id = (name: string) => {
      const token = ids.get(name) ?? mintLockToken();
      ids.set(name, token);
      return token;
    };
    const named = (locks: readonly DavLock[]) =>
      locks.map((l) => [...ids].find(([, token]) => token === l.token)?.[0] ?? l.token);
    const lock = (
      name: string,
      root: string,
      depth: 0 | 'infinity',
      scope: 'exclusive' | 'shared' = 'exclusive',
      timeoutSeconds = 600,
    ): DavLock => ({
      token: id(name),
      root,
      depth,
      scope,
      owner: `<D:href xmlns:D="DAV:">owner of ${name}</D:href>`,
      timeoutSeconds,
      expires: now + timeoutSeconds * 1000,
    });
    // What a store must keep of a lock; `expires` may come from the store's own clock.
    const kept = (locks: readonly DavLock[]) =>
      locks.map(({ expires, ...rest }) => {
        expect(expires).to.be.closeTo(now + rest.timeoutSeconds * 1000, 5_000);
        return rest;
      });

    beforeEach(async () => {
      store = await makeStore();
      now = clock.now();
      ids = new Map();
    });

    it('acquires a lock and finds it by root and below its ancestors', async () => {
      const a = lock('a', '/x/y', 0);
      expect(await store.acquire(a, now)).to.deep.equal([]);
      expect(kept(await store.locksOn(['/x/y', '/q'], now))).to.deep.equal(kept([a]));
      expect(await store.locksOn(['/x'], now)).to.deep.equal([]);
      expect(named(await store.locksUnder('/x', now))).to.deep.equal(['a']);
      expect(named(await store.locksUnder('/', now))).to.deep.equal(['a']);
      expect(await store.locksUnder('/x/y', now)).to.deep.equal([]);
      expect(await store.locksUnder('/x/yy', now)).to.deep.equal([]);
    });

    it('refuses a conflicting lock and stores nothing', async () => {
      const held = lock('held', '/c', 'infinity');
      await store.acquire(held, now);
      expect(named(await store.acquire(lock('late', '/c/f', 0, 'shared'), now))).to.deep.equal(['held']);
      expect(named(await store.acquire(lock('above', '/', 'infinity', 'shared'), now))).to.deep.equal([
        'held',
      ]);
      expect(named(await store.locksUnder('/', now))).to.deep.equal(['held']);
    });

    it('keeps a depth-0 lock on a folder to itself: members can be locked, the folder not again', async () => {
      await store.acquire(lock('dir', '/d', 0), now);
      expect(await store.acquire(lock('member', '/d/f', 0), now)).to.deep.equal([]);
      expect(named(await store.acquire(lock('again', '/d', 'infinity'), now))).to.have.members([
        'dir',
        'member',
      ]);
    });

    it('lets only one of two racing exclusive LOCKs win', async () => {
      const results = await Promise.all([
        store.acquire(lock('one', '/r', 0), now),
        store.acquire(lock('two', '/r', 0), now),
      ]);
      expect(results.filter((conflicts) => conflicts.length === 0)).to.have.length(1);
      expect(await store.locksOn(['/r'], now)).to.have.length(1);
    });

    it('admits shared locks side by side', async () => {
      expect(await store.acquire(lock('s1', '/r', 0, 'shared'), now)).to.deep.equal([]);
      expect(await store.acquire(lock('s2', '/r', 0, 'shared'), now)).to.deep.equal([]);
      expect(named(await store.locksOn(['/r'], now)).sort()).to.deep.equal(['s1', 's2']);
    });

    it('forgets expired locks, which then conflict with nothing', async () => {
      const old = lock('old', '/r', 0, 'exclusive', 1);
      await store.acquire(old, now);
      await clock.advance(old.expires - now + 50);
      const later = clock.now();
      expect(await store.locksOn(['/r'], later)).to.deep.equal([]);
      expect(await store.locksUnder('/', later)).to.deep.equal([]);
      expect(await store.acquire(lock('new', '/r', 0), later)).to.deep.equal([]);
    });

    it('replaces a lock on refresh, but not one that is gone', async () => {
      const a = lock('a', '/r', 0);
      await store.acquire(a, now);
      const renewed = refreshLock(a, 60, now);
      expect(await store.putLock(renewed)).to.equal(true);
      expect(kept(await store.locksOn(['/r'], now))).to.deep.equal(kept([renewed]));
      expect(await store.removeLock(a.token)).to.equal(true);
      expect(await store.removeLock(a.token)).to.equal(false);
      expect(await store.putLock(renewed)).to.equal(false);
      expect(await store.locksOn(['/r'], now)).to.deep.equal([]);
    });

    it('removes the locks at and below a path, not beside it', async () => {
      for (const l of [
        lock('c', '/c', 0),
        lock('d', '/c/d', 0),
        lock('e', '/c/d/e', 0),
        lock('cc', '/cc', 0),
      ]) {
        await store.acquire(l, now);
      }
      expect(await store.removeLocksWithin('/c')).to.equal(3);
      expect(named(await store.locksUnder('/', now))).to.deep.equal(['cc']);
    });

    it('locksAround gathers the locks on ancestors and below, once each', async () => {
      const all = [
        lock('root', '/', 0),
        lock('a', '/a', 'infinity', 'shared'),
        lock('ab', '/a/b', 0, 'shared'),
        lock('abc', '/a/b/c', 0, 'shared'),
        lock('other', '/z', 0),
      ];
      for (const l of all) expect(await store.acquire(l, now)).to.deep.equal([]);
      const found = await locksAround(store, ['/a/b', '/a'], now);
      expect(named(found).sort()).to.deep.equal(['a', 'ab', 'abc', 'root']);
      expect(named(await locksAround(store, ['/z/new'], now)).sort()).to.deep.equal(['other', 'root']);
    });

    it('keeps names with spaces, unicode and URL characters apart', async () => {
      const odd = ['/a b/ü ñ', '/a b/%20', '/a b/x#y?z'];
      for (const [i, root] of odd.entries())
        expect(await store.acquire(lock(`n${i}`, root, 0), now)).to.deep.equal([]);
      expect(named(await store.locksOn(['/a b/%20'], now))).to.deep.equal(['n1']);
      expect(named(await store.locksUnder('/a b', now)).sort()).to.deep.equal(['n0', 'n1', 'n2']);
    });
  });
}
