// Property names as (namespace, local name) pairs and their one string spelling, `{ns}local`.

/** The WebDAV namespace. */
export const DAV_NS = 'DAV:';

/** A property or element name; `ns` is '' for an element in no namespace (`xmlns=""`). */
export interface PropName {
  ns: string;
  local: string;
}

/** `{ns}local` (Clark notation): the key of a property in maps and in stored dead properties. */
export function propKey(name: PropName): string {
  return `{${name.ns}}${name.local}`;
}

/**
 * The inverse of propKey; undefined when `key` is not in that form. A namespace (a URI) may hold
 * `}`, a local name (an XML name) cannot: the last `}` ends the namespace.
 */
export function parsePropKey(key: string): PropName | undefined {
  const close = key.lastIndexOf('}');
  if (!key.startsWith('{') || close < 0 || close === key.length - 1) return undefined;
  return { ns: key.slice(1, close), local: key.slice(close + 1) };
}

/** A name in the DAV: namespace. */
export function davName(local: string): PropName {
  return { ns: DAV_NS, local };
}
