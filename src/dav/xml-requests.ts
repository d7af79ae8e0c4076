// The three WebDAV request bodies (RFC 4918 §14): propfind, propertyupdate and lockinfo.
// Elements are matched by namespace and local name, never by prefix; unknown elements are
// ignored, as §17 asks (litmus `propextended` puts a `<foobar/>` beside `<allprop/>`).

import type { Element } from '@xmldom/xmldom';
import { badRequest, DavError } from './errors.js';
import { type PropName, propKey } from './names.js';
import { childElements, davChildren, innerXml, isDav, nameOf, outerXml, parseXmlBody } from './xml-parse.js';

/** What a PROPFIND asks for (§9.1). */
export type PropfindRequest =
  | { kind: 'allprop'; include: PropName[] }
  | { kind: 'propname' }
  | { kind: 'prop'; props: PropName[] };

/** One PROPPATCH instruction, in document order (§9.2). */
export type ProppatchOp =
  /** `xml` is the whole property element, self-contained: what a dead property stores. */
  { op: 'set'; name: PropName; xml: string } | { op: 'remove'; name: PropName };

/** A LOCK request body (§9.10): the scope asked for and the owner, as self-contained XML ('' if none). */
export interface LockInfo {
  scope: 'exclusive' | 'shared';
  owner: string;
}

/** Longest lock owner kept, in bytes of XML. */
export const MAX_OWNER_BYTES = 4096;

/** Parses a PROPFIND body; an empty body means allprop (§9.1). */
export function parsePropfind(body: string): PropfindRequest {
  if (body.trim() === '') return { kind: 'allprop', include: [] };
  const root = rootElement(body, 'propfind');
  const allprop = davChildren(root, 'allprop');
  const propname = davChildren(root, 'propname');
  const prop = davChildren(root, 'prop');
  if (allprop.length + propname.length + prop.length !== 1) {
    throw badRequest('propfind must hold exactly one of allprop, propname or prop');
  }
  if (allprop.length === 1) {
    return { kind: 'allprop', include: uniqueNames(davChildren(root, 'include').flatMap(childElements)) };
  }
  if (propname.length === 1) return { kind: 'propname' };
  const props = uniqueNames(childElements(prop[0] as Element));
  if (props.length === 0) throw badRequest('prop must name at least one property');
  return { kind: 'prop', props };
}

/** Parses a PROPPATCH body into its instructions, in document order (§9.2 says they apply in order). */
export function parseProppatch(body: string): ProppatchOp[] {
  if (body.trim() === '') throw badRequest('PROPPATCH needs a propertyupdate body');
  const root = rootElement(body, 'propertyupdate');
  const ops: ProppatchOp[] = [];
  for (const instruction of childElements(root)) {
    const set = isDav(instruction, 'set');
    const remove = isDav(instruction, 'remove');
    if (!set && !remove) continue;
    const props = davChildren(instruction, 'prop');
    if (props.length === 0) throw badRequest(`${instruction.localName} must hold a prop element`);
    for (const el of props.flatMap(childElements)) {
      ops.push(set ? { op: 'set', name: nameOf(el), xml: outerXml(el) } : { op: 'remove', name: nameOf(el) });
    }
  }
  if (ops.length === 0) throw badRequest('propertyupdate holds no set or remove of a property');
  return ops;
}

/**
 * Parses a LOCK body. Undefined for an empty body: a refresh (§9.10.2). A missing lockscope or
 * locktype is a 400; a scope or type other than exclusive/shared and write is a 422.
 */
export function parseLockInfo(body: string): LockInfo | undefined {
  if (body.trim() === '') return undefined;
  const root = rootElement(body, 'lockinfo');
  const scopeEl = davChildren(root, 'lockscope')[0];
  const typeEl = davChildren(root, 'locktype')[0];
  if (!scopeEl || !typeEl) throw badRequest('lockinfo must hold lockscope and locktype');
  const exclusive = davChildren(scopeEl, 'exclusive').length > 0;
  const shared = davChildren(scopeEl, 'shared').length > 0;
  if (exclusive === shared) throw new DavError(422, 'lockscope must be exclusive or shared');
  if (davChildren(typeEl, 'write').length === 0) throw new DavError(422, 'only write locks are supported');
  const ownerEl = davChildren(root, 'owner')[0];
  const owner = ownerEl ? innerXml(ownerEl) : '';
  if (Buffer.byteLength(owner) > MAX_OWNER_BYTES) {
    throw badRequest(`lock owner is longer than ${MAX_OWNER_BYTES} bytes`);
  }
  return { scope: exclusive ? 'exclusive' : 'shared', owner };
}

function rootElement(body: string, local: string): Element {
  const root = parseXmlBody(body);
  if (!isDav(root, local)) {
    throw badRequest(`request body must be a DAV: ${local} element`);
  }
  return root;
}

function uniqueNames(elements: Element[]): PropName[] {
  const seen = new Map<string, PropName>();
  for (const el of elements) {
    const name = nameOf(el);
    seen.set(propKey(name), name);
  }
  return [...seen.values()];
}
