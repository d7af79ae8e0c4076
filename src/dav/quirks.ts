// What real WebDAV clients do beyond RFC 4918, written down for the /dav/ handler, with the few
// rules that can be pure. Sources: litmus 0.13's own test code; for Windows and Finder, what
// other servers' maintainers report (sabre/dav and jsDAV client notes, nextcloud, wsgidav,
// dav-server-rs, filestash issues) — not observed on those systems here.
//
// All clients
// - OPTIONS must answer `DAV: 1, 2` (class 2: Finder mounts read-only and litmus skips its lock
//   suite without it) and `MS-Author-Via: DAV` (Windows and Office look for it); see DAV_HEADERS.
//   Answer OPTIONS on any path, the server root too: Windows sends `OPTIONS /` (user agent
//   DavClnt, then Microsoft-WebDAV-MiniRedir) before it looks at /dav/, caches a failure until a
//   reboot, and copes best when OPTIONS needs no credentials.
// - 207 bodies go out as `Content-Type: application/xml; charset=utf-8`.
// - PROPFIND without Depth means infinity; answer 403 propfind-finite-depth (assertFiniteDepth).
//   Windows, Finder, davfs2, rclone, GNOME and litmus all send Depth 0 or 1.
// - Unknown properties in a prop list are normal: answer them in a 404 propstat, never fail.
// - Collections get hrefs with a trailing slash (pathToHref); some clients list a folder inside
//   itself otherwise. The response for the Request-URI should reuse the client's own spelling
//   when it decodes to the same path.
// - LOCK answers 200 on an existing resource and 201 when it created an empty file (RFC 4918
//   §7.3, litmus `unmapped_lock`, `locknull`); a new lock sends `Lock-Token: <token>`.
//
// Windows (Microsoft-WebDAV-MiniRedir, the WebClient service)
// - Saving a file: PUT of 0 bytes, LOCK, PUT of the content with `If: (<token>)`, PROPPATCH of
//   Win32CreationTime / Win32LastAccessTime / Win32LastModifiedTime / Win32FileAttributes in
//   `urn:schemas-microsoft-com:`, UNLOCK. The PROPPATCH must answer 207 with 200s or Explorer
//   reports the copy as failed; they are ordinary dead properties here (isWindowsFileProp), and
//   Windows shows Win32LastModifiedTime from a PROPFIND when the server has it. If storing them
//   would change the file's ETag, answer 200 without storing — and say so in the docs.
// - PROPFIND Depth 1 lists Microsoft properties (Win32*, ishidden, isreadonly, iscollection,
//   getcontentclass, lastaccessed…) next to DAV: ones; unknown ones go in the 404 propstat.
// - Explorer needs getlastmodified, creationdate, getcontentlength and resourcetype on files.
// - Sends `Translate: f` (ignore it). Basic auth over plain http is off unless the registry's
//   BasicAuthLevel is 2; downloads stop at FileSizeLimitInBytes (50,000,000 by default).
//
// macOS Finder (webdavfs)
// - Mounts read-only unless LOCK works. Locks each file it writes (Timeout Second-600) and
//   refreshes the lock while writing.
// - Uploads with `Transfer-Encoding: chunked` and no Content-Length; the size comes in
//   `X-Expected-Entity-Length` (declaredLength reads both).
// - Writes `._name` AppleDouble files beside files with extended attributes, and .DS_Store
//   files: store and list them like any file (isMacMetadataFile tells them apart if needed).
// - Probes for .hidden, .metadata_never_index, .ql_disablethumbnails, .Spotlight-V100,
//   Backups.backupdb, mach_kernel, `._.`, a .localized in every folder and a `._name` for every
//   file it lists: 404s are the normal answers, and they should be cheap.
// - Asks for quota-available-bytes and quota-used-bytes (RFC 4331); a 404 propstat is fine.
// - Names arrive decomposed (NFD); dfs stores them composed (NFC), so hrefs come back in NFC.
//
// davfs2, GNOME (gvfs), KDE (kio), rclone
// - davfs2 locks files it opens for writing and sends tagged If lists with absolute URLs
//   (`<http://host:5003/dav/f> (<token>)`): resolve tags with urlToPath and the Host header.
// - Destination headers are absolute URLs; a proxy in front must keep Host, or pass the outside
//   host, else every MOVE/COPY is a 502.
// - rclone (vendor "other") uses PROPFIND Depth 1 and PUT with Content-Length, never LOCK.
//
// litmus (0.13: basic, copymove, props, locks, http)
// - props: `propfind_invalid2` sends `xmlns:bar=""` and wants 400; `propextended` an unknown
//   element beside allprop (ignore it); `propnullns` a property in no namespace; `propvalnspace`
//   a value declaring its own default namespace; `propmanyns` ten namespaces in one PROPPATCH;
//   `propremoveset`/`propsetremove` instructions applied in document order.
// - locks: `cond_put_corrupt_token` sends `(<token>x) (Not <DAV:no-lock>)`: the If header holds
//   (second list) but the real token was not submitted, so 423, not 412. `fail_cond_put` wants
//   412. `indirect_refresh` refreshes a collection lock through a member's URL. `notowner_lock`
//   expects UNLOCK with a bogus token to fail and a second exclusive LOCK to get 423.
// - basic: `delete_fragment` sends `DELETE …/frag/#ment` (requestPath refuses a `#`);
//   `mkcol_with_body` wants 415; MKCOL without a parent 409, over an existing name 405.
// - copymove: Overwrite: F onto an existing destination is 412; 201 when the destination was
//   created, 204 when it was replaced; COPY/MOVE to a missing parent is 409.
// - http: `expect100` needs Node's `100 Continue`, which it sends by itself.

import { badRequest } from './errors.js';
import type { PropName } from './names.js';
import { lastSegment } from './paths.js';

/** Headers a /dav/ OPTIONS answer carries (and any /dav/ answer may). */
export const DAV_HEADERS = {
  DAV: '1, 2',
  'MS-Author-Via': 'DAV',
  Allow: 'OPTIONS, GET, HEAD, PUT, DELETE, PROPFIND, PROPPATCH, MKCOL, COPY, MOVE, LOCK, UNLOCK',
} as const;

/** The namespace of Windows' file-attribute properties. */
export const WINDOWS_NS = 'urn:schemas-microsoft-com:';

const WINDOWS_FILE_PROPS = new Set([
  'Win32CreationTime',
  'Win32LastAccessTime',
  'Win32LastModifiedTime',
  'Win32FileAttributes',
]);

/** True for the properties Windows PROPPATCHes after every upload. */
export function isWindowsFileProp(name: PropName): boolean {
  return name.ns === WINDOWS_NS && WINDOWS_FILE_PROPS.has(name.local);
}

/** True for files macOS writes for its own bookkeeping: `._*` AppleDouble files and .DS_Store. */
export function isMacMetadataFile(path: string): boolean {
  const name = lastSegment(path);
  return name.startsWith('._') || name === '.DS_Store';
}

/**
 * The size a PUT declares: Content-Length, else (a chunked upload from Finder)
 * X-Expected-Entity-Length; undefined when neither is sent. The body must still be counted: a
 * declared length is a promise, not a fact. A value that is not a byte count is a 400.
 */
export function declaredLength(
  headers: Readonly<Record<string, string | string[] | undefined>>,
): number | undefined {
  const raw = headers['content-length'] ?? headers['x-expected-entity-length'];
  if (raw === undefined) return undefined;
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined || !/^\d{1,15}$/.test(value.trim()))
    throw badRequest('length header is not a byte count');
  return Number(value.trim());
}
