// Explicit dfs folders as S3 "folder objects" (`photos/` of size 0): looking one up.

import type { ListEntry } from '../protocol/types.js';
import type { S3Request } from './request.js';

/**
 * A listing continuation that starts right at the entry for `name/` in its parent: every other
 * name that begins with `name` and sorts before `name/` continues with a byte below `/`; U+10FFFF
 * after `name.` sorts after all of them (dfs refuses that noncharacter in paths).
 * The SDK documents `after` as opaque; it is the base64url of the last key listed (see
 * src/master/requests.ts encodeToken) — an SDK call to stat a folder would make this unneeded.
 */
export function afterToken(key: string): string {
  return Buffer.from(key, 'utf8').toString('base64url');
}

/**
 * The explicit folder at `path` (ending in `/`), as its parent's listing shows it; undefined
 * when there is none or it is only implied by files below it (S3 has no object for those).
 */
export async function explicitFolder(
  request: Pick<S3Request, 'deps' | 'signal'>,
  path: string,
): Promise<ListEntry | undefined> {
  const trimmed = path.slice(0, -1);
  const slash = trimmed.lastIndexOf('/');
  const parent = trimmed.slice(0, slash + 1);
  const name = trimmed.slice(slash + 1);
  try {
    const page = await request.deps.sdk.list(parent, {
      begins: name,
      delimiter: true,
      limit: 1,
      after: afterToken(`${parent}${name}.\u{10FFFF}`),
      signal: request.signal,
    });
    const entry = page.entries[0];
    return entry?.type === 'dir' && entry.path === path && entry.created > 0 ? entry : undefined;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'not_found' || code === 'conflict') return undefined;
    throw err;
  }
}
