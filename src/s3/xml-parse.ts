// Parsers for the XML bodies clients send: CompleteMultipartUpload, Delete, CreateBucketConfiguration,
// AccessControlPolicy.

import { DOMParser, type Element } from '@xmldom/xmldom';
import { MAX_PARTS } from '../protocol/limits.js';
import { invalidArgument, S3Error } from './errors.js';

/** Most keys one DeleteObjects request may name. */
export const MAX_DELETE_KEYS = 1000;

function malformed(): S3Error {
  return new S3Error('MalformedXML');
}

// XML 1.0 line-end handling only: xmldom's default also folds U+2028/U+2029/U+0085 (an XML 1.1
// rule), which would change keys that contain them.
function xml10LineEnds(text: string): string {
  return text.replace(/\r\n?/g, '\n');
}

// The deepest nesting an S3 body may have; they need three or four levels.
const MAX_DEPTH = 16;

// Where the construct opened at `at` ends (past `close`), or the end of the text.
function past(text: string, at: number, close: string): number {
  const end = text.indexOf(close, at);
  return end < 0 ? text.length : end + close.length;
}

/**
 * True when `text` has at most `maxElements` elements nested at most MAX_DEPTH deep, counted by
 * a scan of its tags before any parsing (comments, CDATA and quoted attribute values skipped).
 * The parser is synchronous and takes seconds on a body of millions of elements or deep
 * nesting, during which the gateway answers no one. What the scan misreads, the parser refuses.
 */
function withinBounds(text: string, maxElements: number): boolean {
  let elements = 0;
  let depth = 0;
  let at = text.indexOf('<');
  while (at >= 0) {
    if (text.startsWith('<!--', at)) at = past(text, at, '-->');
    else if (text.startsWith('<![CDATA[', at)) at = past(text, at, ']]>');
    else if (text.startsWith('<?', at)) at = past(text, at, '?>');
    else if (text[at + 1] === '/') {
      depth--;
      at = past(text, at, '>');
    } else {
      if (++elements > maxElements) return false;
      // The tag ends at the first `>` outside a quoted attribute value.
      let end = at + 1;
      for (let quote = ''; end < text.length; end++) {
        const c = text[end];
        if (quote) quote = c === quote ? '' : quote;
        else if (c === '"' || c === "'") quote = c;
        else if (c === '>') break;
      }
      if (text[end - 1] !== '/' && ++depth > MAX_DEPTH) return false;
      at = end + 1;
    }
    at = text.indexOf('<', at);
  }
  return true;
}

/**
 * Parses `text` and returns its root element, which must be named `rootName` and hold at most
 * `maxElements` elements in all; else MalformedXML.
 */
