// `dfs nodes` and `dfs status`.

import { formatAgo, formatBytes, formatTime } from '../protocol/format.js';
import { clientFrom, command, withConnection, withJson } from './context.js';
import { printJson, printTable } from './render.js';

/** `dfs nodes`. */
export function nodesCommand() {
  return withJson(withConnection(command('nodes', 'list storage nodes and their state'))).action(
    async (options) => {
      const nodes = await clientFrom(options).nodes();
      if (options.json) return printJson(nodes);
      printTable(
        ['URL', 'State', 'Last heartbeat', 'Capacity', 'Free', 'Used', 'Chunks'],
        nodes.map((n) => [
          n.url,
          n.state,
          formatAgo(n.lastHeartbeat),
          formatBytes(n.capacity),
          formatBytes(n.free),
          formatBytes(n.used),
          n.chunks,
        ]),
        [3, 4, 5, 6],
      );
    },
  );
}

/** `dfs status`. */
export function statusCommand() {
  return withJson(withConnection(command('status', 'summarise cluster health'))).action(async (options) => {
    const s = await clientFrom(options).status();
    if (options.json) return printJson(s);
    const healthy = s.underReplicated === 0 && s.missing === 0 && s.corrupt === 0 && s.nodes.dead === 0;
    printTable(
      ['Health', healthy ? 'healthy' : 'DEGRADED'],
      [
        ['Nodes', `${s.nodes.alive} alive, ${s.nodes.dead} dead`],
        ['Files', `${s.files} (${formatBytes(s.logicalBytes)})`],
        ['Chunks', `${s.chunks} (${formatBytes(s.storedBytes)} stored, replication ${s.replication})`],
        ['Under-replicated', s.underReplicated],
        ['Missing', s.missing],
        ['Corrupt', s.corrupt],
        ['Repairs running', s.repairsInProgress],
      ],
    );
    if (s.events.length > 0) {
      process.stdout.write('Recent events:\n');
      for (const e of s.events.slice(0, 10)) process.stdout.write(`  ${formatTime(e.time)}  ${e.message}\n`);
    }
  });
}
