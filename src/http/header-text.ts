// Header values and UTF-8: Node hands a header's bytes over as latin1 text (one character per
// byte) and writes such text back byte for byte; dfs keeps text as UTF-8 strings.

/** The UTF-8 text a header's bytes spell; undefined when they are not UTF-8. */
export function utf8FromHeader(text: string): string | undefined {
  const bytes = Buffer.from(text, 'latin1');
  const decoded = bytes.toString('utf8');
  return Buffer.from(decoded, 'utf8').equals(bytes) ? decoded : undefined;
}

/** The reverse: a string as header text Node writes out as its UTF-8 bytes. */
export function utf8ToHeader(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}
