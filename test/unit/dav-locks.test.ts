// Lock rules over a fake clock: coverage, conflicts, the tokens a change must submit, refresh,
// UNLOCK and expiry — and the lock store contract, run against the in-memory store.

import { expect } from 'chai';
import { DavError } from '../../src/dav/errors.js';
import { MemoryLockStore } from '../../src/dav/lock-store.js';
import {
  assertLocksSubmitted,
  type DavChange,
  type DavLock,
  lockConflicts,
  lockRequirements,
  locksBelow,
  locksCovering,
  locksToRefresh,
  lockToRemove,
  mintLockToken,
  newLock,
  refreshLock,
  unmetRequirements,
} from '../../src/dav/locks.js';
import { describeLockStore, fakeClock } from '../helpers/dav-lock-contract.js';

const NOW = 1_800_000_000_000;

function lock(
  token: string,
  root: string,
  depth: 0 | 'infinity',
  scope: 'exclusive' | 'shared' = 'exclusive',
): DavLock {
  return { token, root, depth, scope, owner: '', timeoutSeconds: 600, expires: NOW + 600_000 };
}

function caught(fn: () => unknown): DavError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(DavError);
    return err as DavError;
  }
  return expect.fail('did not throw');
}

const tokens = (locks: readonly DavLock[]) => locks.map((l) => l.token);

