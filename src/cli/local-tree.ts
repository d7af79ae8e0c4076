// Walking a local folder for `dfs upload DIR`: the files to upload, the empty folders to create,
// and every entry left out with its reason. Symbolic links inside the folder are not followed:
// a link may lead out of the tree or back into it (a loop), and a copy made through it would
// not be what the user sees as the folder's content.

import type { Dirent } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { localReason, shown } from './local-errors.js';

/** One entry of a walk: `rel` is its path below the root, `/`-separated. */
export type TreeEntry =
  | { kind: 'file'; local: string; rel: string }
  /** A folder with nothing to upload in it (created remotely so that it exists there too). */
  | { kind: 'folder'; local: string; rel: string }
  | { kind: 'skip'; local: string; reason: string };

/** Says why a relative path cannot be used remotely, or undefined when it can. */
export type NameCheck = (rel: string) => string | undefined;

/** Every entry below `root`, depth first, in name order. */
export async function* walkTree(root: string, check: NameCheck, rel = ''): AsyncGenerator<TreeEntry> {
  const dir = rel ? path.join(root, ...rel.split('/')) : root;
  let entries: Dirent[];
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch (err) {
    yield { kind: 'skip', local: dir, reason: `cannot read the folder: ${localReason(err)}` };
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  // Two names that differ only in their Unicode form (é composed, or e and an accent) are one
  // dfs name (dfs keeps names composed): the second would overwrite or merge into the first.
  const forms = new Map<string, string>();
  let kept = 0;
  for (const entry of entries) {
    const local = path.join(dir, entry.name);
    const child = rel ? `${rel}/${entry.name}` : entry.name;
    const composed = entry.name.normalize('NFC');
    const first = forms.get(composed);
    if (first === undefined) forms.set(composed, local);
    const refused =
      first === undefined
        ? await refusal(entry, local)
        : `the same name as ${shown(first)} in another Unicode form (one dfs name)`;
    const reason = refused ?? check(child);
    if (reason) {
      yield { kind: 'skip', local, reason };
    } else if (entry.isDirectory()) {
      kept++;
      yield* walkTree(root, check, child);
    } else {
      kept++;
      yield { kind: 'file', local, rel: child };
    }
  }
  if (kept === 0) yield { kind: 'folder', local: dir, rel };
}

/** Why an entry is not uploaded whatever its name, if it is not. */
async function refusal(entry: Dirent, local: string): Promise<string | undefined> {
  // A name that is not UTF-8 decodes to U+FFFD: the decoded name then names nothing on disk.
  if (entry.name.includes('\ufffd') && !(await fs.lstat(local).catch(() => undefined))) {
    return 'the name is not valid UTF-8';
  }
  if (entry.isSymbolicLink()) return 'a symbolic link (links inside a folder are not followed)';
  if (entry.isFile() || entry.isDirectory()) return undefined;
  const type = entry.isFIFO()
    ? 'a FIFO'
    : entry.isSocket()
      ? 'a socket'
      : entry.isCharacterDevice() || entry.isBlockDevice()
        ? 'a device'
        : 'of an unknown type';
  return `not a regular file or folder (${type})`;
}
