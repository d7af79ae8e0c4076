// Percent-encoding as SigV4 and S3 listings use it (RFC 3986 unreserved set), and strict decoding.

const HEX = '0123456789ABCDEF';

function unreserved(byte: number): boolean {
  return (
    (byte >= 0x41 && byte <= 0x5a) || // A-Z
    (byte >= 0x61 && byte <= 0x7a) || // a-z
    (byte >= 0x30 && byte <= 0x39) || // 0-9
    byte === 0x2d || // -
    byte === 0x2e || // .
    byte === 0x5f || // _
    byte === 0x7e // ~
  );
}

/**
 * Encodes every UTF-8 byte outside `A-Za-z0-9-._~` as `%XX` (upper-case hex), keeping `/` when
 * `keepSlash` is set: SigV4's UriEncode and the form S3 uses for `EncodingType=url`.
 */
export function uriEncode(text: string, keepSlash = false): string {
  // Fast path: most keys and query values need no encoding at all.
  if (/^[A-Za-z0-9\-._~]*$/.test(text) || (keepSlash && /^[A-Za-z0-9\-._~/]*$/.test(text))) return text;
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    if (unreserved(byte) || (keepSlash && byte === 0x2f)) out += String.fromCharCode(byte);
    else out += `%${HEX[byte >> 4]}${HEX[byte & 15]}`;
  }
  return out;
}

/**
 * Decodes `%XX` escapes once (and `+` as a space in query strings); undefined when an escape is
 * malformed or the bytes are not valid UTF-8.
 */
export function percentDecode(text: string, plusIsSpace = false): string | undefined {
  const input = plusIsSpace ? text.replaceAll('+', ' ') : text;
  if (!input.includes('%')) return input;
  try {
    return decodeURIComponent(input);
  } catch {
    return undefined;
  }
}
