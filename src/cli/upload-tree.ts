// `dfs upload DIR`: a folder tree, several files at once. An entry that cannot be uploaded is
// named with its reason and the rest goes on; the command then exits 1 with a summary.

import { DfsError } from '../protocol/errors.js';
import { normalisePath } from '../protocol/paths.js';
import type { DfsClient } from '../sdk/client.js';
import { Limiter } from '../sdk/limit.js';
import { LocalFileError, localReason, shown } from './local-errors.js';
import { walkTree } from './local-tree.js';

// Connection failures that no other file would escape: stop at once instead of naming them all.
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'EAI_AGAIN']);

/** True for a failure every other file would meet too (the master unreachable, the token refused). */
export function isFatal(err: unknown): boolean {
  if (!(err instanceof DfsError) || err instanceof LocalFileError) return false;
  if (err.code === 'unauthorized' || err.code === 'forbidden') return true;
  return UNREACHABLE.has((err.cause as NodeJS.ErrnoException | undefined)?.code ?? '');
}

/** A failure in words: the cluster's message, or the local file system's reason. */
export function reasonOf(err: unknown): string {
  return err instanceof DfsError ? err.message : localReason(err);
}

/** Uploads the tree `local` into `remoteBase`, `parallel` files at once. */
export async function uploadTree(sdk: DfsClient, local: string, remoteBase: string, parallel: number) {
  const limiter = new Limiter(parallel);
  const running = new Set<Promise<void>>();
  const target = (rel: string) => (rel ? normalisePath(`${remoteBase}/${rel}`) : remoteBase);
  const check = (rel: string) => {
    try {
      target(rel);
      return undefined;
    } catch (err) {
      return reasonOf(err);
    }
  };
  let files = 0;
  let folders = 0;
  let problems = 0;
  let fatal: unknown;
  const problem = (what: string, path: string, reason: string) => {
    problems++;
    process.stderr.write(`dfs: ${what} ${shown(path)}: ${reason}\n`);
  };
  for await (const entry of walkTree(local, check)) {
    if (entry.kind === 'skip') {
      problem('skipped', entry.local, entry.reason);
      continue;
    }
    await limiter.slot();
    if (fatal) break;
    const remote = target(entry.rel);
    const task = limiter
      .run(async () => {
        if (entry.kind === 'folder') {
          await sdk.mkdir(remote);
          folders++;
          process.stderr.write(`created ${remote}/\n`);
        } else {
          const manifest = await sdk.uploadFile(entry.local, remote);
          files++;
          process.stderr.write(`uploaded ${shown(entry.local)} → ${remote} (${manifest.size} bytes)\n`);
        }
      })
      .catch((err) => {
        if (isFatal(err)) fatal ??= err;
        else problem('failed', entry.local, reasonOf(err));
      })
      .finally(() => running.delete(task));
    running.add(task);
  }
  await Promise.all(running);
  if (fatal) throw fatal;
  const done = `uploaded ${files} file(s)${folders ? ` and ${folders} empty folder(s)` : ''} into ${remoteBase}`;
  if (problems > 0)
    throw new DfsError('conflict', `${done}; ${problems} entries skipped or failed (named above)`);
  process.stderr.write(`${done}\n`);
}
