// The XML bodies WebDAV answers with (RFC 4918 §13–14): 207 multistatus, `<D:error>`
// preconditions, lockdiscovery and supportedlock. A multistatus can be written in pieces —
// start, one response per resource, end — so a large listing streams.

import type { DavCondition } from './errors.js';
import { pathToHref } from './href.js';
import { type DavLock, secondsLeft } from './locks.js';
import type { PropName } from './names.js';
import {
  davElement,
  escapeText,
  hrefElement,
  propElement,
  statusLine,
  XML_DECLARATION,
} from './xml-write.js';

/** Turns a DAV path into the href a response names it by. */
export type HrefOf = (path: string) => string;

/** Hrefs without a trailing slash: enough for lock roots and conditions when collection-ness is unknown. */
export const plainHref: HrefOf = (path) => pathToHref(path, false);

/** A property in a propstat: `xml` is its whole element; without it an empty element is written. */
export interface PropResult {
  name: PropName;
  xml?: string;
}

/** Properties that share one status in a response (§14.22). */
export interface Propstat {
  status: number;
  props: readonly PropResult[];
  condition?: DavCondition;
  description?: string;
}

/** One resource in a multistatus: property results (PROPFIND, PROPPATCH) or a bare status (DELETE, COPY). */
export type DavResponse =
  | { href: string; propstats: readonly Propstat[]; description?: string }
  | { href: string; status: number; condition?: DavCondition; description?: string };

/** Opens a multistatus body. */
export function multistatusStart(): string {
  return `${XML_DECLARATION}<D:multistatus xmlns:D="DAV:">\n`;
}

/** Closes a multistatus body. */
export function multistatusEnd(): string {
  return '</D:multistatus>\n';
}

/** One `<D:response>`; `href` is already encoded (see pathToHref). */
export function responseXml(response: DavResponse, hrefOf: HrefOf = plainHref): string {
  const parts = [hrefElement(response.href)];
  if ('propstats' in response) {
    for (const propstat of response.propstats) parts.push(propstatXml(propstat, hrefOf));
  } else {
    parts.push(davElement('status', statusLine(response.status)));
    if (response.condition) parts.push(davElement('error', conditionXml(response.condition, hrefOf)));
  }
  if (response.description) parts.push(davElement('responsedescription', escapeText(response.description)));
  return `${davElement('response', parts.join(''))}\n`;
}

/** A whole 207 body. */
export function multistatusXml(responses: readonly DavResponse[], hrefOf: HrefOf = plainHref): string {
  return multistatusStart() + responses.map((r) => responseXml(r, hrefOf)).join('') + multistatusEnd();
}

/** The body of a failed precondition (§16): `<D:error><D:lock-token-submitted>…`. */
export function errorXml(condition: DavCondition, hrefOf: HrefOf = plainHref): string {
  return `${XML_DECLARATION}<D:error xmlns:D="DAV:">${conditionXml(condition, hrefOf)}</D:error>\n`;
}

/** `<D:activelock>` for one lock (§14.1), its timeout counted from `now`. */
export function activeLockXml(lock: DavLock, now: number, hrefOf: HrefOf = plainHref): string {
  return davElement(
    'activelock',
    [
      davElement('locktype', davElement('write')),
      davElement('lockscope', davElement(lock.scope)),
      davElement('depth', lock.depth === 0 ? '0' : 'infinity'),
      lock.owner === '' ? '' : davElement('owner', lock.owner),
      davElement('timeout', `Second-${secondsLeft(lock, now)}`),
      davElement('locktoken', hrefElement(lock.token)),
      davElement('lockroot', hrefElement(hrefOf(lock.root))),
    ].join(''),
  );
}

/** The DAV:lockdiscovery property element for the locks on a resource (§15.8). */
export function lockDiscoveryXml(locks: readonly DavLock[], now: number, hrefOf: HrefOf = plainHref): string {
  return davElement('lockdiscovery', locks.map((lock) => activeLockXml(lock, now, hrefOf)).join(''));
}

/** The body of a successful LOCK or refresh (§9.10.1): a prop holding lockdiscovery. */
export function lockResponseXml(locks: readonly DavLock[], now: number, hrefOf: HrefOf = plainHref): string {
  return `${XML_DECLARATION}<D:prop xmlns:D="DAV:">${lockDiscoveryXml(locks, now, hrefOf)}</D:prop>\n`;
}

/** The DAV:supportedlock property element (§15.10): exclusive and shared write locks. */
export const SUPPORTED_LOCK_XML = davElement(
  'supportedlock',
  ['exclusive', 'shared']
    .map((scope) =>
      davElement(
        'lockentry',
        davElement('lockscope', davElement(scope)) + davElement('locktype', davElement('write')),
      ),
    )
    .join(''),
);

function propstatXml(propstat: Propstat, hrefOf: HrefOf): string {
  const props = propstat.props.map((prop) => prop.xml ?? propElement(prop.name)).join('');
  return davElement(
    'propstat',
    davElement('prop', props) +
      davElement('status', statusLine(propstat.status)) +
      (propstat.condition ? davElement('error', conditionXml(propstat.condition, hrefOf)) : '') +
      (propstat.description ? davElement('responsedescription', escapeText(propstat.description)) : ''),
  );
}

function conditionXml(condition: DavCondition, hrefOf: HrefOf): string {
  return davElement(
    condition.name,
    (condition.paths ?? []).map((path) => hrefElement(hrefOf(path))).join(''),
  );
}
