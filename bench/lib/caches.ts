// Cold reads: dirty pages written out, then the kernel's page cache, dentries and inodes dropped.

import fs from 'node:fs/promises';
import { run } from './proc.js';

/**
 * `sync; echo 3 > /proc/sys/vm/drop_caches`; false when not allowed (not root). The virtual disk
 * may still be cached by the host, so "cold" is as cold as this machine can make it.
 */
export async function dropCaches(): Promise<boolean> {
  try {
    await run('sync', []);
    await fs.writeFile('/proc/sys/vm/drop_caches', '3\n');
    return true;
  } catch {
    return false;
  }
}
