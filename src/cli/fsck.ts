// `dfs fsck [PREFIX]`: every file's chunks checked against the cluster, like `hdfs fsck`;
// exits 1 when a file has a chunk with no live replica.

import { DfsError } from '../protocol/errors.js';
import { formatBytes } from '../protocol/format.js';
import type { FsckFile, FsckReport } from '../protocol/types.js';
import { clientFrom, command, withConnection, withJson } from './context.js';
import { printJson, printTable } from './render.js';

// Chunks named per problem file in the table; --json has them all.
const CHUNKS_SHOWN = 3;

/** `dfs fsck [PREFIX]`. */
export function fsckCommand() {
  return withJson(
    withConnection(
      command('fsck', "check every file's chunks against live replicas (exit 1 if data is lost)"),
    ),
  )
    .argument('[prefix]', 'folder (or one file) to check', '/')
    .action(async (prefix: string, options) => {
      const report = await clientFrom(options).fsck(prefix);
      if (options.json) printJson(report);
      else printReport(report);
      if (report.missingFiles > 0) {
        throw new DfsError(
          'unavailable',
          `${report.missingFiles} file(s) under ${report.prefix} have chunks with no live replica`,
        );
      }
    });
}

function printReport(r: FsckReport): void {
  printTable(
    ['Status', r.status.toUpperCase()],
    [
      ['Checked', r.prefix],
      ['Files', `${r.files} (${formatBytes(r.bytes)})`],
      // A chunk two files share is checked for each: the count is not `dfs status`'s distinct chunks.
      [
        'Chunks checked',
        `${r.chunks}, each file's (replication ${r.replication}, fewest live replicas ${r.minReplicas})`,
      ],
      ['Healthy files', r.healthyFiles],
      ['Under-replicated', `${r.underReplicatedFiles} file(s), ${r.underReplicatedChunks} chunk(s)`],
      ['Missing (lost)', `${r.missingFiles} file(s), ${r.missingChunks} chunk(s)`],
      ['Over-replicated chunks', r.overReplicatedChunks],
      ...(r.unreportedChunks
        ? [
            [
              'Not yet reported',
              `${r.unreportedChunks} chunk(s): written moments ago, or the master has just started (check again shortly)`,
            ] as [string, string],
          ]
        : []),
    ],
  );
  if (r.problems.length === 0) return;
  printTable(
    ['Path', 'Problem', 'Chunks'],
    r.problems.map((p) => [p.path, problemOf(p), chunksOf(p)]),
  );
  if (r.truncated) process.stdout.write('(more files have problems: use --json or a narrower prefix)\n');
}

function problemOf(p: FsckFile): string {
  const parts: string[] = [];
  if (p.missing > 0) parts.push(`MISSING ${p.missing} of ${p.chunkCount} chunks`);
  if (p.underReplicated > 0) parts.push(`under-replicated ${p.underReplicated} of ${p.chunkCount}`);
  return parts.join('\n');
}

function chunksOf(p: FsckFile): string {
  const lines = p.chunks.slice(0, CHUNKS_SHOWN).map((c) => {
    const where = c.replicas.map((r) => `${r.url || r.nodeId}${r.alive ? '' : ' (dead)'}`).join(', ');
    const state = `${c.live} live${c.corrupt ? ', corrupt copies quarantined' : ''}`;
    return `#${c.index} ${c.id.slice(0, 12)}… ${state}${where ? `: ${where}` : ''}`;
  });
  const more = p.underReplicated + p.missing - lines.length;
  if (more > 0) lines.push(`… and ${more} more`);
  return lines.join('\n');
}
