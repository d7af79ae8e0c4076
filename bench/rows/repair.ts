// Row 7: repair. A 3-node cluster (replication 2, heartbeat timeout 3 s) holds a large file;
// one node is killed (SIGKILL); the time until `dfs status` reports nothing under-replicated or
// missing is compared with copying the lost node's bytes once with cp + sync.

import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Cluster } from '../lib/cluster.js';
import type { BenchContext } from '../lib/context.js';
import { stampFile, treeBytes } from '../lib/files.js';
import { elapsedMs, run } from '../lib/proc.js';
import { makeRow, type Row } from '../lib/report.js';

const HEARTBEAT_TIMEOUT = 3;
const REPAIR_LIMIT_MS = 15 * 60_000;

interface Status {
  nodes: { alive: number; dead: number };
  underReplicated: number;
  missing: number;
  repairsInProgress: number;
}

/** Row 7. */
export async function repairRows(ctx: BenchContext): Promise<Row[]> {
  const size = ctx.sizes.large;
  const file = await ctx.bigFile();
  const repair: number[] = [];
  const copy: number[] = [];
  const detect: number[] = [];
  let lost = 0;
  for (let i = 1; i <= ctx.options.runs; i++) {
    await stampFile(file, size, `rp${i}-${Date.now()}`);
    const cluster = await Cluster.start({
      ...ctx.clusterDefaults(),
      nodes: 3,
      heartbeatTimeout: HEARTBEAT_TIMEOUT,
      webClient: false,
    });
    try {
      await cluster.dfs(['upload', file, '/repair/big']);
      const victim = cluster.daemon('node1');
      const chunks = path.join(victim.data as string, 'chunks');
      lost = await treeBytes(chunks);
      // Baseline first, so the copy does not compete with the repair: the lost bytes, once.
      const target = path.join(ctx.work, 'repair-copy');
      const cp = await run('sh', ['-c', 'cp -r "$1" "$2" && sync', 'sh', chunks, target]);
      await run('rm', ['-rf', target]);
      copy.push(cp.ms / 1000);
      const status = async () => (await (await fetch(`${cluster.masterUrl}/api/status`)).json()) as Status;
      const started = process.hrtime.bigint();
      await cluster.kill('node1');
      let detected = 0;
      for (;;) {
        const s = await status().catch(() => undefined);
        if (s && s.nodes.dead >= 1) {
          detected ||= elapsedMs(started);
          if (s.underReplicated === 0 && s.missing === 0) break;
        }
        if (elapsedMs(started) > REPAIR_LIMIT_MS) throw new Error('repair did not finish in 15 minutes');
        await sleep(100);
      }
      const ms = elapsedMs(started);
      repair.push(ms / 1000);
      detect.push(detected / 1000);
      // The same answer through the CLI, as a user would check it.
      const cli = JSON.parse((await cluster.dfs(['status', '--json'])).stdout) as Status;
      if (cli.underReplicated !== 0 || cli.missing !== 0) throw new Error('dfs status disagrees');
      ctx.log(
        `repair ${i}: ${(lost / 1e6).toFixed(0)} MB lost, restored in ${(ms / 1000).toFixed(1)} s (dead after ${(detected / 1000).toFixed(1)} s); cp+sync ${(cp.ms / 1000).toFixed(2)} s`,
      );
    } finally {
      await cluster.stop();
    }
  }
  return [
    makeRow(
      {
        id: '7',
        what: `repair after losing a node holding ${(lost / 1e6).toFixed(0)} MB (3 nodes, r=2)`,
        baselineWhat: 'cp -r of those bytes + sync',
        unit: 's',
        target: 3,
        better: 'lower',
        note: `from SIGKILL to underReplicated=0 and missing=0; includes ${HEARTBEAT_TIMEOUT} s heartbeat timeout (dead seen after ${detect.map((d) => d.toFixed(1)).join('/')} s)`,
      },
      repair,
      copy,
    ),
  ];
}
