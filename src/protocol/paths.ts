// The one place remote paths and chunk ids are validated and normalised.

import { DfsError } from './errors.js';

/** Longest remote path, in UTF-8 bytes. */
export const MAX_PATH_BYTES = 1024;
/** Longest single path segment, in UTF-8 bytes. */
export const MAX_SEGMENT_BYTES = 255;
// Raw input longer than this cannot normalise to a legal path without being ambiguous (runs of
// thousands of slashes); it is refused before any work is done on it.
const MAX_RAW_LENGTH = 4 * MAX_PATH_BYTES;

const CHUNK_ID = /^[0-9a-f]{64}$/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
// C0 controls, DEL and C1 controls: invisible, and CR/LF would split headers.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// U+FFFE, U+FFFF, U+10FFFE, U+10FFFF: noncharacters, which the metadata store uses in its keys.
const NONCHARACTER = /[\uFFFE\uFFFF]|\uDBFF[\uDFFE\uDFFF]/;

/** True when `id` is exactly 64 lowercase hex digits. */
export function isChunkId(id: unknown): id is string {
  return typeof id === 'string' && CHUNK_ID.test(id);
}

/** Throws a 400 unless `id` is a valid chunk id; nothing else may reach the file system. */
export function assertChunkId(id: unknown): string {
  if (!isChunkId(id)) throw new DfsError('invalid_chunk_id', 'chunk id must be 64 lowercase hex digits');
  return id;
}

/**
 * Validates and normalises a remote file path: returns `/a/b/c`.
 * A leading slash is optional and repeated slashes collapse; `.`/`..` segments, backslashes,
 * control characters and over-long names are refused rather than guessed at.
 */
export function normalisePath(input: unknown): string {
  if (typeof input !== 'string') throw new DfsError('invalid_path', 'path must be a string');
  const segments = splitSegments(input);
  if (segments.length === 0) throw new DfsError('invalid_path', 'path must name a file, not the root');
  const path = `/${segments.join('/')}`;
  if (Buffer.byteLength(path) > MAX_PATH_BYTES) {
    throw new DfsError('invalid_path', `path is longer than ${MAX_PATH_BYTES} bytes`);
  }
  return path;
}

/** Like normalisePath, but the root and a trailing slash are allowed: returns `/` or `/a/b/`. */
export function normalisePrefix(input: unknown): string {
  if (input === undefined || input === '' || input === '/') return '/';
  if (typeof input !== 'string') throw new DfsError('invalid_path', 'prefix must be a string');
  const segments = splitSegments(input);
  const prefix = segments.length === 0 ? '/' : `/${segments.join('/')}/`;
  if (Buffer.byteLength(prefix) > MAX_PATH_BYTES) {
    throw new DfsError('invalid_path', `prefix is longer than ${MAX_PATH_BYTES} bytes`);
  }
  return prefix;
}

/**
 * `normalisePath` for a path that must name a file: one ending in `/` names a folder, and is
 * refused rather than taken for the file of that name (a DELETE of `f/` deleted `f`).
 */
export function normaliseFilePath(input: unknown): string {
  const path = normalisePath(input);
  if (typeof input === 'string' && input.endsWith('/'))
    throw new DfsError('invalid_path', `${path}/ names a folder, not a file`);
  return path;
}

// Decodes a path taken from a URL exactly once (so `%2e%2e` is seen as `..` and refused, and
// `%252e` stays the literal text `%2e`).
function decodeUrlPath(raw: string): string {
  if (raw.length > 3 * MAX_RAW_LENGTH) throw new DfsError('invalid_path', 'path is too long');
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new DfsError('invalid_path', 'path is not valid percent-encoding');
  }
}

/** A path taken from a URL, decoded once, then validated (see normalisePath). */
export function pathFromUrl(raw: string): string {
  return normalisePath(decodeUrlPath(raw));
}

/** The remote path in a still-encoded URL path after a route's `prefix`, decoded once and checked. */
export function pathAfter(urlPath: string, prefix: string): string {
  return pathFromUrl(urlPath.slice(prefix.length));
}

/** `pathAfter` for a route that acts on a file: a URL ending in `/` (or `%2F`) is refused. */
export function filePathAfter(urlPath: string, prefix: string): string {
  return normaliseFilePath(decodeUrlPath(urlPath.slice(prefix.length)));
}

/** The last segment of a normalised path. */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/', path.length - 2) + 1).replace(/\/$/, '');
}

/** The parent prefix of a normalised path: `/a/b` → `/a/`. */
export function parentPrefix(path: string): string {
  const trimmed = path.endsWith('/') ? path.slice(0, -1) : path;
  return trimmed.slice(0, trimmed.lastIndexOf('/') + 1) || '/';
}

function splitSegments(input: string): string[] {
  if (input.length > MAX_RAW_LENGTH) {
    throw new DfsError('invalid_path', `path is longer than ${MAX_PATH_BYTES} bytes`);
  }
  if (input.includes('\\')) throw new DfsError('invalid_path', 'path must not contain backslashes');
  if (CONTROL.test(input)) throw new DfsError('invalid_path', 'path must not contain control characters');
  if (LONE_SURROGATE.test(input) || NONCHARACTER.test(input)) {
    throw new DfsError('invalid_path', 'path must be valid Unicode');
  }
  const segments = input
    .normalize('NFC')
    .split('/')
    .filter((s) => s !== '');
  for (const segment of segments) {
    if (segment === '.' || segment === '..') {
      throw new DfsError('invalid_path', 'path must not contain "." or ".." segments');
    }
    if (segment.trim() === '') throw new DfsError('invalid_path', 'a path segment must not be blank');
    if (Buffer.byteLength(segment) > MAX_SEGMENT_BYTES) {
      throw new DfsError('invalid_path', `a path segment is longer than ${MAX_SEGMENT_BYTES} bytes`);
    }
  }
  return segments;
}
