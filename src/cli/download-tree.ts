// `dfs download -r REMOTE_FOLDER LOCAL_DIR`: every file below a remote folder, several at once,
// each through its own temporary file; the folder's explicit (empty) sub-folders too. A file
// that cannot be written is named with its reason and the rest goes on; exit 1 at the end.

import path from 'node:path';
import { formatBytes } from '../protocol/format.js';
import { normalisePrefix } from '../protocol/paths.js';
import type { DfsClient } from '../sdk/client.js';
import { shown } from './local-errors.js';
import { writeLocalFile } from './local-file.js';
import { LocalFolders, localPathFor } from './local-path.js';
import { reasonOf, TreeRun } from './tree-run.js';

/** Downloads the folder `remote` into `given` (created if needed), `parallel` files at once. */
export async function downloadTree(sdk: DfsClient, remote: string, given: string, parallel: number) {
  const prefix = normalisePrefix(remote);
  // The folder must exist before anything is created locally (a typo makes no empty folder).
  await sdk.list(prefix, { limit: 1 });
  const root = path.resolve(given);
  const folders = new LocalFolders(root, given);
  await folders.createRoot();
  const run = new TreeRun(parallel, 'downloading');
  const walk = async () => {
    for await (const entry of sdk.listAll(prefix)) {
      const target = localPathFor(root, given, prefix, entry.path);
      if ('reason' in target) {
        run.problem('skipped', entry.path, target.reason);
        continue;
      }
      const started = await run.start(entry.path, async () => {
        await folders.prepare(target);
        const info = await sdk.stat(entry.path);
        await writeLocalFile(target.local, async (out) => {
          await sdk.downloadTo(info.path, out, { info, onProgress: run.onProgress() });
        });
        run.done(`downloaded ${entry.path} → ${shown(target.shown)} (${formatBytes(info.size)})`);
      });
      if (!started) break;
    }
    await run.wait();
    for (const folder of await remoteFolders(sdk, prefix)) {
      const target = localPathFor(root, given, prefix, folder.slice(0, -1));
      if ('reason' in target) run.problem('skipped', folder, target.reason);
      else
        await folders
          .ensure(target.local, target.shown)
          .catch((err) => run.problem('failed', folder, reasonOf(err)));
    }
  };
  await run.drive(walk, (files) => `downloaded ${files} file(s) into ${shown(given)}`);
}

/** Every folder below `prefix` (each ending in `/`), parents before children. */
async function remoteFolders(sdk: DfsClient, prefix: string): Promise<string[]> {
  const out: string[] = [];
  const queue = [prefix];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    for await (const page of sdk.pages(next, { delimiter: true }))
      for (const e of page.entries) {
        if (e.type !== 'dir' || !e.path.startsWith(next) || e.path === next) continue;
        out.push(e.path);
        queue.push(e.path);
      }
  }
  return out;
}
