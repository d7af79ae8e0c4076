import { expect } from 'chai';
import { chooseNodes } from '../../src/master/placement.js';
import { DfsError } from '../../src/protocol/errors.js';

const GiB = 1024 ** 3;
const nodes = [
  { id: 'a', url: 'http://a', free: 10 * GiB },
  { id: 'b', url: 'http://b', free: 10 * GiB },
  { id: 'c', url: 'http://c', free: 1 * GiB },
  { id: 'd', url: 'http://d', free: 1000 },
];

describe('placement', () => {
  it('chooses the requested number of distinct nodes', () => {
    for (let i = 0; i < 50; i++) {
      const chosen = chooseNodes(nodes, 3, 100);
      expect(new Set(chosen.map((c) => c.id)).size).to.equal(3);
    }
  });

  it('never chooses an avoided node or one without room for the chunk plus the reserve', () => {
    for (let i = 0; i < 50; i++) {
      const chosen = chooseNodes(nodes, 2, 4096, new Set(['a']), 0).map((c) => c.id);
      expect(chosen).to.not.include('a');
      expect(chosen).to.not.include('d');
    }
    const withReserve = chooseNodes(nodes, 2, 100, new Set(), 2 * GiB).map((c) => c.id);
    expect(withReserve.sort()).to.deep.equal(['a', 'b']);
  });

  it('prefers nodes with more free space', () => {
    const counts: Record<string, number> = {};
    for (let i = 0; i < 2000; i++) {
      const [first] = chooseNodes(nodes, 1, 100);
      counts[first?.id ?? ''] = (counts[first?.id ?? ''] ?? 0) + 1;
    }
    expect(counts.a ?? 0).to.be.greaterThan((counts.c ?? 0) * 3);
    expect(counts.b ?? 0).to.be.greaterThan((counts.c ?? 0) * 3);
  });

  it('fails with insufficient_nodes when too few nodes qualify', () => {
    const err = (() => {
      try {
        chooseNodes(nodes, 3, 2 * GiB);
      } catch (e) {
        return e;
      }
    })();
    expect(err).to.be.instanceOf(DfsError);
    expect((err as DfsError).code).to.equal('insufficient_nodes');
    expect((err as DfsError).message).to.equal('need 3 live nodes with free space, 2 available');
  });

  it('is deterministic for a given random source', () => {
    const seq = () => {
      let x = 0.1;
      return () => {
        x = (x * 9301 + 0.49297) % 1;
        return x;
      };
    };
    expect(chooseNodes(nodes, 2, 1, new Set(), 0, seq())).to.deep.equal(
      chooseNodes(nodes, 2, 1, new Set(), 0, seq()),
    );
  });
});
