// Between DAV paths and the URLs clients send and receive: request URLs, hrefs in responses,
// Destination headers and If-header resource tags. Each segment is decoded exactly once.

import { utf8FromHeader } from '../http/header-text.js';
import { badRequest, DavError } from './errors.js';
import { davPath, ROOT_PATH } from './paths.js';

/** Where the WebDAV tree is mounted on the web client. */
export const DAV_MOUNT = '/dav';

/**
 * The href of a DAV path: each segment percent-encoded (UTF-8, upper-case hex; everything but
 * `A-Z a-z 0-9 - _ . ! ~ * ' ( )`, so `%`, `#`, `?`, `;`, `+`, `&` and spaces round-trip), and a
 * trailing slash on collections (RFC 4918 §8.3 asks for it; Finder and Explorer rely on it).
 */
export function pathToHref(path: string, collection: boolean, mount = DAV_MOUNT): string {
  if (path === ROOT_PATH) return `${mount}/`;
  const encoded = path.split('/').map(encodeURIComponent).join('/');
  return `${mount}${encoded}${collection ? '/' : ''}`;
}

/**
 * The DAV path a request addresses, from its raw URL (`ctx.url`, still percent-encoded, with any
 * query). Undefined when the URL is outside `mount`. A `#` is refused: a client that sends one
 * meant a name, and cutting the URL there could delete the parent (litmus `delete_fragment`).
 */
export function requestPath(rawUrl: string, mount = DAV_MOUNT): string | undefined {
  if (rawUrl.includes('#')) throw badRequest('request URL must not contain "#"; encode it as %23');
  const query = rawUrl.indexOf('?');
  return pathUnderMount(query < 0 ? rawUrl : rawUrl.slice(0, query), mount);
}

/** What a Destination or If-header URL is checked against. */
export interface UrlContext {
  /** The request's Host header (with port, if any). */
  host: string | undefined;
  /** Where the WebDAV tree is mounted; default DAV_MOUNT. */
  mount?: string;
}

// scheme "://" authority path, then whatever follows (query or fragment)
const ABSOLUTE_URL = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/?#]*)([^?#]*)(.*)$/s;

/**
 * The DAV path an absolute URL or absolute path names (a Destination header, an If-header
 * resource tag, an href), decoded once and validated. Undefined when it names something this
 * server's tree does not hold: another host or scheme, or a path outside the mount. A query,
 * fragment, bad percent-encoding or illegal name is a 400.
 */
export function urlToPath(value: string, context: UrlContext): string | undefined {
  const mount = context.mount ?? DAV_MOUNT;
  let rawPath: string;
  let rest: string;
  if (value.startsWith('/') && !value.startsWith('//')) {
    const end = value.search(/[?#]/);
    rawPath = end < 0 ? value : value.slice(0, end);
    rest = end < 0 ? '' : value.slice(end);
  } else {
    const match = ABSOLUTE_URL.exec(value);
    if (!match) throw badRequest('URL must be absolute, or an absolute path');
    const [, scheme = '', authority = '', path = '', tail = ''] = match;
    const protocol = scheme.toLowerCase();
    if (protocol !== 'http' && protocol !== 'https') return undefined;
    if (context.host === undefined || !sameAuthority(authority, context.host, protocol)) return undefined;
    rawPath = path || '/';
    rest = tail;
  }
  if (rest !== '') throw badRequest('URL must not carry a query or fragment');
  // A URL a header names is resolved as a URL (a Request-URI with dot segments stays refused).
  return pathUnderMount(withoutDotSegments(rawPath), mount);
}

/** Destination (RFC 4918 §10.3): required; another server or tree is 502 Bad Gateway (§9.8.5, §9.9.4). */
export function parseDestination(value: string | undefined, context: UrlContext): string {
  if (value === undefined || value.trim() === '') throw badRequest('Destination header is required');
  const path = urlToPath(headerUtf8(value.trim(), 'Destination'), context);
  if (path === undefined) {
    throw new DavError(502, 'Destination is on another server or outside the WebDAV tree');
  }
  return path;
}

/**
 * A header's text: a client's unencoded UTF-8 name (which a URL should percent-encode) is read
 * as the name it means; bytes that are not UTF-8 are a 400.
 */
function headerUtf8(value: string, name: string): string {
  const decoded = utf8FromHeader(value);
  if (decoded === undefined) throw badRequest(`${name} must be a URL: its bytes are not UTF-8`);
  return decoded;
}

function pathUnderMount(rawPath: string, mount: string): string | undefined {
  if (rawPath === mount || rawPath === `${mount}/`) return ROOT_PATH;
  if (!rawPath.startsWith(`${mount}/`)) return undefined;
  const segments = rawPath.slice(mount.length).split('/').map(decodeSegment);
  return davPath(segments.join('/'));
}

/**
 * A path with its `.` and `..` segments resolved, as a URL's are (RFC 3986 §5.2.4): `/dav/a/../b`
 * is `/dav/b`. Only literal dots: `%2E%2E` is a name, which dfs refuses.
 */
function withoutDotSegments(path: string): string {
  if (!/(^|\/)\.\.?(\/|$)/.test(path)) return path;
  const out: string[] = [];
  const segments = path.split('/');
  for (const [i, segment] of segments.entries()) {
    const last = i === segments.length - 1;
    if (segment === '..') {
      if (out.length > 1) out.pop();
      if (last) out.push('');
    } else if (segment === '.') {
      if (last) out.push('');
    } else out.push(segment);
  }
  return out.join('/');
}

function decodeSegment(segment: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(segment);
  } catch (err) {
    throw badRequest('URL is not valid percent-encoding', err);
  }
  // An encoded slash would silently split one name into two folders.
  if (decoded.includes('/')) throw badRequest('a name must not contain "/" (%2F)');
  return decoded;
}

function sameAuthority(authority: string, host: string, protocol: string): boolean {
  const bare = (value: string) => {
    const hostPart = value.slice(value.lastIndexOf('@') + 1).toLowerCase();
    const defaultPort = protocol === 'https' ? ':443' : ':80';
    return hostPart.endsWith(defaultPort) ? hostPart.slice(0, -defaultPort.length) : hostPart;
  };
  return bare(authority) === bare(host);
}