describe('dav locks', () => {
  describe('coverage', () => {
    const locks = [
      lock('t-file', '/a/f', 0),
      lock('t-a0', '/a', 0),
      lock('t-ainf', '/a', 'infinity', 'shared'),
      lock('t-ab', '/ab', 'infinity'),
      lock('t-deep', '/a/b/c', 0),
      { ...lock('t-old', '/a/f', 0), expires: NOW },
    ];

    it('a path is covered by its own locks and by depth-infinity locks above it, segment-wise', () => {
      expect(tokens(locksCovering(locks, '/a/f', NOW))).to.deep.equal(['t-file', 't-ainf']);
      expect(tokens(locksCovering(locks, '/a', NOW))).to.deep.equal(['t-a0', 't-ainf']);
      expect(tokens(locksCovering(locks, '/ab/x', NOW))).to.deep.equal(['t-ab']);
      expect(tokens(locksCovering(locks, '/', NOW))).to.deep.equal([]);
    });

    it('an expired lock covers nothing', () => {
      expect(tokens(locksCovering(locks, '/a/f', NOW - 1))).to.include('t-old');
      expect(tokens(locksCovering(locks, '/a/f', NOW))).to.not.include('t-old');
    });

    it('locksBelow is strictly below', () => {
      expect(tokens(locksBelow(locks, '/a', NOW))).to.deep.equal(['t-file', 't-deep']);
      expect(tokens(locksBelow(locks, '/', NOW))).to.have.length(5);
    });

    it('a depth-infinity lock on the root covers everything', () => {
      expect(tokens(locksCovering([lock('r', '/', 'infinity')], '/x/y/z', NOW))).to.deep.equal(['r']);
    });
  });

  describe('lockConflicts', () => {
    const cases: [
      string,
      DavLock[],
      { root: string; depth: 0 | 'infinity'; scope: 'exclusive' | 'shared' },
      string[],
    ][] = [
      [
        'exclusive on an exclusively locked file',
        [lock('x', '/f', 0)],
        { root: '/f', depth: 0, scope: 'exclusive' },
        ['x'],
      ],
      [
        'shared on an exclusively locked file',
        [lock('x', '/f', 0)],
        { root: '/f', depth: 0, scope: 'shared' },
        ['x'],
      ],
      [
        'exclusive on a file with a shared lock',
        [lock('s', '/f', 0, 'shared')],
        { root: '/f', depth: 0, scope: 'exclusive' },
        ['s'],
      ],
      ['shared beside shared', [lock('s', '/f', 0, 'shared')], { root: '/f', depth: 0, scope: 'shared' }, []],
      [
        'under a depth-0 collection lock',
        [lock('c', '/c', 0)],
        { root: '/c/f', depth: 0, scope: 'exclusive' },
        [],
      ],
      [
        'under a depth-infinity collection lock',
        [lock('c', '/c', 'infinity')],
        { root: '/c/d/f', depth: 0, scope: 'exclusive' },
        ['c'],
      ],
      [
        'shared under a shared depth-infinity lock',
        [lock('c', '/c', 'infinity', 'shared')],
        { root: '/c/f', depth: 'infinity', scope: 'shared' },
        [],
      ],
      [
        'depth infinity over a locked member',
        [lock('m', '/c/d/f', 0)],
        { root: '/c', depth: 'infinity', scope: 'shared' },
        ['m'],
      ],
      [
        'depth 0 over a locked member',
        [lock('m', '/c/d/f', 0)],
        { root: '/c', depth: 0, scope: 'exclusive' },
        [],
      ],
      [
        'depth infinity on the root over anything',
        [lock('m', '/x', 0)],
        { root: '/', depth: 'infinity', scope: 'exclusive' },
        ['m'],
      ],
      [
        'a sibling with a longer name',
        [lock('s', '/ab', 'infinity')],
        { root: '/a', depth: 'infinity', scope: 'exclusive' },
        [],
      ],
      [
        'an expired lock',
        [{ ...lock('x', '/f', 0), expires: NOW }],
        { root: '/f', depth: 0, scope: 'exclusive' },
        [],
      ],
    ];
    for (const [what, locks, request, expected] of cases) {
      it(what, () => {
        expect(tokens(lockConflicts(locks, request, NOW))).to.deep.equal(expected);
      });
    }
  });

  describe('required tokens', () => {
    function unmet(locks: DavLock[], changes: DavChange[], submitted: string[]): string[] {
      return unmetRequirements(lockRequirements(locks, changes, NOW), submitted).map((r) => r.path);
    }

    it('modifying a locked file needs its token (litmus notowner_modify / owner_modify)', () => {
      const locks = [lock('t', '/litmus/lockme', 0)];
      expect(unmet(locks, [{ kind: 'modify', path: '/litmus/lockme' }], [])).to.deep.equal([
        '/litmus/lockme',
      ]);
      expect(unmet(locks, [{ kind: 'modify', path: '/litmus/lockme' }], ['t'])).to.deep.equal([]);
      expect(unmet(locks, [{ kind: 'modify', path: '/litmus/notlocked' }], [])).to.deep.equal([]);
    });

    it('a depth-0 collection lock guards membership, not members (RFC 4918 §7.5)', () => {
      const locks = [lock('c', '/c', 0)];
      expect(unmet(locks, [{ kind: 'modify', path: '/c/f' }], [])).to.deep.equal([]);
      expect(unmet(locks, [{ kind: 'create', path: '/c/new' }], [])).to.deep.equal(['/c']);
      expect(unmet(locks, [{ kind: 'remove', path: '/c/f' }], [])).to.deep.equal(['/c']);
      expect(unmet(locks, [{ kind: 'create', path: '/c/d/deeper' }], [])).to.deep.equal([]);
      expect(unmet(locks, [{ kind: 'create', path: '/c/new' }], ['c'])).to.deep.equal([]);
    });

    it('a depth-infinity collection lock guards everything below (litmus lock_collection)', () => {
      const locks = [lock('c', '/lockcoll', 'infinity')];
      expect(unmet(locks, [{ kind: 'modify', path: '/lockcoll/lockme.txt' }], [])).to.deep.equal([
        '/lockcoll/lockme.txt',
      ]);
      expect(unmet(locks, [{ kind: 'create', path: '/lockcoll/a/b' }], ['c'])).to.deep.equal([]);
    });

    it('removing a collection needs the token of every lock below it', () => {
      const locks = [lock('x', '/c/x/y', 0), lock('z', '/c/z', 'infinity')];
      expect(unmet(locks, [{ kind: 'remove', path: '/c' }], [])).to.deep.equal(['/c/x/y', '/c/z']);
      expect(unmet(locks, [{ kind: 'remove', path: '/c' }], ['x'])).to.deep.equal(['/c/z']);
      expect(unmet(locks, [{ kind: 'remove', path: '/c' }], ['x', 'z'])).to.deep.equal([]);
    });

    it('one token of the shared locks on a resource is enough', () => {
      const locks = [lock('a', '/c', 'infinity', 'shared'), lock('b', '/c/x', 0, 'shared')];
      expect(unmet(locks, [{ kind: 'remove', path: '/c' }], ['a'])).to.deep.equal([]);
      expect(unmet(locks, [{ kind: 'modify', path: '/c/x' }], ['b'])).to.deep.equal([]);
      expect(unmet(locks, [{ kind: 'remove', path: '/c' }], ['b'])).to.deep.equal(['/c']);
    });

    it('a MOVE needs the source and the destination parent (and an overwritten destination)', () => {
      const locks = [lock('src', '/a/s', 0), lock('dst', '/b', 0), lock('old', '/b/d', 0)];
      const move: DavChange[] = [
        { kind: 'remove', path: '/a/s' },
        { kind: 'remove', path: '/b/d' },
        { kind: 'create', path: '/b/d' },
      ];
      expect(unmet(locks, move, [])).to.deep.equal(['/a/s', '/b/d', '/b']);
      expect(unmet(locks, move, ['src', 'dst', 'old'])).to.deep.equal([]);
    });

    it('COPY onto a locked file needs its token; reading the source needs none (litmus notowner_modify)', () => {
      const locks = [lock('t', '/litmus/lockme', 0)];
      const copy: DavChange[] = [
        { kind: 'remove', path: '/litmus/lockme' },
        { kind: 'create', path: '/litmus/lockme' },
      ];
      expect(unmet(locks, copy, [])).to.deep.equal(['/litmus/lockme']);
      expect(unmet(locks, [{ kind: 'create', path: '/litmus/lockme-copydest' }], [])).to.deep.equal([]);
    });

    it('expired locks need no token', () => {
      const locks = [{ ...lock('t', '/f', 0), expires: NOW }];
      expect(unmet(locks, [{ kind: 'modify', path: '/f' }], [])).to.deep.equal([]);
    });

    it('assertLocksSubmitted answers 423 lock-token-submitted naming the lock roots', () => {
      const locks = [lock('c', '/c', 'infinity'), lock('s', '/c/sub', 0, 'shared')];
      const err = caught(() =>
        assertLocksSubmitted(locks, [{ kind: 'modify', path: '/c/sub' }], ['bogus'], NOW),
      );
      expect(err.status).to.equal(423);
      expect(err.condition).to.deep.equal({ name: 'lock-token-submitted', paths: ['/c', '/c/sub'] });
      expect(() =>
        assertLocksSubmitted(locks, [{ kind: 'modify', path: '/c/sub' }], ['s'], NOW),
      ).to.not.throw();
    });
  });

  describe('refresh and UNLOCK', () => {
    const coll = lock('c', '/lockcoll', 'infinity');
    const file = lock('f', '/f', 0);

    it('refreshes a collection lock through a member URL (litmus indirect_refresh)', () => {
      expect(tokens(locksToRefresh([coll, file], '/lockcoll/lockme.txt', ['c'], NOW))).to.deep.equal(['c']);
      const renewed = refreshLock(coll, 120, NOW + 5000);
      expect(renewed).to.deep.equal({ ...coll, timeoutSeconds: 120, expires: NOW + 5000 + 120_000 });
    });

    it('refuses a refresh without a token for a lock on the resource with 412', () => {
      expect(caught(() => locksToRefresh([coll, file], '/f', ['c'], NOW)).status).to.equal(412);
      expect(caught(() => locksToRefresh([file], '/f', ['f'], file.expires)).status).to.equal(412);
    });

    it('UNLOCK takes a lock whose scope holds the URL', () => {
      expect(lockToRemove([coll, file], '/lockcoll', 'c', NOW)).to.equal(coll);
      expect(lockToRemove([coll, file], '/lockcoll/x/y', 'c', NOW)).to.equal(coll);
    });

    it('UNLOCK with a bogus token, or at a URL outside the lock, is 409 (litmus notowner_lock)', () => {
      for (const [path, token] of [
        ['/f', 'opaquelocktoken:foobar'],
        ['/f/x', 'f'],
        ['/elsewhere', 'c'],
      ] as const) {
        const err = caught(() => lockToRemove([coll, file], path, token, NOW));
        expect(err.status).to.equal(409);
        expect(err.condition).to.deep.equal({ name: 'lock-token-matches-request-uri' });
      }
    });
  });

  describe('new locks', () => {
    it('mints unguessable urn:uuid tokens', () => {
      const token = mintLockToken();
      expect(token).to.match(
        /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
      expect(new Set(Array.from({ length: 100 }, mintLockToken)).size).to.equal(100);
    });

    it('expires after its timeout', () => {
      const made = newLock(
        { root: '/f', depth: 0, scope: 'shared', owner: 'me', timeoutSeconds: 600 },
        NOW,
        'urn:uuid:t',
      );
      expect(made).to.deep.equal({
        token: 'urn:uuid:t',
        root: '/f',
        depth: 0,
        scope: 'shared',
        owner: 'me',
        timeoutSeconds: 600,
        expires: NOW + 600_000,
      });
      expect(locksCovering([made], '/f', NOW + 599_999)).to.have.length(1);
      expect(locksCovering([made], '/f', NOW + 600_000)).to.have.length(0);
    });
  });
});

describeLockStore('MemoryLockStore', () => new MemoryLockStore(), fakeClock(NOW));
