// What S3 says about an object, kept in a dfs file: ETag, content headers and checksums in its
// attributes, user metadata in its metadata; read back into response headers and listings.

import type { Context } from 'koa';
import { utf8FromHeader, utf8ToHeader } from '../http/header-text.js';
import { isContentType } from '../protocol/mime.js';
import {
  type ChecksumAlgorithm,
  type ChecksumType,
  checksumAlgorithm,
  checksumHeaderName,
  isChecksumValue,
} from './checksums.js';
import { invalidArgument, S3Error } from './errors.js';
import { type HeaderMap, headerValue, storedContentEncoding } from './headers.js';
import { userMetadata } from './names.js';
import { unquoteEtag } from './xml-parse.js';

/** MD5 of nothing: the ETag of an empty object and of a folder object. */
export const EMPTY_MD5 = 'd41d8cd98f00b204e9800998ecf8427e';

/** Attribute holding the hex MD5 of a file's bytes (single PUTs, and SDK uploads with `md5: true`). */
export const MD5_ATTRIBUTE = 'md5';
/** Attribute holding a multipart object's quoted ETag, `"md5ofmd5s-N"`. */
export const ETAG_ATTRIBUTE = 'etag';
/** Prefix of the attribute holding a checksum the client sent, e.g. `checksum-crc32`. */
const CHECKSUM_PREFIX = 'checksum-';
/** The attribute naming a stored checksum's type (a multipart upload's); without it, FULL_OBJECT. */
export const CHECKSUM_TYPE_ATTRIBUTE = 'checksum-type';
const MULTIPART_ETAG = /^"[0-9a-f]{32}-[0-9]{1,5}"$/;

/** Headers S3 stores with an object and returns on GET and HEAD, as attributes of the same name. */
export const CONTENT_HEADERS = [
  'cache-control',
  'content-disposition',
  'content-encoding',
  'content-language',
  'expires',
] as const;

// What a folder object (`key/`) keeps of the request that made it: its content type, metadata,
// content headers and checksum, and when it was made (a folder has none of these of its own).
// One attribute of the folder holds all of it, so that a PUT again replaces it in one write
// (two at once never mix); the folder's other attributes (WebDAV properties) are not touched.
const FOLDER_OBJECT_ATTRIBUTE = 's3-object';
const FOLDER_TYPE = 'application/x-directory';
// Latest time a Date holds, ms.
const LAST_TIME = 8.64e15;

/** What a folder object keeps (see FOLDER_OBJECT_ATTRIBUTE). */
interface FolderObjectRecord {
  type?: string;
  metadata: Record<string, string>;
  headers: Record<string, string>;
  checksum?: { algorithm: string; value: string };
  modified: number;
}

function folderObjectRecord(record: FolderObjectRecord): Record<string, string> {
  return { [FOLDER_OBJECT_ATTRIBUTE]: JSON.stringify(record) };
}

/** The folder attribute a PUT (or a copy with REPLACE) of folder object `key/` makes from its request. */
export function folderObjectAttributes(
  headers: HeaderMap,
  checksum: { algorithm: string; value: string } | undefined,
  now: number,
): Record<string, string> {
  return folderObjectRecord({
    type: requestContentType(headers),
    metadata: metadataFromHeaders(headers),
    headers: contentAttributes(headers),
    ...(checksum && { checksum: { algorithm: checksum.algorithm, value: checksum.value } }),
    modified: now,
  });
}

/** The folder attribute a copy of `object` (an empty one) onto a folder object keeps of it. */
export function folderObjectCopy(object: ObjectInfo, now: number): Record<string, string> {
  const checksum = storedChecksum(object.attributes);
  return folderObjectRecord({
    type: object.contentType,
    metadata: object.metadata,
    headers: strings(object.attributes, CONTENT_HEADERS),
    ...(checksum?.type === 'FULL_OBJECT' && {
      checksum: { algorithm: checksum.algorithm, value: checksum.value },
    }),
    modified: now,
  });
}

// The strings of a parsed JSON object (anyone with the master's API can set attributes).
function strings(value: unknown, names?: readonly string[]): Record<string, string> {
  if (typeof value !== 'object' || value === null) return {};
  return Object.fromEntries(
    Object.entries(value).filter(([name, v]) => typeof v === 'string' && (!names || names.includes(name))),
  );
}

