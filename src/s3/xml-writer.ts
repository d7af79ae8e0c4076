// Building XML text for S3 responses: escaping, elements and the document wrapper.

/** The namespace of every S3 response document. */
export const S3_NAMESPACE = 'http://s3.amazonaws.com/doc/2006-03-01/';

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

/**
 * Escapes text for an XML element. Tab, CR and LF become character references so that a parser's
 * line-ending normalisation cannot change a key; other control characters (which XML 1.0 cannot
 * carry at all) are written as references too, so nothing is lost for lenient parsers — clients
 * that need them exactly ask for `EncodingType=url`.
 */
export function escapeXml(text: string): string {
  return text.replace(
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this escapes
    /[&<>"'\u0000-\u001f\ufffe\uffff]/g,
    (c) => ENTITIES[c] ?? `&#${c.charCodeAt(0)};`,
  );
}

/** `<name>text</name>`, or nothing when `value` is undefined. */
export function el(name: string, value: string | number | boolean | undefined): string {
  if (value === undefined) return '';
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

/** `<name>…children…</name>` from already rendered children. */
export function parent(name: string, children: readonly string[]): string {
  return `<${name}>${children.join('')}</${name}>`;
}

/** A whole response document: the XML declaration and a root element in the S3 namespace. */
export function xmlDocument(root: string, children: readonly string[]): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="${S3_NAMESPACE}">${children.join('')}</${root}>`;
}

/** A timestamp as S3 writes it in XML: ISO 8601 with milliseconds, `2013-05-24T00:00:00.000Z`. */
export function isoDate(date: Date): string {
  return date.toISOString();
}

/** An ETag in its quoted wire form, whether or not it was given quoted. */
export function quoteEtag(etag: string): string {
  return etag.startsWith('"') || etag.startsWith('W/"') ? etag : `"${etag}"`;
}
