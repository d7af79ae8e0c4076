// `GET /api/fsck`: checks every file below a prefix (or one file) against the cluster, chunk by
// chunk — live replicas versus the replication factor — like `hdfs fsck`.

import type { MetaStore } from '../meta/store.js';
import type { FileSummary } from '../meta/types.js';
import { DfsError } from '../protocol/errors.js';
import { normalisePath, normalisePrefix } from '../protocol/paths.js';
import type { FsckChunk, FsckFile, FsckReport } from '../protocol/types.js';
import type { NodeRegistry } from './registry.js';
import type { ReplicaMap } from './replicas.js';

// Most problem files listed, and most chunks listed per file.
const MAX_PROBLEMS = 1000;
const MAX_CHUNKS = 100;
// Files read per page.
const PAGE = 1000;

/** What fsck reads. */
export interface FsckDeps {
  store: MetaStore;
  replicas: ReplicaMap;
  registry: NodeRegistry;
  replication: number;
  /** How long a committed chunk no node has reported yet is taken as not yet reported, not lost. */
  grace: number;
  /** Chunks with a copy found rotten and not yet replaced. */
  corrupt: ReadonlySet<string>;
}

/** The files `raw` names: the one file at that path, or every file below it as a folder. */
async function* filesFor(
  store: MetaStore,
  raw: unknown,
  found: (prefix: string) => void,
): AsyncGenerator<FileSummary> {
  if (typeof raw === 'string' && raw !== '' && !raw.endsWith('/')) {
    const file = await store.getFile(normalisePath(raw));
    if (file) {
      found(file.path);
      yield { ...file, chunkCount: file.chunks.length };
      return;
    }
  }
  const prefix = normalisePrefix(raw);
  if (prefix !== '/' && !(await store.getFolder(prefix)))
    throw new DfsError('not_found', `not found: ${prefix}`);
  found(prefix);
  let after: string | undefined;
  do {
    const page = await store.list({ prefix, delimiter: false, after, limit: PAGE, withChunks: true });
    for (const e of page.entries) if (e.kind === 'file') yield e.file;
    after = page.next;
  } while (after);
}

/** Checks the files at or below `raw` against the live replicas of their chunks. */
export async function fsck(deps: FsckDeps, raw: unknown): Promise<FsckReport> {
  const { registry, replicas, replication, corrupt, grace } = deps;
  const now = Date.now();
  let prefix = '/';
  const files = filesFor(deps.store, raw, (p) => {
    prefix = p;
  });
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
    unreportedChunks: 0,
    minReplicas: replication,
    problems: [],
    truncated: false,
  };
  for await (const file of files) {
    report.files++;
    report.bytes += file.size;
    const problem: FsckFile = {
      path: file.path,
      size: file.size,
      chunkCount: file.chunkCount,
      underReplicated: 0,
      missing: 0,
      chunks: [],
    };
    for (const [index, chunk] of (file.chunks ?? []).entries()) {
      report.chunks++;
      const located = registry.locate(replicas.holders(chunk.id));
      const live = located.filter((r) => r.alive).length;
      // Written moments ago through another master, or this master has just started.
      if (live === 0 && replicas.unreported(chunk.id, grace, now)) {
        report.unreportedChunks++;
        continue;
      }
      report.minReplicas = Math.min(report.minReplicas, live);
      if (live > replication) report.overReplicatedChunks++;
      if (live >= replication) continue;
      if (live === 0) problem.missing++;
      else problem.underReplicated++;
      if (problem.chunks.length < MAX_CHUNKS) {
        const detail: FsckChunk = {
          index,
          id: chunk.id,
          live,
          replicas: located,
          corrupt: corrupt.has(chunk.id),
        };
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
  report.prefix = prefix;
  report.status = report.missingFiles > 0 ? 'lost' : report.underReplicatedFiles > 0 ? 'degraded' : 'healthy';
  return report;
}
