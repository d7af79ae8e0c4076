// GET of a /dav/ folder: an HTML table of its members for a browser, in the pages' frame and
// stylesheet, streamed a listing page at a time (no script, names escaped; the pages'
// Content-Security-Policy applies).

import { Readable } from 'node:stream';
import { escapeHtml, pageHead } from '../http/html.js';
import { formatBytes, formatTime } from '../protocol/format.js';
import { pathToHref } from './href.js';
import { parentPath, ROOT_PATH } from './paths.js';
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
    yield `${pageHead(`${folder} · dfs WebDAV`)}
<header class="bar"><h1><a href="/">dfs</a></h1><span class="muted">WebDAV</span></header>
<main>
<h2>Index of ${escapeHtml(folder)}</h2>
<div class="scroll"><table class="index"><thead><tr><th>Name</th><th class="num">Size</th><th>Modified (UTC)</th></tr></thead><tbody>
`;
    // The parent's own href, not `../`: from a folder's URL without its slash that would climb two.
    const parent = parentPath(path);
    if (parent !== undefined)
      yield `<tr><td><a href="${escapeHtml(pathToHref(parent, true))}">../</a></td><td></td><td></td></tr>\n`;
    let page = first;
    let shown = 0;
    for (;;) {
      for (const entry of page.entries) {
        const dir = entry.type === 'dir';
        const href = pathToHref(dir ? entry.path.slice(0, -1) : entry.path, dir);
        const size = dir ? '' : escapeHtml(formatBytes(entry.size));
        const modified = entry.created ? escapeHtml(formatTime(entry.created)) : '';
        yield `<tr><td><a href="${escapeHtml(href)}">${escapeHtml(entry.name)}${dir ? '/' : ''}</a></td><td class="num">${size}</td><td>${modified}</td></tr>\n`;
        shown++;
      }
      if (!page.next) break;
      page = await sdk.list(folder, { delimiter: true, limit: req.deps.listPage, after: page.next, signal });
    }
    if (shown === 0) yield '<tr><td colspan="3" class="muted">This folder is empty.</td></tr>\n';
    yield '</tbody></table></div>\n</main>\n</body>\n</html>\n';
  }
  ctx.body = Readable.from(html());
}
