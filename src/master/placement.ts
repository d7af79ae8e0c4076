// Placement: which live nodes receive a new chunk.

import { DfsError } from '../protocol/errors.js';

/** What placement needs to know of a node. */
export interface Candidate {
  id: string;
  url: string;
  free: number;
}

/**
 * Picks `count` distinct nodes for a chunk of `size` bytes, none in `avoid`. Nodes without room
 * for the chunk plus `reserve` are skipped; among the rest, choice is random weighted by free
 * space, so fuller disks fill more slowly and concurrent chunks spread over the cluster.
 */
export function chooseNodes(
  candidates: Candidate[],
  count: number,
  size: number,
  avoid: ReadonlySet<string> = new Set(),
  reserve = 0,
  random: () => number = Math.random,
): Candidate[] {
  const pool = candidates.filter((c) => !avoid.has(c.id) && c.free - size >= reserve);
  if (pool.length < count) {
    throw new DfsError(
      'insufficient_nodes',
      `need ${count} live node${count === 1 ? '' : 's'} with free space, ${pool.length} available`,
    );
  }
  const chosen: Candidate[] = [];
  while (chosen.length < count) {
    const total = pool.reduce((sum, c) => sum + Math.max(c.free, 1), 0);
    let pick = random() * total;
    let index = 0;
    for (; index < pool.length - 1; index++) {
      pick -= Math.max((pool[index] as Candidate).free, 1);
      if (pick < 0) break;
    }
    chosen.push(...pool.splice(index, 1));
  }
  return chosen;
}
