// WebDAV over HTTP for tests: requests to /dav/ paths, 207 bodies read back with a namespace-aware
// parser, and the one loud warning a suite gives when a client tool is not installed.

import { execFileSync } from 'node:child_process';
import type http from 'node:http';
import { DOMParser, type Element } from '@xmldom/xmldom';
import { type Reply, send } from './adversary.js';

/** `/dav` + each segment of a dfs path percent-encoded. */
export function davUrl(path: string): string {
  return `/dav${path.split('/').map(encodeURIComponent).join('/')}`;
}

/** Sends a WebDAV request to `target` (a raw request target, sent as is). */
export function dav(
  base: string,
  method: string,
  target: string,
  headers: http.OutgoingHttpHeaders = {},
  body?: string | Buffer,
): Promise<Reply> {
  return send(base, method, target, { headers, ...(body !== undefined && { body }) });
}

/** One `<D:response>` of a 207: its href, status (if bare), and properties by `{ns}local` with their text and status. */
export interface DavAnswer {
  href: string;
  status?: number;
  props: Map<string, { status: number; text: string; element: Element }>;
}

const DAV = 'DAV:';

function children(el: Element, local: string, ns = DAV): Element[] {
  const out: Element[] = [];
  for (const node of Array.from(el.childNodes)) {
    const child = node as Element;
    if (node.nodeType === 1 && child.namespaceURI === ns && child.localName === local) out.push(child);
  }
  return out;
}

const statusOf = (el: Element | undefined) =>
  Number(/HTTP\/1\.1 (\d{3})/.exec(el?.textContent ?? '')?.[1] ?? 0);

/** Parses a multistatus body. */
export function parseMultistatus(xml: string): DavAnswer[] {
  const root = new DOMParser().parseFromString(xml, 'application/xml').documentElement;
  if (!root || root.namespaceURI !== DAV || root.localName !== 'multistatus') {
    throw new Error(`not a multistatus: ${xml.slice(0, 200)}`);
  }
  return children(root, 'response').map((response) => {
    const props = new Map<string, { status: number; text: string; element: Element }>();
    for (const propstat of children(response, 'propstat')) {
      const status = statusOf(children(propstat, 'status')[0]);
      for (const prop of children(propstat, 'prop')) {
        for (const node of Array.from(prop.childNodes)) {
          if (node.nodeType !== 1) continue;
          const el = node as Element;
          props.set(`{${el.namespaceURI ?? ''}}${el.localName}`, {
            status,
            text: el.textContent ?? '',
            element: el,
          });
        }
      }
    }
    const bare = children(response, 'status')[0];
    return {
      href: children(response, 'href')[0]?.textContent ?? '',
      ...(bare && { status: statusOf(bare) }),
      props,
    };
  });
}

/** The text of DAV property `local` of an answer ('' when absent). */
export function davProp(answer: DavAnswer | undefined, local: string): string {
  return answer?.props.get(`{DAV:}${local}`)?.text ?? '';
}

/** A PROPFIND body asking for `props` (DAV: names). */
export function propfindBody(...props: string[]): string {
  return `<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop>${props
    .map((p) => `<D:${p}/>`)
    .join('')}</D:prop></D:propfind>`;
}

/** A LOCK body. */
export function lockBody(scope: 'exclusive' | 'shared' = 'exclusive', owner = 'dfs tests'): string {
  return `<?xml version="1.0" encoding="utf-8"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:${scope}/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner>${owner}</D:owner></D:lockinfo>`;
}

/** The token of a LOCK answer's Lock-Token header. */
export function lockTokenOf(reply: Reply): string {
  const header = reply.headers['lock-token'];
  const token = /^<(.+)>$/.exec(String(header ?? ''))?.[1];
  if (!token) throw new Error(`no Lock-Token in the answer (${reply.status}): ${reply.text.slice(0, 200)}`);
  return token;
}

const warned = new Set<string>();

/**
 * True when `command` is on PATH; otherwise prints one WARNING (once per tool) saying which
 * tests are skipped and how to install what is missing.
 */
export function haveTool(command: string, pkg: string, what: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    if (!warned.has(command)) {
      warned.add(command);
      console.warn(`\n  WARNING: ${command} is not installed: ${what} SKIPPED (apt-get install ${pkg})\n`);
    }
    return false;
  }
}