function parseRoot(text: string, rootName: string, maxElements: number): Element {
  // No DTDs at all: they are what external entities (XXE) and entity expansion bombs need, and
  // no S3 body uses one. Comments and CDATA are harmless and allowed.
  if (/<!(?!--|\[CDATA\[)/.test(text)) throw malformed();
  if (!withinBounds(text, maxElements)) throw malformed();
  let root: Element | null;
  try {
    const parser = new DOMParser({
      locator: false,
      normalizeLineEndings: xml10LineEnds,
      onError: () => {
        throw malformed();
      },
    });
    root = parser.parseFromString(text, 'text/xml').documentElement;
  } catch {
    throw malformed();
  }
  if (!root || root.localName !== rootName) throw malformed();
  return root;
}

function children(element: Element, name: string): Element[] {
  const found: Element[] = [];
  for (let node = element.firstChild; node; node = node.nextSibling) {
    if (node.nodeType === 1 && (node as Element).localName === name) found.push(node as Element);
  }
  return found;
}

/** The text of the only child `name`; undefined when absent, MalformedXML when repeated or not text. */
function childText(element: Element, name: string): string | undefined {
  const found = children(element, name);
  if (found.length > 1) throw malformed();
  const only = found[0];
  if (!only) return undefined;
  for (let node = only.firstChild; node; node = node.nextSibling) if (node.nodeType === 1) throw malformed();
  return only.textContent ?? '';
}

/** A part named in CompleteMultipartUpload. */
export interface CompletedPart {
  partNumber: number;
  /** Without quotes, whether or not the client quoted it. */
  etag: string;
  /** Checksums the client listed, by algorithm (`CRC32`, `CRC32C`, `CRC64NVME`, `SHA1`, `SHA256`). */
  checksums: Record<string, string>;
}

const PART_CHECKSUMS = ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256'] as const;

/** Strips one pair of surrounding double quotes from an ETag. */
export function unquoteEtag(etag: string): string {
  const trimmed = etag.trim();
  return trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"')
    ? trimmed.slice(1, -1)
    : trimmed;
}

/** Parses a part number, 1..10000; InvalidArgument otherwise. */
export function parsePartNumber(text: string | undefined): number {
  const value = text?.trim() ?? '';
  const number = /^\d{1,5}$/.test(value) ? Number(value) : Number.NaN;
  if (!(number >= 1 && number <= MAX_PARTS)) {
    throw invalidArgument(
      'partNumber',
      value,
      'Part number must be an integer between 1 and 10000, inclusive',
    );
  }
  return number;
}

/**
 * The parts of a CompleteMultipartUpload body, in the order given. MalformedXML for a bad
 * document, no parts or too many; InvalidPartOrder unless part numbers strictly ascend.
 */
export function parseCompleteMultipartUpload(text: string): CompletedPart[] {
  // A part has a number, an ETag and up to five checksums.
  const root = parseRoot(text, 'CompleteMultipartUpload', 1 + MAX_PARTS * 8);
  const elements = children(root, 'Part');
  if (elements.length === 0 || elements.length > MAX_PARTS) throw malformed();
  const parts: CompletedPart[] = [];
  for (const element of elements) {
    const numberText = childText(element, 'PartNumber');
    const etag = childText(element, 'ETag');
    if (numberText === undefined || etag === undefined) throw malformed();
    const checksums: Record<string, string> = {};
    for (const alg of PART_CHECKSUMS) {
      const value = childText(element, `Checksum${alg}`);
      if (value !== undefined) checksums[alg] = value.trim();
    }
    const part = { partNumber: parsePartNumber(numberText), etag: unquoteEtag(etag), checksums };
    const previous = parts.at(-1);
    if (previous && previous.partNumber >= part.partNumber) throw new S3Error('InvalidPartOrder');
    parts.push(part);
  }
  return parts;
}

/** A key named in a DeleteObjects body. */
export interface DeleteEntry {
  /** Exactly as sent: keys may begin or end with spaces. */
  key: string;
  versionId?: string;
  /** Conditional delete: delete only if the object's ETag matches (unquoted). */
  etag?: string;
}

/** A parsed DeleteObjects body. */
export interface DeleteRequest {
  quiet: boolean;
  objects: DeleteEntry[];
}

/** Parses a Delete body: 1..1000 objects, each with a Key; MalformedXML otherwise. */
export function parseDelete(text: string): DeleteRequest {
  // An object has a key, a version, an ETag, a time and a size.
  const root = parseRoot(text, 'Delete', 2 + MAX_DELETE_KEYS * 6);
  const quietText = childText(root, 'Quiet')?.trim().toLowerCase();
  if (quietText !== undefined && quietText !== 'true' && quietText !== 'false') throw malformed();
  const elements = children(root, 'Object');
  if (elements.length === 0 || elements.length > MAX_DELETE_KEYS) throw malformed();
  const objects = elements.map((element): DeleteEntry => {
    const key = childText(element, 'Key');
    if (key === undefined) throw malformed();
    const entry: DeleteEntry = { key };
    const versionId = childText(element, 'VersionId');
    if (versionId !== undefined) entry.versionId = versionId.trim();
    const etag = childText(element, 'ETag');
    if (etag !== undefined) entry.etag = unquoteEtag(etag);
    return entry;
  });
  return { quiet: quietText === 'true', objects };
}

/** The LocationConstraint of a CreateBucket body; undefined for an empty body or element. */
export function parseCreateBucketConfiguration(text: string): string | undefined {
  if (text.trim() === '') return undefined;
  const root = parseRoot(text, 'CreateBucketConfiguration', 16);
  const location = childText(root, 'LocationConstraint')?.trim();
  return location === '' ? undefined : location;
}

/**
 * Checks a CreateBucket LocationConstraint against the gateway's region: absent or equal is
 * fine (S3 itself refuses an explicit `us-east-1` and requires one elsewhere; clients of S3-like
 * servers often do either), another region is IllegalLocationConstraintException.
 */
export function checkLocationConstraint(location: string | undefined, region: string): void {
  if (location === undefined || location === region) return;
  throw new S3Error(
    'IllegalLocationConstraintException',
    `The ${location} location constraint is incompatible for the region specific endpoint this request was sent to.`,
  );
}

/** A grant of an AccessControlPolicy: the canonical user it names (if it names one), and its permission. */
export interface AclGrant {
  userId: string | undefined;
  permission: string;
}

/** The owner's id and the grants of an AccessControlPolicy body (PutBucketAcl, PutObjectAcl). */
export function parseAccessControlPolicy(text: string): { ownerId: string | undefined; grants: AclGrant[] } {
  const root = parseRoot(text, 'AccessControlPolicy', 1000);
  const owner = children(root, 'Owner')[0];
  const [list, ...more] = children(root, 'AccessControlList');
  if (!list || more.length > 0) throw malformed();
  const grants = children(list, 'Grant').map((grant) => {
    const [grantee, ...others] = children(grant, 'Grantee');
    if (!grantee || others.length > 0) throw malformed();
    return { userId: childText(grantee, 'ID'), permission: childText(grant, 'Permission') ?? '' };
  });
  return { ownerId: owner && childText(owner, 'ID'), grants };
}
