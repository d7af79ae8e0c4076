// `dfs nodes` and `dfs status`.

import { DfsError } from '../protocol/errors.js';
import { formatAgo, formatBytes, formatTime, healthOf } from '../protocol/format.js';
import { clientFrom, command, withConnection, withJson } from './context.js';
import { printJson, printTable } from './render.js';

/** `dfs nodes` (and `dfs nodes remove ID|URL`). */
export function nodesCommand() {
  const nodes = withJson(withConnection(command('nodes', 'list storage nodes and their state'))).action(
    async (options) => {
      const list = await clientFrom(options).nodes();
      if (options.json) return printJson(list);
      printTable(
        ['URL', 'State', 'Last heartbeat', 'Capacity', 'Free (past reserve)', 'Used', 'Chunks'],
        list.map((n) => [
          n.url,
          n.writeError ? `${n.state}, cannot write` : n.state,
          formatAgo(n.lastHeartbeat),
          formatBytes(n.capacity),
          formatBytes(n.free),
          formatBytes(n.used),
          n.chunks,
        ]),
        [3, 4, 5, 6],
      );
      for (const n of list)
        if (n.writeError) process.stderr.write(`dfs: node ${n.url} cannot write: ${n.writeError}\n`);
    },
  );
  nodes.addCommand(
    withConnection(
      command('remove', 'forget a dead node for good (refused while it holds the only copy of anything)'),
    )
      .argument('<node>', 'the node id or URL')
      .action(async (node: string, options) => {
        const removed = await clientFrom({ ...nodes.opts(), ...options }).api.removeNode(node);
        process.stderr.write(`removed node ${removed.url} (${removed.id})\n`);
      }),
  );
  return nodes;
}

/** `dfs status`. */
export function statusCommand() {
  return withJson(withConnection(command('status', 'summarise cluster health'))).action(async (options) => {
    const s = await clientFrom(options).status();
    if (options.json) return printJson(s);
    const health = healthOf(s);
    printTable(
      ['Health', health === 'healthy' ? health : health.toUpperCase()],
      [
        [
          'Master',
          `${s.role}${s.epoch ? (s.role === 'leader' ? `, epoch ${s.epoch}` : ` (the leader's epoch ${s.epoch})`) : ''}${s.safeMode.on ? ` — safe mode: waiting for ${s.safeMode.waitingFor} node(s) to report` : ''}`,
        ],
        ...(s.masters.length > 1
          ? [
              [
                'Masters',
                s.masters
                  .map((m) => `${m.url}${m.leader ? ' (leader)' : ''}${m.silent ? ' (not answering)' : ''}`)
                  .join('\n'),
              ] as [string, string],
            ]
          : []),
        ...(s.metadataAnswering === false
          ? [['Metadata store', 'NOT ANSWERING: files and bytes below as last read'] as [string, string]]
          : []),
        ['Nodes', `${s.nodes.alive} alive, ${s.nodes.dead} dead`],
        ['Files', `${s.files} (${formatBytes(s.logicalBytes)})`],
        [
          'Chunks',
          `${s.chunks} distinct (${formatBytes(s.storedBytes)} stored with their replicas, replication ${s.replication})`,
        ],
        ['Under-replicated', s.underReplicated],
        ['Missing', s.missing],
        ['Corrupt', s.corrupt],
        ['Repairs running', s.repairsInProgress],
      ],
    );
    if (s.events.length > 0) {
      process.stdout.write('Recent events (UTC):\n');
      for (const e of s.events.slice(0, 10)) process.stdout.write(`  ${formatTime(e.time)}  ${e.message}\n`);
    }
    if (health === 'lost')
      throw new DfsError(
        'unavailable',
        `${s.missing} chunk(s) have no live replica: their files cannot be read`,
      );
  });
}
