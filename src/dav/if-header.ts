// The If header (RFC 4918 §10.4): parsing, evaluation against the state of resources, and the
// lock tokens it submits.

import { etagsMatch } from '../http/conditional.js';
import { badRequest } from './errors.js';

/** One condition of a list: a state token or an entity tag, possibly negated. */
export type IfCondition = { not: boolean; token: string } | { not: boolean; etag: string };

/** A list of conditions (all must hold); `tag` is the resource URL of a tagged list, as written. */
export interface IfList {
  tag?: string;
  conditions: IfCondition[];
}

/** A parsed If header: its lists, any one of which must hold. */
export interface IfHeader {
  lists: IfList[];
}

/** The state a condition is checked against. */
export interface ResourceState {
  /** The resource's entity tag (quoted); absent for an unmapped URL. */
  etag?: string;
  /** The tokens of every lock whose scope holds the resource (§10.4.4). */
  lockTokens: readonly string[];
}

/**
 * Finds the state of the resource a list applies to: `undefined` is the Request-URI (untagged
 * lists); otherwise the tag as written. §10.4.4: a URL this server does not map (another host,
 * outside the tree, an unmapped path) is a resource that exists but has no state —
 * `{ lockTokens: [] }` — never an error.
 */
export type ResolveState = (tag: string | undefined) => ResourceState | Promise<ResourceState>;

const WHITESPACE = /[ \t\r\n]/;

/** Parses an If header; anything but the §10.4.2 grammar is a 400. */
export function parseIfHeader(value: string): IfHeader {
  const lists: IfList[] = [];
  let i = 0;
  let tag: string | undefined;
  let tagged: boolean | undefined;
  let listsSinceTag = 0;
  const skip = () => {
    while (i < value.length && WHITESPACE.test(value.charAt(i))) i++;
  };
  const bad = (why: string) => badRequest(`malformed If header: ${why}`);
  const codedUrl = (): string => {
    const end = value.indexOf('>', i);
    const url = end < 0 ? '' : value.slice(i + 1, end).trim();
    if (url === '' || /[\s<]/.test(url)) throw bad('expected <URL>');
    i = end + 1;
    return url;
  };
  const entityTag = (): string => {
    let end = value.startsWith('W/', i + 1) ? i + 3 : i + 1;
    // A quoted entity tag may itself hold "]"; an unquoted one (not RFC) runs to "]".
    // RFC 4918's own examples put spaces inside the quotes ("I am an ETag").
    const quoted = value.charAt(end) === '"';
    if (quoted) {
      const close = value.indexOf('"', end + 1);
      end = close >= 0 && value.charAt(close + 1) === ']' ? close + 1 : -1;
    } else {
      end = value.indexOf(']', end);
    }
    const etag = end < 0 ? '' : value.slice(i + 1, end);
    if (etag === '' || (!quoted && WHITESPACE.test(etag))) throw bad('expected [entity-tag]');
    i = end + 1;
    return etag;
  };
  for (skip(); i < value.length; skip()) {
    const c = value.charAt(i);
    if (c === '<') {
      if (tagged === false) throw bad('tagged and untagged lists cannot be mixed');
      if (tagged && listsSinceTag === 0) throw bad('a resource tag needs a list');
      tagged = true;
      tag = codedUrl();
      listsSinceTag = 0;
    } else if (c === '(') {
      tagged ??= false;
      i++;
      const conditions: IfCondition[] = [];
      for (skip(); value.charAt(i) !== ')'; skip()) {
        const not = /^not(?=[\s<[])/i.test(value.slice(i, i + 4));
        if (not) {
          i += 3;
          skip();
        }
        const next = value.charAt(i);
        if (next === '<') conditions.push({ not, token: codedUrl() });
        else if (next === '[') conditions.push({ not, etag: entityTag() });
        else throw bad(i >= value.length ? 'unclosed list' : `unexpected "${next}"`);
      }
      i++;
      if (conditions.length === 0) throw bad('empty list');
      lists.push(tag === undefined ? { conditions } : { tag, conditions });
      listsSinceTag++;
    } else {
      throw bad(`unexpected "${c}"`);
    }
  }
  if (lists.length === 0) throw bad('no list');
  if (tagged && listsSinceTag === 0) throw bad('a resource tag needs a list');
  return { lists };
}

/**
 * Evaluates the header (§10.4.3): true when any list holds, a list holding when every condition
 * does. A state token matches a lock whose scope holds the resource; entity tags compare weakly
 * (§10.4.4 allows either comparison; weak lets `W/` tags match). Each resource is resolved once.
 */
export async function evaluateIf(header: IfHeader, resolve: ResolveState): Promise<boolean> {
  const states = new Map<string | undefined, ResourceState>();
  for (const list of header.lists) {
    let state = states.get(list.tag);
    if (!state) {
      state = await resolve(list.tag);
      states.set(list.tag, state);
    }
    const current = state;
    const holds = list.conditions.every((condition) => {
      const match =
        'token' in condition
          ? current.lockTokens.includes(condition.token)
          : current.etag !== undefined && etagsMatch(current.etag, condition.etag);
      return match !== condition.not;
    });
    if (holds) return true;
  }
  return false;
}

/**
 * Every state token the header names: §10.4.1 says a token counts as submitted by appearing,
 * whatever list it is in and whether or not that list was evaluated or held.
 */
export function submittedTokens(header: IfHeader): string[] {
  const tokens = new Set<string>();
  for (const list of header.lists) {
    for (const condition of list.conditions) if ('token' in condition) tokens.add(condition.token);
  }
  return [...tokens];
}
