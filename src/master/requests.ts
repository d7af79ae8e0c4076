// Request bodies and queries of the master's client API, checked and turned into typed requests
// at the route, before any logic runs: a malformed one is a 400 that touched nothing.

import type { ParsedUrlQuery } from 'node:querystring';
import { DfsError } from '../protocol/errors.js';
import {
  isUploadId,
  MAX_ALLOCATE,
  MAX_ATTRIBUTE_KEY_CHARS,
  MAX_ATTRIBUTES_BYTES,
  MAX_METADATA_BYTES,
} from '../protocol/limits.js';
import { guessContentType, isContentType } from '../protocol/mime.js';
import { assertChunkId, normaliseFilePath, normalisePath, normalisePrefix } from '../protocol/paths.js';
import type { ChunkRef, Receipt } from '../protocol/types.js';

/** Most entries on one listing page. */
export const MAX_LIST_LIMIT = 10_000;

const SHA256 = /^[0-9a-f]{64}$/;
// Lowercase HTTP token characters: user metadata travels as `x-amz-meta-KEY` headers.
const METADATA_KEY = /^[a-z0-9!#$%&'*+.^_`|~-]{1,128}$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;
const ATTRIBUTE_KEY = new RegExp(`^.{1,${MAX_ATTRIBUTE_KEY_CHARS}}$`, 's');

/** A checked allocation request. */
export interface Allocate {
  chunks: ChunkRef[];
  exclude: string[];
}

/** A checked commit. */
export interface Commit {
  path: string;
  size: number;
  sha256: string;
  chunks: ChunkRef[];
  receipts: Receipt[];
  contentType: string;
  metadata: Record<string, string>;
  attributes: Record<string, string>;
  ifGeneration?: number;
  ifNotGeneration?: number;
}

/** A checked listing query. */
export interface ListRequest {
  /** The folder listed (ending in `/`). */
  folder: string;
  /** A name prefix within the folder (S3 prefixes); '' for everything. */
  begins: string;
  delimiter: boolean;
  after?: string;
  limit: number;
  health: boolean;
  /** Without a delimiter: also list explicit folders (S3 lists them as `name/` objects). */
  folders: boolean;
}

/** A JSON object body (or part of one); anything else is a 400. */
export function object(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new DfsError('bad_request', 'the request body must be a JSON object');
  return body as Record<string, unknown>;
}

/** An upload id (an upload's lease, a multipart upload): 8 to 64 word characters or dashes. */
export function parseUploadId(value: unknown): string {
  if (!isUploadId(value)) throw new DfsError('bad_request', 'invalid upload id');
  return value;
}

/** A file's content type: the one given, or one guessed from `path` when none is. */
export function contentTypeOf(value: unknown, path: string): string {
  const contentType = value === undefined || value === '' ? guessContentType(path) : value;
  if (typeof contentType !== 'string' || !isContentType(contentType))
    throw new DfsError('bad_request', 'contentType must be a media type like text/plain');
  return contentType;
}

/** A list of chunk references whose sizes add up to `size`, that of the `what` they make. */
export function chunkList(value: unknown, chunkSize: number, size: unknown, what: string): ChunkRef[] {
  if (!Array.isArray(value)) throw new DfsError('bad_request', 'chunks must be a list');
  const chunks = value.map((c) => chunkRef(c, chunkSize));
  if (chunks.reduce((sum, c) => sum + c.size, 0) !== size)
    throw new DfsError('bad_request', `chunk sizes do not add up to the ${what} size`);
  return chunks;
}

/** A chunk reference: a valid id and a size from 1 to `chunkSize`. */
function chunkRef(value: unknown, chunkSize: number): ChunkRef {
  const c = object(value);
  const id = assertChunkId(c.id);
  const size = c.size;
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 1 || size > chunkSize)
    throw new DfsError('bad_request', `chunk size must be an integer from 1 to ${chunkSize}`);
  return { id, size };
}

/** `POST /api/chunks/allocate`. */
export function parseAllocate(body: unknown, chunkSize: number): Allocate {
  const b = object(body);
  // An empty list only begins the upload (its lease): a copy or an empty file commits under it.
  if (!Array.isArray(b.chunks) || b.chunks.length > MAX_ALLOCATE)
    throw new DfsError('bad_request', `chunks must be a list of up to ${MAX_ALLOCATE} chunks`);
  return {
    chunks: b.chunks.map((c) => chunkRef(c, chunkSize)),
    exclude: Array.isArray(b.exclude) ? b.exclude.map(String) : [],
  };
}

/** The keys user metadata may have. */
export { METADATA_KEY };

/** `value`, unless it holds a NUL, which PostgreSQL cannot store in text or JSON (400, not a 500). */
export function storable(value: string, what: string): string {
  if (value.includes('\u0000')) throw new DfsError('bad_request', `${what} must not contain NUL characters`);
  return value;
}

/** A string map with bounded total size, for metadata and attributes. */
export function stringMap(
  value: unknown,
  what: string,
  limit: number,
  key = ATTRIBUTE_KEY,
): Record<string, string> {
  if (value === undefined) return {};
  const map = object(value);
  let bytes = 0;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(map)) {
    if (typeof v !== 'string') throw new DfsError('bad_request', `${what} values must be strings`);
    if (!key.test(k) || CONTROL.test(k))
      throw new DfsError('bad_request', `${what} key "${k.slice(0, 40)}" is not allowed`);
    bytes += Buffer.byteLength(k) + Buffer.byteLength(v);
    out[k] = storable(v, `${what} values`);
  }
  if (bytes > limit) throw new DfsError('bad_request', `${what} is larger than ${limit} bytes`);
  return out;
}

