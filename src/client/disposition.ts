// Content-Disposition for downloads (RFC 6266 with RFC 5987 encoding): a name with quotes,
// CR/LF or non-ASCII characters can never inject a header.

// Lone UTF-16 surrogates would make encodeURIComponent throw.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** `attachment; filename="ascii fallback"; filename*=UTF-8''percent-encoded`. */
export function contentDisposition(name: string, inline = false): string {
  const safe = name.replace(LONE_SURROGATE, '\uFFFD') || 'download';
  // The quoted fallback keeps printable ASCII only; quote, backslash and % (which some
  // browsers would decode) become '_'.
  const fallback = safe.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  // RFC 5987 attr-chars only: encodeURIComponent leaves ' ( ) * unescaped, which are not.
  const encoded = encodeURIComponent(safe).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `${inline ? 'inline' : 'attachment'}; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
