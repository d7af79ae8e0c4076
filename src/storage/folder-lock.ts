// An exclusive lock on a daemon's data folder: two nodes (or two masters) on one folder would
// corrupt each other, so the second refuses to start with a clear message.

import fs from 'node:fs/promises';
import path from 'node:path';
import { DfsError } from '../protocol/errors.js';

/** A held folder lock. */
export interface FolderLock {
  release(): Promise<void>;
}

const LOCK_FILE = 'dfs.lock';

// True when a process with this pid runs (a lock left by a killed process is stale).
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the lock of folder `dir` (created if needed) for this process, or throws naming the holder. */
export async function lockFolder(dir: string, what: string): Promise<FolderLock> {
  await fs.mkdir(dir, { recursive: true });
  const file = path.join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    // A symlink whose target is our pid: created atomically, and it writes no file data (a disk
    // that refuses writes still lets the daemon start and say so).
    try {
      await fs.symlink(String(process.pid), file);
      let released = false;
      return {
        async release() {
          if (released) return;
          released = true;
          await fs.rm(file, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const pid = Number(await fs.readlink(file).catch(() => ''));
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && running(pid))
      throw new DfsError(
        'conflict',
        `${what} data folder ${dir} is in use by process ${pid}; each daemon needs a folder of its own`,
      );
    if (pid === process.pid)
      throw new DfsError('conflict', `${what} data folder ${dir} is already in use by this process`);
    // Left by a process that is gone (kill -9, power cut): take it over.
    await fs.rm(file, { force: true });
  }
  throw new DfsError('conflict', `could not lock ${what} data folder ${dir}`);
}
