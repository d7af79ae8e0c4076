// WebDAV dead properties kept in a file's or folder's attributes, under a key prefix of their
// own so they never collide with S3's attributes (md5, etag, cache-control, …).

import { parsePropKey, propKey } from './names.js';
import type { DeadProps } from './props.js';
import { nameOf, outerXml, parseXmlBody } from './xml-parse.js';
import type { ProppatchOp } from './xml-requests.js';

/** Prefix of every attribute that holds a dead property: `dav:{ns}local` → the property's XML. */
export const DEAD_PROP_PREFIX = 'dav:';

/**
 * The dead properties among a resource's attributes; with `only`, just those of these names (each
 * value is parsed to be checked, and a PROPFIND of named properties needs no others: a folder
 * listing of Windows Explorer's would otherwise parse four per file).
 */
export function deadPropsOf(
  attributes: Readonly<Record<string, string>> | undefined,
  only?: ReadonlySet<string>,
): DeadProps {
  const dead: Record<string, string> = {};
  for (const [key, value] of Object.entries(attributes ?? {})) {
    if (!key.startsWith(DEAD_PROP_PREFIX)) continue;
    const name = key.slice(DEAD_PROP_PREFIX.length);
    if (only && !only.has(name)) continue;
    // Only well-formed names and values: an attribute written through the master's API must not
    // break a listing, or write elements of its own into it.
    const xml = parsePropKey(name) && storedProp(name, value);
    if (xml) dead[name] = xml;
  }
  return dead;
}

// The property element stored for `name` (as PROPPATCH stores it), written out again; undefined
// when `value` is not one well-formed element of that name.
function storedProp(name: string, value: string): string | undefined {
  try {
    const root = parseXmlBody(value);
    return propKey(nameOf(root)) === name ? outerXml(root) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The attributes that hold dead properties, as stored: what a new version of a file keeps (its
 * other attributes, an S3 MD5 or ETag, describe the old bytes).
 */
export function deadPropAttributes(
  attributes: Readonly<Record<string, string>> | undefined,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(attributes ?? {}).filter(([key]) => key.startsWith(DEAD_PROP_PREFIX)),
  );
}

/** The bytes a resource's other attributes take (they share the store's bound with dead properties). */
export function otherAttributesSize(attributes: Readonly<Record<string, string>> | undefined): number {
  let size = 0;
  for (const [key, value] of Object.entries(attributes ?? {})) {
    if (!key.startsWith(DEAD_PROP_PREFIX)) size += Buffer.byteLength(key) + Buffer.byteLength(value);
  }
  return size;
}

/** The attribute change that stores `next`, the dead properties after a PROPPATCH of `ops`. */
export function attributeChange(
  ops: readonly ProppatchOp[],
  next: DeadProps,
): { set: Record<string, string>; remove: string[] } {
  const set: Record<string, string> = {};
  const remove = new Set<string>();
  // Every property the request named, as it stands after all of them: the stored state before
  // is not needed (a folder's may not be known), only what each key ends as.
  for (const op of ops) {
    const key = propKey(op.name);
    const value = next[key];
    if (value === undefined) {
      remove.add(`${DEAD_PROP_PREFIX}${key}`);
      delete set[`${DEAD_PROP_PREFIX}${key}`];
    } else {
      set[`${DEAD_PROP_PREFIX}${key}`] = value;
      remove.delete(`${DEAD_PROP_PREFIX}${key}`);
    }
  }
  return { set, remove: [...remove] };
}
