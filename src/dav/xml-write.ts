// Writing XML text: escaping, status lines and property elements. Responses bind only `D` to
// DAV: at their root and never declare a default namespace, so a fragment that names its own
// namespaces (dead properties, lock owners) can be copied into them verbatim.

import { STATUS_CODES } from 'node:http';
import { DAV_NS, type PropName } from './names.js';

/** The XML declaration every response body starts with. */
export const XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n';

// Characters XML 1.0 cannot carry at all (controls, lone surrogates, U+FFFE/U+FFFF): a name
// may hold them, a response must stay well-formed.
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;
const TEXT_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '\r': '&#13;' };
const ATTR_ESCAPES: Record<string, string> = {
  ...TEXT_ESCAPES,
  '"': '&quot;',
  '\t': '&#9;',
  '\n': '&#10;',
};

/** Escapes character data; a CR survives as `&#13;` (a parser would turn a raw one into LF). */
export function escapeText(text: string): string {
  return text.replace(NOT_XML_CHAR, '\uFFFD').replace(/[&<>\r]/g, (c) => TEXT_ESCAPES[c] ?? c);
}

/** Escapes a double-quoted attribute value, whitespace included, so it reads back unchanged. */
export function escapeAttr(text: string): string {
  return text.replace(NOT_XML_CHAR, '\uFFFD').replace(/[&<>"\t\n\r]/g, (c) => ATTR_ESCAPES[c] ?? c);
}

/** `HTTP/1.1 424 Failed Dependency`: the form of every DAV:status element. */
export function statusLine(status: number): string {
  return `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}`;
}

/** A DAV: element with already-escaped content, or empty. */
export function davElement(local: string, inner = ''): string {
  return inner === '' ? `<D:${local}/>` : `<D:${local}>${inner}</D:${local}>`;
}

/** `<D:href>` around an already-encoded href. */
export function hrefElement(href: string): string {
  return davElement('href', escapeText(href));
}

/**
 * A property element with already-escaped content: `D:` for DAV:, no prefix for no namespace,
 * else a prefix declared on the element itself (so responses can be streamed one at a time).
 */
export function propElement(name: PropName, inner = ''): string {
  if (name.ns === DAV_NS) return davElement(name.local, inner);
  const [open, close] =
    name.ns === ''
      ? [name.local, name.local]
      : [`P:${name.local} xmlns:P="${escapeAttr(name.ns)}"`, `P:${name.local}`];
  return inner === '' ? `<${open}/>` : `<${open}>${inner}</${close}>`;
}
