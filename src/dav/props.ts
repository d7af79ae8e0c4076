// The live properties dfs serves (RFC 4918 §15) and the answer to a PROPFIND for one resource.

import { type DavLock, locksCovering } from './locks.js';
import { DAV_NS, davName, type PropName, parsePropKey, propKey } from './names.js';
import { lastSegment, ROOT_PATH } from './paths.js';
import type { Quota } from './quota.js';
import type { PropfindRequest } from './xml-requests.js';
import {
  type HrefOf,
  lockDiscoveryXml,
  type PropResult,
  type Propstat,
  SUPPORTED_LOCK_XML,
} from './xml-responses.js';
import { davElement, escapeText } from './xml-write.js';

/** What the handler knows about a resource; a missing field is a property the resource lacks. */
export interface DavResource {
  path: string;
  collection: boolean;
  /** Bytes; files only. */
  size?: number;
  /** Files only; a file without one is served as application/octet-stream. */
  contentType?: string;
  /** A quoted entity tag, as the ETag header sends it. */
  etag?: string;
  /** Last modification, ms since the epoch. */
  modified?: number;
  /** Creation, ms since the epoch. */
  created?: number;
}

/** Dead properties: `{ns}local` → the whole property element as self-contained XML. */
export type DeadProps = Readonly<Record<string, string>>;

/** What live property values depend on beyond the resource: its locks and the clock. */
export interface PropContext {
  /** Locks that may cover the resource (a superset is fine; they are filtered). */
  locks: readonly DavLock[];
  now: number;
  /** Hrefs for lock roots; default: no trailing slash. */
  hrefOf?: HrefOf;
  /** The cluster's space, when the request asks for the quota properties and it is known. */
  quota?: Quota;
}

/** The live properties, in the order allprop lists them. */
export const LIVE_PROPS: readonly PropName[] = [
  'resourcetype',
  'getcontentlength',
  'getcontenttype',
  'getetag',
  'getlastmodified',
  'creationdate',
  'displayname',
  'supportedlock',
  'lockdiscovery',
].map(davName);

/** RFC 4331's quota properties: live, but never in an allprop answer (§3). */
export const QUOTA_PROPS: readonly PropName[] = ['quota-available-bytes', 'quota-used-bytes'].map(davName);

const LIVE_KEYS = new Set([...LIVE_PROPS, ...QUOTA_PROPS].map(propKey));

/** True for a property dfs computes rather than stores. */
export function isLiveProp(name: PropName): boolean {
  return LIVE_KEYS.has(propKey(name));
}

/**
 * True for a property PROPPATCH may not touch (403 `cannot-modify-protected-property`): every
 * live one but displayname, which §15.2 says SHOULD NOT be protected — a stored displayname
 * overrides the computed one, and removing it restores that.
 */
export function isProtectedProp(name: PropName): boolean {
  return isLiveProp(name) && !(name.ns === DAV_NS && name.local === 'displayname');
}

/** An HTTP date (RFC 1123), as getlastmodified carries it. */
export function httpDate(ms: number): string {
  return new Date(ms).toUTCString();
}

/** An RFC 3339 timestamp in UTC without fractions, as creationdate carries it. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

/** The element of live property `name` for `resource`, or undefined when the resource has none. */
export function liveProp(name: PropName, resource: DavResource, context: PropContext): string | undefined {
  if (name.ns !== DAV_NS) return undefined;
  const file = !resource.collection;
  const text = (value: string) => davElement(name.local, escapeText(value));
  switch (name.local) {
    case 'resourcetype':
      return davElement('resourcetype', resource.collection ? davElement('collection') : '');
    case 'quota-available-bytes':
      return resource.collection && context.quota ? text(String(context.quota.available)) : undefined;
    case 'quota-used-bytes':
      return resource.collection && context.quota ? text(String(context.quota.used)) : undefined;
    case 'getcontentlength':
      return file && resource.size !== undefined ? text(String(resource.size)) : undefined;
    case 'getcontenttype':
      return file ? text(resource.contentType || 'application/octet-stream') : undefined;
    case 'getetag':
      return resource.etag === undefined ? undefined : text(resource.etag);
    case 'getlastmodified':
      return resource.modified === undefined ? undefined : text(httpDate(resource.modified));
    case 'creationdate':
      return resource.created === undefined ? undefined : text(rfc3339(resource.created));
    case 'displayname':
      return resource.path === ROOT_PATH ? undefined : text(lastSegment(resource.path));
    case 'supportedlock':
      return SUPPORTED_LOCK_XML;
    case 'lockdiscovery': {
      const locks = locksCovering(context.locks, resource.path, context.now);
      return lockDiscoveryXml(locks, context.now, context.hrefOf);
    }
    default:
      return undefined;
  }
}

/**
 * The propstats of one resource in a PROPFIND answer (§9.1): found properties under 200, asked-for
 * ones it lacks under 404. allprop gives every live property the resource has and every dead
 * one; propname gives their names only. A stored displayname wins over the computed one.
 */
export function propfindPropstats(
  request: PropfindRequest,
  resource: DavResource,
  dead: DeadProps,
  context: PropContext,
): Propstat[] {
  const lookup = (name: PropName): PropResult | undefined => {
    // A protected property is never stored (PROPPATCH refuses it), so metadata claiming one is ignored.
    const stored = isProtectedProp(name) ? undefined : dead[propKey(name)];
    const xml = stored ?? liveProp(name, resource, context);
    return xml === undefined ? undefined : { name, xml };
  };
  const found: PropResult[] = [];
  const missing: PropResult[] = [];
  const wanted =
    request.kind === 'prop' ? request.props : [...LIVE_PROPS, ...deadNames(dead), ...includeOf(request)];
  const seen = new Set<string>();
  for (const name of wanted) {
    const key = propKey(name);
    if (seen.has(key)) continue;
    seen.add(key);
    const result = lookup(name);
    if (result) found.push(request.kind === 'propname' ? { name } : result);
    else if (request.kind === 'prop' || request.kind === 'allprop') missing.push({ name });
  }
  // allprop lists what exists; only an explicitly included name can be missing.
  const include = new Set(includeOf(request).map(propKey));
  const reported = request.kind === 'allprop' ? missing.filter((p) => include.has(propKey(p.name))) : missing;
  const propstats: Propstat[] = [];
  if (found.length > 0) propstats.push({ status: 200, props: found });
  if (reported.length > 0) propstats.push({ status: 404, props: reported });
  return propstats;
}

/** The names of the stored properties. */
export function deadNames(dead: DeadProps): PropName[] {
  return Object.keys(dead).flatMap((key) => parsePropKey(key) ?? []);
}

function includeOf(request: PropfindRequest): readonly PropName[] {
  return request.kind === 'allprop' ? request.include : [];
}
