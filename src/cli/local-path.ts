// Where a remote file lands below a local folder (`dfs download -r`): every name checked, the
// resolved path kept inside the folder, and folders created one level at a time so that a
// symbolic link inside the folder can never carry a write outside it.

import fs from 'node:fs/promises';
import path from 'node:path';
import { cannotWrite, LocalFileError } from './local-errors.js';

/**
 * Creates `folder` and its missing ancestors. Node's recursive mkdir says ENOENT whatever
 * stopped it (a read-only file system, a folder not writable): the first missing folder, made
 * on its own, fails with the real reason.
 */
async function makeFolders(folder: string): Promise<void> {
  try {
    await fs.mkdir(folder, { recursive: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    let missing = folder;
    for (let up = path.dirname(missing); up !== missing; up = path.dirname(missing)) {
      if (
        await fs.stat(up).then(
          () => true,
          () => false,
        )
      )
        break;
      missing = up;
    }
    await fs.mkdir(missing);
    await fs.mkdir(folder, { recursive: true });
  }
}

/** A folder that resolves outside the root (reported with the file that needed it). */
class Outside extends Error {}

// Longest file name most local file systems take, in bytes.
const NAME_MAX = 255;

/** Where a remote file lands: the absolute path, and the path as messages show it. */
export interface LocalTarget {
  local: string;
  shown: string;
}

/**
 * The local path of `remote` (a file below `prefix`, which ends in `/`) inside `root` (absolute;
 * `given` is how the user wrote it), or why it cannot be one. The master validates names
 * already; this holds even if it did not.
 */
export function localPathFor(
  root: string,
  given: string,
  prefix: string,
  remote: string,
): LocalTarget | { reason: string } {
  if (!remote.startsWith(prefix)) return { reason: `it is not inside ${prefix}` };
  const segments = remote.slice(prefix.length).split('/');
  for (const s of segments) {
    if (s === '' || s === '.' || s === '..')
      return { reason: 'it cannot be a local name (an empty, . or .. part)' };
    if (s.includes('\0') || s.includes(path.sep))
      return { reason: 'it cannot be a local name (a NUL or separator)' };
    if (Buffer.byteLength(s) > NAME_MAX) return { reason: 'it cannot be a local name (a part is too long)' };
  }
  const local = path.resolve(root, ...segments);
  if (!within(root, local) || local === root) return { reason: `it would be outside ${given}` };
  return { local, shown: path.join(given, ...segments) };
}

/** Creates folders below one local root, refusing any that a link places outside it. */
export class LocalFolders {
  private readonly ready = new Map<string, Promise<void>>();
  private realRoot: string | undefined;

  /** `root` must be absolute; `shown` is how messages name it. */
  constructor(
    readonly root: string,
    private readonly shown: string,
  ) {}

  /** Creates the root (and its parents). */
  async createRoot(): Promise<void> {
    await makeFolders(this.root).catch((err) => {
      throw cannotWrite(this.shown, err);
    });
    this.realRoot = await fs.realpath(this.root);
  }

  /** Makes sure the folder of `file` exists and really is inside the root. */
  prepare(file: LocalTarget): Promise<void> {
    return this.ensure(path.dirname(file.local), file.shown);
  }

  /** Creates `folder` (inside the root); failures name `named` (the file or folder wanted). */
  async ensure(folder: string, named: string): Promise<void> {
    try {
      await this.folder(folder);
      // Checked again just before use: a folder made for an earlier file may have been
      // replaced by a link since.
      if (!this.inside(await fs.realpath(folder))) throw new Outside();
    } catch (err) {
      throw err instanceof Outside
        ? new LocalFileError('forbidden', `cannot write ${named}: it would be outside ${this.shown}`)
        : cannotWrite(named, err);
    }
  }

  /** Creates `folder` (inside the root) level by level; concurrent callers share the work. */
  private folder(folder: string): Promise<void> {
    if (folder === this.root) return Promise.resolve();
    let done = this.ready.get(folder);
    if (!done) {
      done = this.create(folder);
      this.ready.set(folder, done);
      done.catch(() => this.ready.delete(folder));
    }
    return done;
  }

  private async create(folder: string): Promise<void> {
    await this.folder(path.dirname(folder));
    const stat = await fs.lstat(folder).catch(() => undefined);
    if (!stat) {
      await fs.mkdir(folder).catch((err) => {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      });
    } else if (stat.isSymbolicLink()) {
      if (!this.inside(await fs.realpath(folder))) throw new Outside();
    }
    // Anything else in the way (a file) fails at the write with ENOTDIR, named there.
  }

  private inside(real: string): boolean {
    return within(this.realRoot ?? this.root, real);
  }
}

/** True when `child` is `root` or below it (`root` may itself end in a separator: `/`). */
function within(root: string, child: string): boolean {
  const base = root.endsWith(path.sep) ? root : `${root}${path.sep}`;
  return child === root || child.startsWith(base);
}
