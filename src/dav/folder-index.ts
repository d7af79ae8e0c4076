// GET of a /dav/ folder: a plain HTML list of its members for a browser, streamed a listing page
// at a time (no script, names escaped; the pages' Content-Security-Policy applies).

import { Readable } from 'node:stream';
import { escapeHtml } from '../http/html.js';
import { formatBytes } from '../protocol/format.js';
import { pathToHref } from './href.js';
import { ROOT_PATH } from './paths.js';
import type { DavRequest } from './request.js';

/** Answers a folder's index page (headers only for HEAD). */
export async function sendFolderIndex(req: DavRequest): Promise<void> {
  const { ctx, path } = req;
  const folder = path === ROOT_PATH ? '/' : `${path}/`;
  // The first page is fetched before answering, so a failure is still a proper error status.
  const first = await req.sdk.list(folder, { delimiter: true, limit: req.deps.listPage, signal: req.signal });
  ctx.status = 200;
  ctx.type = 'text/html; charset=utf-8';
  ctx.set('Cache-Control', 'no-cache');
  if (ctx.method === 'HEAD') return;
  const { sdk, signal } = req;
  async function* html(): AsyncGenerator<string> {
    yield `<!doctype html>\n<meta charset="utf-8">\n<title>${escapeHtml(folder)}</title>\n`;
    yield `<h1>Index of ${escapeHtml(folder)}</h1>\n<ul>\n`;
    if (path !== ROOT_PATH) yield '<li><a href="../">../</a></li>\n';
    let page = first;
    for (;;) {
      for (const entry of page.entries) {
        const dir = entry.type === 'dir';
        const href = pathToHref(dir ? entry.path.slice(0, -1) : entry.path, dir);
        const size = dir ? '' : ` (${formatBytes(entry.size)})`;
        yield `<li><a href="${escapeHtml(href)}">${escapeHtml(entry.name)}${dir ? '/' : ''}</a>${size}</li>\n`;
      }
      if (!page.next) break;
      page = await sdk.list(folder, { delimiter: true, limit: req.deps.listPage, after: page.next, signal });
    }
    yield '</ul>\n';
  }
  ctx.body = Readable.from(html());
}
