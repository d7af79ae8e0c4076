// COPY of a folder: the destination folder, then (at Depth infinity) every explicit folder and
// every file below, each file a new manifest over the source's chunks; folders and files keep
// their dead properties (RFC 4918 §9.8.2). Members that fail are named in a 207; the rest stay
// copied (RFC 4918 §9.8.8).

import type { ListEntry } from '../protocol/types.js';
import { Limiter } from '../sdk/limit.js';
import { deadPropAttributes } from './dead-props.js';
import { pathToHref } from './href.js';
import { type DavRequest, rootHref } from './request.js';
import { davErrorOf, sendEmpty, sendXml } from './respond.js';
import { type DavResponse, multistatusXml } from './xml-responses.js';

// Copies in flight at once: each is a stat and a commit on the master, no bytes.
const PARALLEL = 8;

/** Makes the folder `path` (a trailing `/` or not) with the dead properties among `attributes`. */
async function makeFolder(
  req: DavRequest,
  path: string,
  attributes: Readonly<Record<string, string>> | undefined,
): Promise<void> {
  const { sdk, signal } = req;
  await sdk.mkdir(path, { signal });
  const dead = deadPropAttributes(attributes);
  if (Object.keys(dead).length === 0) return;
  // A folder's attributes are kept on its row, whose path ends in '/'.
  const row = path.endsWith('/') ? path : `${path}/`;
  await sdk.api.setAttributes(row, { set: dead, remove: [] }, { signal });
}

/** Copies the folder at `req.path` to `dest` (already free); answers `status`, or 207 with the failures. */
export async function copyFolder(
  req: DavRequest,
  dest: string,
  deep: boolean,
  status: number,
): Promise<void> {
  const { sdk, signal, path } = req;
  const source = await req.resolve();
  await makeFolder(req, dest, source.kind === 'folder' ? source.entry?.attributes : undefined);
  const failures: DavResponse[] = [];
  if (deep) {
    const from = `${path}/`;
    const to = `${dest}/`;
    const copyOne = async (entry: ListEntry) => {
      const target = `${to}${entry.path.slice(from.length)}`;
      const dir = entry.type === 'dir';
      try {
        if (dir) await makeFolder(req, target, entry.attributes);
        else await sdk.copy(entry.path, target, { signal });
      } catch (err) {
        if (signal.aborted) throw err;
        const error = davErrorOf(err);
        failures.push({
          href: pathToHref(dir ? target.slice(0, -1) : target, dir),
          status: error.status,
          description: error.message,
        });
      }
    };
    const limiter = new Limiter(PARALLEL);
    for await (const page of sdk.pages(from, { folders: true, limit: req.deps.listPage, signal }))
      await Promise.all(page.entries.map((entry) => limiter.run(() => copyOne(entry))));
  }
  if (failures.length === 0) sendEmpty(req.ctx, status);
  else sendXml(req.ctx, 207, multistatusXml(failures, rootHref));
}
