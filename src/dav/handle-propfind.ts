// PROPFIND on /dav/ (RFC 4918 §9.1): Depth 0 or 1 (infinity is refused). A folder's members are
// listed a page at a time and written as they come, so a folder of any size streams.

import { Readable } from 'node:stream';
import type { ListResponse } from '../protocol/types.js';
import { readXmlBody } from './body.js';
import { deadPropsOf } from './dead-props.js';
import { assertFiniteDepth, parseDepth } from './headers.js';
import { pathToHref } from './href.js';
import { locksAround } from './lock-store.js';
import type { DavLock } from './locks.js';
import { DAV_NS, propKey } from './names.js';
import { ROOT_PATH } from './paths.js';
import { type DavResource, propfindPropstats, QUOTA_PROPS } from './props.js';
import { type DavRequest, rootHref } from './request.js';
import { entryResource, resolvedResource } from './resources.js';
import { sendXml, XML_TYPE } from './respond.js';
import type { PropfindRequest } from './xml-requests.js';
import { parsePropfind } from './xml-requests.js';
import { multistatusEnd, multistatusStart, responseXml } from './xml-responses.js';

// Responses are written in pieces of about this many characters.
const WRITE_BATCH = 64 * 1024;

/** True when the answer shows locks, so they must be fetched. */
function wantsLocks(request: PropfindRequest): boolean {
  if (request.kind === 'propname') return false;
  if (request.kind === 'allprop') return true;
  return request.props.some((name) => name.ns === DAV_NS && name.local === 'lockdiscovery');
}

/** True when the request names a quota property (allprop never includes them). */
function wantsQuota(request: PropfindRequest): boolean {
  return request.kind === 'prop' && request.props.some((name) => QUOTA_KEYS.has(propKey(name)));
}

const QUOTA_KEYS = new Set(QUOTA_PROPS.map(propKey));

/**
 * Lock roots in a resource's lockdiscovery: the resource itself or a folder above it, each named
 * as PROPFIND names it, a collection with its slash (RFC 4918 §5.2).
 */
const lockHref = (resource: DavResource) => (root: string) =>
  pathToHref(root, root === resource.path ? resource.collection : true);

/** PROPFIND: 207 with one response for the resource and, at Depth 1, one per member. */
export async function handlePropfind(req: DavRequest): Promise<void> {
  const { ctx, path, now } = req;
  const depth = parseDepth(ctx.get('depth'), 'PROPFIND');
  assertFiniteDepth(depth);
  const request = parsePropfind(await readXmlBody(ctx.req));
  await req.preconditions([]);
  const found = await req.resolve();
  const self = resolvedResource(found);
  if (!self) throw req.notFound();
  const locks: DavLock[] = wantsLocks(request) ? await locksAround(req.deps.locks, [path], now) : [];
  const quota = wantsQuota(request) ? await req.deps.quota() : undefined;
  // A request for named properties looks at those only.
  const named = request.kind === 'prop' ? new Set(request.props.map(propKey)) : undefined;
  const answer = (resource: DavResource, attributes: Record<string, string> | undefined, href: string) => {
    const dead = deadPropsOf(attributes, named);
    return responseXml(
      {
        href,
        propstats: propfindPropstats(request, resource, dead, {
          locks,
          now,
          hrefOf: lockHref(resource),
          quota,
        }),
      },
      rootHref,
    );
  };
  const selfXml = answer(
    self,
    found.kind === 'missing' ? undefined : found.entry?.attributes,
    req.selfHref(self.collection),
  );
  if (depth === 0 || !self.collection) {
    sendXml(ctx, 207, multistatusStart() + selfXml + multistatusEnd());
    return;
  }
  const folder = path === ROOT_PATH ? '/' : `${path}/`;
  // Members are named below the folder as the client spelled it (its own href): a client that
  // keeps the members under the URL it asked for (rclone; Finder compares) finds every one.
  const base = req.selfHref(true);
  const memberHref = (resource: DavResource) => {
    const name = resource.path.slice(resource.path.lastIndexOf('/') + 1);
    return `${base}${encodeURIComponent(name)}${resource.collection ? '/' : ''}`;
  };
  const { sdk, signal } = req;
  const list = (after?: string) =>
    sdk.list(folder, { delimiter: true, limit: req.deps.listPage, after, signal });
  // The first page comes before the status line: a folder that vanished is still a 404.
  const first = await list();
  async function* body(): AsyncGenerator<string> {
    let batch = multistatusStart() + selfXml;
    for (
      let page: ListResponse | undefined = first;
      page;
      page = page.next ? await list(page.next) : undefined
    ) {
      for (const entry of page.entries) {
        const resource = entryResource(entry);
        batch += answer(resource, entry.attributes, memberHref(resource));
        if (batch.length >= WRITE_BATCH) {
          yield batch;
          batch = '';
        }
      }
    }
    yield batch + multistatusEnd();
  }
  ctx.status = 207;
  ctx.type = XML_TYPE;
  ctx.body = Readable.from(body());
}
