// `GET /api/fsck`: checks every file below a prefix (or one file) against the cluster, chunk by
// chunk — live replicas versus the replication factor — like `hdfs fsck`.

import { DfsError } from '../protocol/errors.js';
import { normalisePath, normalisePrefix } from '../protocol/paths.js';
import type { FsckChunk, FsckFile, FsckReport, Manifest } from '../protocol/types.js';
import type { MetaStore } from './meta.js';
import type { NodeRegistry } from './registry.js';

// Most problem files listed, and most chunks listed per file.
const MAX_PROBLEMS = 1000;
const MAX_CHUNKS = 100;

/** The files `raw` names: the one file at that path, or every file below it as a folder. */
function filesFor(meta: MetaStore, raw: unknown): { prefix: string; files: Iterable<Manifest> } {
  if (typeof raw === 'string' && raw !== '' && !raw.endsWith('/')) {
    const file = meta.files.get(normalisePath(raw));
    if (file) return { prefix: file.path, files: [file] };
  }
  const prefix = normalisePrefix(raw);
  if (prefix !== '/' && !meta.folderExists(prefix)) {
    throw new DfsError('not_found', `not found: ${prefix}`);
  }
  return { prefix, files: meta.filesUnder(prefix) };
}

/**
 * Checks the files at or below `raw`; `replication` is the factor every chunk should have and
 * `corrupt` the chunks with a copy found rotten and not yet replaced.
 */
export function fsck(
  meta: MetaStore,
  registry: NodeRegistry,
  replication: number,
  corrupt: ReadonlySet<string>,
  raw: unknown,
): FsckReport {
  const { prefix, files } = filesFor(meta, raw);
  const report: FsckReport = {
    prefix,
    status: 'healthy',
    replication,
    checkedAt: Date.now(),
    files: 0,
    bytes: 0,
    chunks: 0,
    healthyFiles: 0,
    underReplicatedFiles: 0,
    missingFiles: 0,
    underReplicatedChunks: 0,
    overReplicatedChunks: 0,
    missingChunks: 0,
    minReplicas: replication,
    problems: [],
    truncated: false,
  };
  for (const file of files) {
    report.files++;
    report.bytes += file.size;
    const problem: FsckFile = {
      path: file.path,
      size: file.size,
      chunkCount: file.chunks.length,
      underReplicated: 0,
      missing: 0,
      chunks: [],
    };
    for (const [index, chunk] of file.chunks.entries()) {
      report.chunks++;
      const replicas = registry.locate(meta.chunks.get(chunk.id)?.replicas ?? []);
      const live = replicas.filter((r) => r.alive).length;
      report.minReplicas = Math.min(report.minReplicas, live);
      if (live > replication) report.overReplicatedChunks++;
      if (live >= replication) continue;
      if (live === 0) problem.missing++;
      else problem.underReplicated++;
      if (problem.chunks.length < MAX_CHUNKS) {
        const detail: FsckChunk = { index, id: chunk.id, live, replicas, corrupt: corrupt.has(chunk.id) };
        problem.chunks.push(detail);
      }
    }
    report.underReplicatedChunks += problem.underReplicated;
    report.missingChunks += problem.missing;
    if (problem.missing > 0) report.missingFiles++;
    else if (problem.underReplicated > 0) report.underReplicatedFiles++;
    else {
      report.healthyFiles++;
      continue;
    }
    if (report.problems.length < MAX_PROBLEMS) report.problems.push(problem);
    else report.truncated = true;
  }
  // Lost files first, then by path.
  report.problems.sort(
    (a, b) => Number(b.missing > 0) - Number(a.missing > 0) || a.path.localeCompare(b.path),
  );
  report.status = report.missingFiles > 0 ? 'lost' : report.underReplicatedFiles > 0 ? 'degraded' : 'healthy';
  return report;
}
