// The web client's page: the file browser (the script in assets/browser.js does the work).

import { page } from '../http/html.js';

/** The file-browser page shell; the listing is fetched by the script. */
export function renderBrowserPage(options: { needsLogin: boolean }): string {
  const body = `<header class="bar"><h1>dfs</h1><nav id="crumbs" class="crumbs" aria-label="folders"></nav></header>
<main>
<section id="login" class="card" ${options.needsLogin ? '' : 'hidden'}>
<form id="login-form"><label>Access token <input type="password" name="token" autocomplete="current-password" required></label>
<button type="submit">Sign in</button></form></section>
<section id="app" ${options.needsLogin ? 'hidden' : ''}>
<div class="toolbar">
<label class="button primary">Upload files<input id="picker" type="file" multiple hidden></label>
<button id="new-folder" type="button">New folder</button>
<input id="filter" type="search" placeholder="Filter by name" aria-label="Filter by name">
</div>
<div id="drop" class="drop">Drop files here to upload them into this folder</div>
<div id="message" role="alert" class="message" hidden></div>
<ul id="transfers" class="transfers"></ul>
<div class="scroll"><table id="files"><thead><tr>
<th data-sort="name" class="sortable">Name</th><th data-sort="size" class="sortable num">Size</th>
<th data-sort="created" class="sortable">Modified</th><th>Replicas</th><th></th></tr></thead><tbody></tbody></table></div>
</section>
</main>`;
  return page({ title: 'dfs', body, script: 'browser.js' });
}
