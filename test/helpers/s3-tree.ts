// Local folder trees for the S3 client tests: made, read back and compared by MD5.

import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

/** Relative path → contents of the tree every client syncs: nesting, spaces, Unicode, an empty file. */
export function sampleTree(): Record<string, Buffer> {
  return {
    'a.txt': Buffer.from('alpha\n'),
    'empty.bin': Buffer.alloc(0),
    'docs/read me.md': Buffer.from('# hello from a key with a space\n'),
    'docs/ünïcødé €.txt': Buffer.from('unicode name\n'),
    'docs/deep/er/c.bin': randomBytes(200_000),
    'big/blob.bin': randomBytes(1_500_000),
  };
}

/** Writes `tree` below `root`. */
export async function writeTree(root: string, tree: Record<string, Buffer>): Promise<void> {
  for (const [name, data] of Object.entries(tree)) {
    const file = path.join(root, name);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, data);
  }
}

/** Relative path → MD5 of every file below `root`. */
export async function treeMd5s(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await fs.readdir(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    out[path.relative(root, file)] = createHash('md5')
      .update(await fs.readFile(file))
      .digest('hex');
  }
  return out;
}

/** Relative path → MD5 of a tree held in memory. */
export function md5sOf(tree: Record<string, Buffer>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(tree).map(([name, data]) => [name, createHash('md5').update(data).digest('hex')]),
  );
}