function generation(value: unknown, what: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    throw new DfsError('bad_request', `${what} must be a non-negative integer`);
  return value;
}

/** `POST /api/files`. */
export function parseCommit(body: unknown, limits: { chunkSize: number; maxFileSize: number }): Commit {
  const b = object(body);
  // A path ending in `/` names a folder: never commit the file of that name for it.
  const path = normaliseFilePath(b.path);
  const size = b.size;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0)
    throw new DfsError('bad_request', 'size must be a non-negative integer');
  if (size > limits.maxFileSize)
    throw new DfsError(
      'payload_too_large',
      `file is larger than the cluster's limit of ${limits.maxFileSize} bytes`,
    );
  // A file assembled from parts (S3 multipart) has no whole-file hash: '' says "not known".
  const sha256 = b.sha256 ?? '';
  if (typeof sha256 !== 'string' || (sha256 !== '' && !SHA256.test(sha256)))
    throw new DfsError('bad_request', 'sha256 must be 64 lowercase hex digits');
  return {
    path,
    size,
    sha256,
    chunks: chunkList(b.chunks, limits.chunkSize, size, 'file'),
    receipts: receiptList(b.receipts),
    contentType: contentTypeOf(b.contentType, path),
    metadata: stringMap(b.metadata, 'metadata', MAX_METADATA_BYTES, METADATA_KEY),
    attributes: stringMap(b.attributes, 'attributes', MAX_ATTRIBUTES_BYTES),
    ifGeneration: generation(b.ifGeneration, 'ifGeneration'),
    ifNotGeneration: generation(b.ifNotGeneration, 'ifNotGeneration'),
  };
}

function single(query: ParsedUrlQuery, name: string): string | undefined {
  const v = query[name];
  if (Array.isArray(v)) throw new DfsError('bad_request', `${name} is given more than once`);
  return v;
}

/** A number in a query or a route: decimal digits only (Number() would also take '', '0x10', '1e3'); else NaN. */
export const decimal = (text: unknown): number =>
  typeof text === 'string' && /^[0-9]+$/.test(text) ? Number(text) : NaN;

/** A `limit` query parameter: an integer from 1 to `max`, 1000 when absent; 400 otherwise. */
export function limitParam(text: unknown, max: number): number {
  const limit = text === undefined ? 1000 : decimal(text);
  if (!Number.isInteger(limit) || limit < 1 || limit > max)
    throw new DfsError('bad_request', `limit must be an integer from 1 to ${max}`);
  return limit;
}

/** `GET /api/files?prefix=&begins=&delimiter=/&after=&limit=&health=1&folders=1`. */
export function parseList(query: ParsedUrlQuery): ListRequest {
  const folder = normalisePrefix(single(query, 'prefix'));
  const begins = single(query, 'begins') ?? '';
  if (begins.includes('/') || CONTROL.test(begins) || begins.length > 1024)
    throw new DfsError('bad_request', 'begins must be a name prefix without slashes');
  const limit = limitParam(single(query, 'limit'), MAX_LIST_LIMIT);
  const delimiter = single(query, 'delimiter');
  return {
    folder,
    begins,
    delimiter: delimiter === '/' || delimiter === '1',
    after: decodeToken(single(query, 'after'), `${folder}${begins}`),
    limit,
    health: single(query, 'health') === '1',
    folders: single(query, 'folders') === '1',
  };
}

/** The opaque continuation token of a listing: the last key, base64url. */
export function encodeToken(key: string): string {
  return Buffer.from(key).toString('base64url');
}

// A token must decode to a key below the listed prefix; anything else is refused, not guessed at.
function decodeToken(token: string | undefined, prefix: string): string | undefined {
  if (!token) return undefined;
  const key = Buffer.from(token, 'base64url').toString('utf8');
  if (!key.startsWith(prefix) || key.includes('\u0000') || encodeToken(key) !== token.replace(/=+$/, ''))
    throw new DfsError('bad_request', 'after is not a continuation token of this listing');
  return key;
}

/** `POST /api/move`. */
export function parseMove(body: unknown): { from: string; to: string; overwrite: boolean } {
  const b = object(body);
  return { from: normalisePath(b.from), to: normalisePath(b.to), overwrite: flag(b.overwrite, 'overwrite') };
}

/** An optional `?ifGeneration=N` on a delete. */
export function parseIfGeneration(query: ParsedUrlQuery): number | undefined {
  const v = single(query, 'ifGeneration');
  return v === undefined ? undefined : generation(decimal(v), 'ifGeneration');
}

/** An optional flag of a JSON body: true, false or absent (false); anything else is a 400. */
export function flag(value: unknown, name: string): boolean {
  if (value !== undefined && typeof value !== 'boolean')
    throw new DfsError('bad_request', `${name} must be true or false`);
  return value === true;
}

/** `?keepContents=1` on `DELETE /api/dirs/{path}`: drop only the folder's own entry. */
export function parseKeepContents(query: ParsedUrlQuery): boolean {
  const v = single(query, 'keepContents');
  if (v !== undefined && v !== '1') throw new DfsError('bad_request', 'keepContents must be 1 when given');
  return v === '1';
}

/** Receipts in a body (a repair report, a multipart part), shape-checked; signatures are checked later. */
export function receiptList(value: unknown): Receipt[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new DfsError('bad_request', 'receipts must be a list');
  return value.map((r) => {
    const o = object(r);
    if (typeof o.nodeId !== 'string' || typeof o.signature !== 'string')
      throw new DfsError('bad_request', 'a receipt needs nodeId, chunkId and signature');
    return { nodeId: o.nodeId, chunkId: assertChunkId(o.chunkId), signature: o.signature };
  });
}