/** An explicit folder as S3 shows its folder object: empty, with what made it (well-formed parts only). */
export function folderObjectInfo(folder: {
  created: number;
  attributes?: Record<string, string>;
}): ObjectInfo {
  let record: Partial<Record<keyof FolderObjectRecord, unknown>> = {};
  try {
    const parsed: unknown = JSON.parse(folder.attributes?.[FOLDER_OBJECT_ATTRIBUTE] ?? '{}');
    if (typeof parsed === 'object' && parsed !== null) record = parsed;
  } catch {
    // not a record: the folder object shows as made by a plain PUT
  }
  const { type, modified } = record;
  const checksum = strings(record.checksum);
  const attributes = {
    ...strings(record.headers, CONTENT_HEADERS),
    ...(checksum.algorithm &&
      checksum.value &&
      checksumAttribute({ algorithm: checksum.algorithm, value: checksum.value })),
  };
  const time =
    typeof modified === 'number' && Number.isSafeInteger(modified) && modified > 0 && modified <= LAST_TIME;
  return {
    size: 0,
    etag: EMPTY_MD5,
    lastModified: new Date(time ? (modified as number) : folder.created),
    contentType: typeof type === 'string' && isContentType(type) ? type : FOLDER_TYPE,
    metadata: strings(record.metadata),
    attributes,
    generation: 0,
  };
}

/** An object as the handlers see it: a dfs file, or an explicit folder (a zero-byte folder object). */
export interface ObjectInfo {
  size: number;
  /** Unquoted. */
  etag: string;
  lastModified: Date;
  contentType: string;
  metadata: Record<string, string>;
  attributes: Record<string, string>;
  generation: number;
}

/** What a file or a listing entry carries that its ETag is made from. */
export interface EtagSource {
  attributes?: Record<string, string>;
  sha256?: string;
  generation?: number;
}

/** The hex MD5 of a file's bytes as stored with it; undefined when none is (or it is malformed). */
export function storedMd5(attributes: Record<string, string> | undefined): string | undefined {
  const md5 = attributes?.[MD5_ATTRIBUTE];
  return md5 && /^[0-9a-f]{32}$/.test(md5) ? md5 : undefined;
}

/**
 * The unquoted ETag of a file: the stored multipart ETag, else the MD5 of its bytes. A file whose
 * MD5 is not known (written by the CLI, WebDAV or the web client) gets its SHA-256 with `-1`:
 * clients take an ETag without a dash for the body's MD5 (s3cmd checks every download and sync
 * against it, the Java SDK fails the download), and one with a dash for a multipart upload's.
 */
export function etagOf(file: EtagSource): string {
  // Anyone with the master's API can set attributes: only well-formed values are taken.
  const stored = file.attributes?.[ETAG_ATTRIBUTE];
  if (stored && MULTIPART_ETAG.test(stored)) return unquoteEtag(stored);
  const md5 = storedMd5(file.attributes);
  if (md5) return md5;
  return file.sha256 ? `${file.sha256}-1` : `dfs-generation-${file.generation ?? 0}`;
}

/**
 * The checksum stored with a file (`{ algorithm: 'CRC32', value, type }`), if the client sent one
 * or a multipart upload made one: of the whole object, or (COMPOSITE) of its parts' checksums,
 * ending in `-N`. An attribute set through the master's API that is no such checksum is ignored.
 */
export function storedChecksum(
  attributes: Record<string, string>,
): { algorithm: ChecksumAlgorithm; value: string; type: ChecksumType } | undefined {
  const type = attributes[CHECKSUM_TYPE_ATTRIBUTE] === 'COMPOSITE' ? 'COMPOSITE' : 'FULL_OBJECT';
  for (const [name, value] of Object.entries(attributes)) {
    if (!name.startsWith(CHECKSUM_PREFIX)) continue;
    const algorithm = checksumAlgorithm(name.slice(CHECKSUM_PREFIX.length));
    const [digest = '', parts] = type === 'COMPOSITE' ? value.split('-') : [value];
    const whole = type === 'FULL_OBJECT' || (parts !== undefined && /^[1-9][0-9]{0,4}$/.test(parts));
    if (algorithm && whole && isChecksumValue(algorithm, digest)) return { algorithm, value, type };
  }
  return undefined;
}

/** `attributes` with `checksum` (FULL_OBJECT) in place of any checksum they kept. */
export function withChecksum(
  attributes: Record<string, string>,
  checksum: { algorithm: string; value: string },
): Record<string, string> {
  const kept = Object.entries(attributes).filter(([name]) => !name.startsWith(CHECKSUM_PREFIX));
  return { ...Object.fromEntries(kept), ...checksumAttribute(checksum) };
}

/** The attribute keeping a checksum the client sent. */
export function checksumAttribute(checksum: { algorithm: string; value: string }): Record<string, string> {
  return { [`${CHECKSUM_PREFIX}${checksum.algorithm.toLowerCase()}`]: checksum.value };
}

