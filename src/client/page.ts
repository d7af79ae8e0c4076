// The web client's page: the file browser shell (the modules in web/assets do the work).

import { page } from '../http/html.js';

/** What the server knows when it renders the page. */
export interface BrowserPageOptions {
  /** A token is configured and this browser has no session: show the sign-in form. */
  needsLogin: boolean;
  /** A token is configured and this browser is signed in: offer to sign out. */
  signedIn?: boolean;
}

/** The file-browser page shell; the listing is fetched by the script. */
export function renderBrowserPage(options: BrowserPageOptions): string {
  const { needsLogin, signedIn = false } = options;
  const body = `<header class="bar"><h1><a href="#/">dfs</a></h1>
<nav id="crumbs" class="crumbs" aria-label="Folders"></nav><span class="spacer"></span>
<button id="sign-out" type="button" ${signedIn ? '' : 'hidden'}>Sign out</button></header>
<main>
<section id="login" class="card login" ${needsLogin ? '' : 'hidden'}>
<h2>Sign in</h2>
<p class="muted">This cluster is protected by an access token.</p>
<form id="login-form"><input type="text" name="username" autocomplete="username" value="dfs" hidden>
<label for="token">Access token</label>
<input id="token" type="password" name="token" autocomplete="current-password" required>
<div class="actions"><button type="submit" class="primary">Sign in</button></div></form>
<p id="login-error" class="message" role="alert" hidden></p>
</section>
<section id="app" ${needsLogin ? 'hidden' : ''}>
<div class="toolbar">
<label class="button primary">Upload files<input id="picker" class="visually-hidden" type="file" multiple></label>
<button id="new-folder" type="button">New folder</button>
<input id="filter" type="search" placeholder="Filter by name" aria-label="Filter by name">
</div>
<div id="message" class="message" role="alert" hidden><span id="message-text"></span><button id="message-close" type="button" class="link">Dismiss</button></div>
<ul id="transfers" class="transfers" aria-label="Uploads"></ul>
<div id="drop" class="drop">Drop files anywhere on this page to upload them into this folder</div>
<div class="scroll"><table id="files"><thead><tr>
<th data-sort="name" aria-sort="ascending"><button type="button">Name</button></th>
<th data-sort="size" class="num"><button type="button">Size</button></th>
<th data-sort="created" class="wide"><button type="button">Modified</button></th>
<th data-sort="health"><button type="button">Replicas</button></th>
<th><span class="visually-hidden">Actions</span></th></tr></thead><tbody></tbody></table></div>
<p id="summary" class="muted small" aria-live="polite"></p>
</section>
<dialog id="ask"><form method="dialog">
<p id="ask-text"></p>
<input id="ask-input" type="text" aria-label="Name" autocomplete="off" hidden>
<div class="actions"><button id="ask-cancel" type="button">Cancel</button>
<button id="ask-ok" value="ok" type="submit" class="primary">OK</button></div>
</form></dialog>
</main>`;
  return page({ title: 'dfs', body, script: 'browser.js' });
}
