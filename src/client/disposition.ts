// Content-Disposition for downloads (RFC 6266 with RFC 5987 encoding): a name with quotes,
// CR/LF or non-ASCII characters can never inject a header.

/** `attachment; filename="ascii fallback"; filename*=UTF-8''percent-encoded`. */
export function contentDisposition(name: string, inline = false): string {
  const fallback = name.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const encoded = encodeURIComponent(name).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `${inline ? 'inline' : 'attachment'}; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