// A header's text as dfs keeps it (UTF-8), or InvalidArgument naming the header.
function fromHeaderText(text: string, what: string): string {
  const decoded = utf8FromHeader(text);
  if (decoded === undefined)
    throw new S3Error('InvalidArgument', `${what} is not valid UTF-8`, { fields: { ArgumentName: what } });
  return decoded;
}

/** The `x-amz-meta-*` headers as dfs metadata (MetadataTooLarge past 2 KiB). */
export function metadataFromHeaders(headers: HeaderMap): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(userMetadata(headers))) {
    if (name.length > 128)
      throw new S3Error('InvalidArgument', 'A metadata name must be at most 128 characters', {
        fields: { ArgumentName: `x-amz-meta-${name.slice(0, 40)}…` },
      });
    metadata[name] = fromHeaderText(value, `x-amz-meta-${name}`);
  }
  return metadata;
}

/** The content headers of a request (Cache-Control, Expires, …) as attributes. */
export function contentAttributes(headers: HeaderMap): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const name of CONTENT_HEADERS) {
    const value = name === 'content-encoding' ? storedContentEncoding(headers) : headerValue(headers, name);
    if (value !== undefined) attributes[name] = fromHeaderText(value, name);
  }
  return attributes;
}

/** A file's attributes without its content headers (a copy with `REPLACE` sets new ones). */
export function withoutContentHeaders(attributes: Record<string, string>): Record<string, string> {
  const kept = { ...attributes };
  for (const name of CONTENT_HEADERS) delete kept[name];
  return kept;
}

/**
 * The Content-Type of a request; undefined to let dfs guess it from the name. One dfs cannot keep
 * (not a media type) is refused before any byte of the body is stored, not at the commit after.
 */
export function requestContentType(headers: HeaderMap): string | undefined {
  const value = headerValue(headers, 'content-type')?.trim();
  if (value === undefined || value === '') return undefined;
  if (!isContentType(value))
    throw invalidArgument('Content-Type', value, 'Content-Type must be a media type like text/plain');
  return value;
}

// GET's response-* parameters and the header each overrides.
const OVERRIDES: readonly [string, string][] = [
  ['response-content-type', 'Content-Type'],
  ['response-content-language', 'Content-Language'],
  ['response-expires', 'Expires'],
  ['response-cache-control', 'Cache-Control'],
  ['response-content-disposition', 'Content-Disposition'],
  ['response-content-encoding', 'Content-Encoding'],
];

/**
 * Sets the headers of a GET or HEAD answer: ETag, Last-Modified, type, content headers, user
 * metadata, the stored checksum (when asked with `x-amz-checksum-mode: ENABLED` for the whole
 * object), then the response-* overrides of the query.
 */
export function setObjectHeaders(
  ctx: Context,
  object: ObjectInfo,
  query: ReadonlyMap<string, string>,
  wholeObject: boolean,
): void {
  ctx.set('ETag', `"${object.etag}"`);
  ctx.set('Last-Modified', object.lastModified.toUTCString());
  ctx.set('Accept-Ranges', 'bytes');
  ctx.set('Content-Type', object.contentType);
  for (const name of CONTENT_HEADERS) {
    const value = object.attributes[name];
    if (value !== undefined && headerSafe(value)) ctx.set(name, utf8ToHeader(value));
  }
  let missing = 0;
  for (const [name, value] of Object.entries(object.metadata)) {
    if (headerSafe(value)) ctx.set(`x-amz-meta-${name}`, utf8ToHeader(value));
    else missing++;
  }
  // S3's own header for metadata a header cannot carry (set through another API: here, the CLI).
  if (missing > 0) ctx.set('x-amz-missing-meta', String(missing));
  const checksum = storedChecksum(object.attributes);
  if (checksum && wholeObject && ctx.get('x-amz-checksum-mode').toUpperCase() === 'ENABLED') {
    ctx.set(checksumHeaderName(checksum.algorithm), checksum.value);
    ctx.set('x-amz-checksum-type', checksum.type);
  }
  for (const [param, header] of OVERRIDES) {
    const value = query.get(param);
    if (value === undefined) continue;
    if (!headerSafe(value))
      throw new S3Error('InvalidArgument', `${param} must not contain control characters`, {
        fields: { ArgumentName: param },
      });
    ctx.set(header, utf8ToHeader(value));
  }
}

/** True when a value can be sent as a header (no control characters but tab). */
function headerSafe(value: string): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  return !/[\u0000-\u0008\u000a-\u001f\u007f]/.test(value);
}
