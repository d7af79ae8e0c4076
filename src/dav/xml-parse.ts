// Parsing request bodies into a namespace-aware DOM, safely, and writing parts of it back out
// as self-contained XML (every namespace a fragment uses is declared inside it).

import { DOMParser, type Element, type Node } from '@xmldom/xmldom';
import { badRequest, DavError } from './errors.js';
import { DAV_NS, type PropName } from './names.js';
import { escapeAttr, escapeText } from './xml-write.js';

const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';
const ELEMENT_NODE = 1;
const TEXT_NODE = 3;
const CDATA_SECTION_NODE = 4;
const PROCESSING_INSTRUCTION_NODE = 7;
const COMMENT_NODE = 8;
// Characters XML 1.0 forbids; a body holding one is not XML.
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

// A character reference (`&#1;`, `&#xFFFE;`) to a character XML forbids: the parser would store
// something else in its place.
function refersToNonXmlChar(text: string): boolean {
  for (const [, ref = ''] of text.matchAll(/&#(x[0-9a-fA-F]+|[0-9]+);/g)) {
    const code = ref.startsWith('x') ? Number.parseInt(ref.slice(1), 16) : Number(ref);
    if (code > 0x10ffff || NOT_XML_CHAR.test(String.fromCodePoint(code))) return true;
  }
  return false;
}

/**
 * Parses a request body and returns its root element. Malformed XML, a forbidden character or
 * an unbound or empty namespace prefix (`xmlns:p=""`, litmus `propfind_invalid2`) is a 400.
 * Any DTD is refused before parsing: nothing is ever expanded or fetched (no XXE, no billion
 * laughs); one naming an external entity is a 403 `no-external-entities` (RFC 4918 §16).
 */
export function parseXmlBody(text: string): Element {
  if (/<!DOCTYPE/i.test(text)) {
    if (/<!(DOCTYPE|ENTITY)[^>]*\b(SYSTEM|PUBLIC)\b/i.test(text)) {
      throw new DavError(403, 'external entities are not accepted', { name: 'no-external-entities' });
    }
    throw badRequest('a DOCTYPE is not accepted in a WebDAV request body');
  }
  if (NOT_XML_CHAR.test(text) || refersToNonXmlChar(text))
    throw badRequest('request body holds a character XML does not allow');
  let root: Element | null;
  try {
    const parser = new DOMParser({
      onError: (_level, message) => {
        // xmldom reports recoverable damage as warnings; only a literal U+FFFD is harmless.
        if (!message.startsWith('Unicode replacement character')) throw new Error(message);
      },
    });
    root = parser.parseFromString(text, 'application/xml').documentElement;
  } catch (err) {
    throw badRequest(`request body is not well-formed XML: ${(err as Error).message}`, err);
  }
  if (!root) throw badRequest('request body has no root element');
  assertNesting(root);
  return root;
}

/** The deepest element nesting a body may have; WebDAV bodies need a handful of levels. */
export const MAX_XML_DEPTH = 100;

// Walked without recursion: a body of 300,000 nested elements fits in a megabyte.
function assertNesting(root: Element): void {
  const stack: [Node, number][] = [[root, 1]];
  for (let entry = stack.pop(); entry; entry = stack.pop()) {
    const [node, depth] = entry;
    if (depth > MAX_XML_DEPTH) throw badRequest(`request body nests elements deeper than ${MAX_XML_DEPTH}`);
    for (const child of Array.from(node.childNodes)) {
      if (child.nodeType === ELEMENT_NODE) stack.push([child, depth + 1]);
    }
  }
}

/** The element children of `el`, in document order. */
export function childElements(el: Element): Element[] {
  const out: Element[] = [];
  for (const node of Array.from(el.childNodes)) if (node.nodeType === ELEMENT_NODE) out.push(node as Element);
  return out;
}

/** The (namespace, local name) of an element. */
export function nameOf(el: Element): PropName {
  return { ns: el.namespaceURI ?? '', local: el.localName ?? el.nodeName };
}

/** True when `el` is `<DAV:local>` whatever its prefix. */
export function isDav(el: Element, local: string): boolean {
  return el.namespaceURI === DAV_NS && el.localName === local;
}

/** The DAV: children of `el` called `local`. */
export function davChildren(el: Element, local: string): Element[] {
  return childElements(el).filter((child) => isDav(child, local));
}

// prefix ('' for the default namespace) → namespace URI ('' for none) as declared in the output
type Scope = ReadonlyMap<string, string>;
// Fragments are written into responses that declare no default namespace.
const EMPTY_SCOPE: Scope = new Map([['', '']]);

/** `el` itself as self-contained XML: its prefixes, attributes, comments and text kept. */
export function outerXml(el: Element): string {
  const out: string[] = [];
  writeElement(el, EMPTY_SCOPE, out);
  return out.join('');
}

/** The content of `el` as self-contained XML (each child element declares what it uses). */
export function innerXml(el: Element): string {
  const out: string[] = [];
  for (const child of Array.from(el.childNodes)) writeNode(child, EMPTY_SCOPE, out);
  return out.join('');
}

function writeNode(node: Node, scope: Scope, out: string[]): void {
  switch (node.nodeType) {
    case ELEMENT_NODE:
      writeElement(node as Element, scope, out);
      break;
    case TEXT_NODE:
    case CDATA_SECTION_NODE:
      out.push(escapeText(node.nodeValue ?? ''));
      break;
    case COMMENT_NODE:
      out.push(`<!--${node.nodeValue ?? ''}-->`);
      break;
    case PROCESSING_INSTRUCTION_NODE:
      out.push(`<?${node.nodeName} ${node.nodeValue ?? ''}?>`);
      break;
  }
}

function writeElement(el: Element, scope: Scope, out: string[]): void {
  const own = new Map(scope);
  const attributes: string[] = [];
  const added: string[] = [];
  const attrs = Array.from(el.attributes);
  for (const attr of attrs) {
    if (attr.namespaceURI === XMLNS_NS)
      own.set(attr.prefix === 'xmlns' ? (attr.localName ?? '') : '', attr.value);
  }
  // Declares what the source inherited from elements outside the fragment.
  const need = (prefix: string, ns: string) => {
    if (prefix === 'xml' || own.get(prefix) === ns) return;
    own.set(prefix, ns);
    added.push(` ${prefix === '' ? 'xmlns' : `xmlns:${prefix}`}="${escapeAttr(ns)}"`);
  };
  need(el.prefix ?? '', el.namespaceURI ?? '');
  for (const attr of attrs) {
    if (attr.namespaceURI !== XMLNS_NS && attr.prefix) need(attr.prefix, attr.namespaceURI ?? '');
    attributes.push(` ${attr.name}="${escapeAttr(attr.value)}"`);
  }
  const open = `${el.nodeName}${attributes.join('')}${added.join('')}`;
  if (el.childNodes.length === 0) {
    out.push(`<${open}/>`);
    return;
  }
  out.push(`<${open}>`);
  for (const child of Array.from(el.childNodes)) writeNode(child, own, out);
  out.push(`</${el.nodeName}>`);
}
