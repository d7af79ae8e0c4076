// `dfs upload DIR`: a folder tree, several files at once (tree-run.ts); an entry that cannot be
// uploaded is named with its reason, the rest goes on, empty folders are created remotely.

import { formatBytes } from '../protocol/format.js';
import { normalisePath } from '../protocol/paths.js';
import type { DfsClient, UploadOptions } from '../sdk/client.js';
import { cannotRead, shown } from './local-errors.js';
import { walkTree } from './local-tree.js';
import { reasonOf, TreeRun } from './tree-run.js';

/** Uploads the tree `local` into `remoteBase`, `parallel` files at once; `extra` for every file. */
export async function uploadTree(
  sdk: DfsClient,
  local: string,
  remoteBase: string,
  parallel: number,
  extra: UploadOptions = {},
) {
  const run = new TreeRun(parallel, 'uploading');
  const target = (rel: string) => (rel ? normalisePath(`${remoteBase}/${rel}`) : remoteBase);
  const check = (rel: string) => {
    try {
      target(rel);
      return undefined;
    } catch (err) {
      return reasonOf(err);
    }
  };
  let folders = 0;
  const walk = async () => {
    for await (const entry of walkTree(local, check)) {
      if (entry.kind === 'skip') {
        run.problem('skipped', entry.local, entry.reason);
        continue;
      }
      const remote = target(entry.rel);
      const started = await run.start(entry.local, async () => {
        if (entry.kind === 'folder') {
          await sdk.mkdir(remote);
          folders++;
          run.done(`created ${remote}/`, false);
        } else {
          const manifest = await sdk
            .uploadFile(entry.local, remote, { ...extra, onProgress: run.onProgress() })
            .catch((err) => {
              throw cannotRead(entry.local, err);
            });
          run.done(`uploaded ${shown(entry.local)} → ${remote} (${formatBytes(manifest.size)})`);
        }
      });
      if (!started) break;
    }
  };
  await run.drive(
    walk,
    (files) =>
      `uploaded ${files} file(s)${folders ? ` and ${folders} empty folder(s)` : ''} into ${remoteBase}`,
  );
}
