// PROPPATCH over a resource's dead properties (RFC 4918 §9.2): instructions in document order,
// all or nothing, and the bounds that keep the properties small enough for a file's metadata.

import { MAX_ATTRIBUTES_BYTES } from '../protocol/limits.js';
import { type PropName, propKey } from './names.js';
import { type DeadProps, isProtectedProp } from './props.js';
import type { ProppatchOp } from './xml-requests.js';
import type { Propstat } from './xml-responses.js';

/** Largest stored property element, in bytes of XML. */
export const MAX_DEAD_PROP_BYTES = 4096;
/** Largest total of a resource's dead properties, keys and values, in bytes: the store's limit. */
export const MAX_DEAD_PROPS_BYTES = MAX_ATTRIBUTES_BYTES;

/** What a PROPPATCH comes to: the 207's propstats, and when `ok` the properties to store. */
export interface ProppatchOutcome {
  ok: boolean;
  /** The properties after the patch; the input unchanged when not ok. */
  dead: DeadProps;
  propstats: Propstat[];
}

/** Where dead properties are stored: the bounds of that store. */
export interface ProppatchLimits {
  /** Most bytes the properties may take in all, keys (with `keyPrefix`) and values. */
  totalBytes: number;
  /** What the store puts before each key; counted in sizes and name lengths. */
  keyPrefix: string;
  /** Longest stored key (with its prefix), in characters. */
  maxKeyChars: number;
}

/** No prefix, MAX_DEAD_PROPS_BYTES in all, keys of any length. */
export const DEFAULT_PROPPATCH_LIMITS: ProppatchLimits = {
  totalBytes: MAX_DEAD_PROPS_BYTES,
  keyPrefix: '',
  maxKeyChars: Number.POSITIVE_INFINITY,
};

/** The bytes dead properties take in metadata: every key (after `keyPrefix`) and value, UTF-8. */
export function deadPropsSize(dead: DeadProps, keyPrefix = ''): number {
  let size = 0;
  const prefix = Buffer.byteLength(keyPrefix);
  for (const [key, value] of Object.entries(dead)) {
    size += prefix + Buffer.byteLength(key) + Buffer.byteLength(value);
  }
  return size;
}

/**
 * Applies `ops` in order. A protected property fails with 403 and the precondition
 * `cannot-modify-protected-property`; a value over MAX_DEAD_PROP_BYTES, or a set that takes the
 * total over MAX_DEAD_PROPS_BYTES, fails with 507 Insufficient Storage (§9.2.1: "insufficient
 * space to record the property"), with a responsedescription saying which bound. One failure
 * fails the whole request (§9.2): every other property gets 424 Failed Dependency and nothing
 * is stored. Removing a property that does not exist is not an error. Each property appears
 * once in the answer, in order of first mention.
 */
export function applyProppatch(
  ops: readonly ProppatchOp[],
  dead: DeadProps,
  limits: ProppatchLimits = DEFAULT_PROPPATCH_LIMITS,
): ProppatchOutcome {
  const next: Record<string, string> = { ...dead };
  const names = new Map<string, PropName>();
  const failures = new Map<string, { status: number; description?: string }>();
  for (const op of ops) {
    const key = propKey(op.name);
    if (!names.has(key)) names.set(key, op.name);
    if (failures.has(key)) continue;
    if (isProtectedProp(op.name)) {
      failures.set(key, { status: 403 });
    } else if (op.op === 'remove') {
      delete next[key];
    } else if (Buffer.byteLength(op.xml) > MAX_DEAD_PROP_BYTES) {
      failures.set(key, {
        status: 507,
        description: `a property value may hold at most ${MAX_DEAD_PROP_BYTES} bytes`,
      });
    } else if (limits.keyPrefix.length + key.length > limits.maxKeyChars) {
      failures.set(key, {
        status: 507,
        description: `a property name may be at most ${limits.maxKeyChars - limits.keyPrefix.length} characters with its namespace`,
      });
    } else {
      next[key] = op.xml;
      if (deadPropsSize(next, limits.keyPrefix) > limits.totalBytes) {
        failures.set(key, {
          status: 507,
          description: `a resource's properties may hold at most ${limits.totalBytes} bytes in all`,
        });
      }
    }
  }
  const ok = failures.size === 0;
  const groups = new Map<string, Propstat & { props: { name: PropName }[] }>();
  for (const [key, name] of names) {
    const failure = failures.get(key) ?? { status: ok ? 200 : 424 };
    const group = `${failure.status} ${failure.description ?? ''}`;
    let propstat = groups.get(group);
    if (!propstat) {
      propstat = {
        status: failure.status,
        props: [],
        ...(failure.status === 403 && { condition: { name: 'cannot-modify-protected-property' as const } }),
        ...(failure.description !== undefined && { description: failure.description }),
      };
      groups.set(group, propstat);
    }
    propstat.props.push({ name });
  }
  return { ok, dead: ok ? next : dead, propstats: [...groups.values()] };
}
