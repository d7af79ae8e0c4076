// The web client's file browser: the folder named by location.hash, its listing, and every
// action on it (upload by picker or drop, new folder, move, delete, sort, filter).

import { call, encodePath } from './api.js';
import { ask } from './dialog.js';
import { acceptDrops } from './drop.js';
import { formatBytes } from './format.js';
import { hashFor, prefixFromHash, renderRows, visibleEntries } from './listing.js';
import { needsLogin, setupLogin } from './login.js';
import { clearMessage, showMessage } from './message.js';
import { Uploads } from './uploads.js';

// Other people change the namespace too: re-list the open folder this often.
const RELIST_MS = 10_000;
// What the listing's own messages are labelled: a listing that works again clears them.
const LISTING = 'listing';

const $ = (id) => document.getElementById(id);
const state = {
  prefix: '/',
  entries: [],
  listed: '',
  key: 'name',
  direction: 1,
  filter: '',
  config: { replication: 2, maxFileSize: Number.POSITIVE_INFINITY },
  loads: 0,
  // Listing pages the open folder took at its last load, and whether more were left unread.
  pages: 0,
  truncated: false,
};
const uploads = new Uploads($('transfers'), () => scheduleLoad());
let loadTimer;

function plural(n, word) {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Turns what the user typed into a path: a name without a leading slash is in the open folder. */
function target(typed) {
  return (typed.startsWith('/') ? typed : state.prefix + typed).replace(/\/+$/, '');
}

function renderCrumbs() {
  const parts = state.prefix.split('/').filter(Boolean);
  const crumbs = [['All files', '/'], ...parts.map((p, i) => [p, `/${parts.slice(0, i + 1).join('/')}/`])];
  $('crumbs').replaceChildren(
    ...crumbs.map(([label, prefix], i) => {
      const a = document.createElement('a');
      a.href = hashFor(prefix);
      a.textContent = label;
      if (i === crumbs.length - 1) a.setAttribute('aria-current', 'page');
      return a;
    }),
  );
  document.title = parts.length ? `${parts.at(-1)} · dfs` : 'dfs';
}

// `emptyText`: the folder is not listed (loading, or its listing failed), which says so instead.
function render(emptyText) {
  const shown = visibleEntries(state.entries, state);
  const fallback = state.filter
    ? `No name ${state.truncated ? 'among the entries shown' : 'in this folder'} matches the filter.`
    : 'This folder is empty: drop files here or use Upload files.';
  renderRows($('files').tBodies[0], shown, state.config.replication, { move, remove }, emptyText ?? fallback);
  for (const th of document.querySelectorAll('th[data-sort]')) {
    if (th.dataset.sort !== state.key) th.removeAttribute('aria-sort');
    else th.setAttribute('aria-sort', state.direction === 1 ? 'ascending' : 'descending');
  }
  if (emptyText !== undefined) {
    $('summary').textContent = '';
    return;
  }
  const files = state.entries.filter((e) => e.type === 'file');
  const bytes = files.reduce((n, f) => n + f.size, 0);
  const filtered = shown.length === state.entries.length ? '' : ` · ${shown.length} shown`;
  const partial = state.truncated
    ? ` · only the first ${(MAX_PAGES * PAGE_ROWS).toLocaleString('en')} entries are listed`
    : state.pages > 1
      ? ' · a large folder: listed again after your own changes only'
      : '';
  $('summary').textContent =
    `${plural(state.entries.length - files.length, 'folder')}, ${plural(files.length, 'file')}, ${formatBytes(bytes)}${filtered}${partial}`;
}

// Most listing pages fetched for one folder, of PAGE_ROWS rows each (the web client's page size).
const MAX_PAGES = 50;
const PAGE_ROWS = 1000;

async function load() {
  const ticket = ++state.loads;
  const prefix = prefixFromHash(location.hash);
  if (prefix !== state.prefix || !state.listed) {
    state.prefix = prefix;
    state.entries = [];
    state.listed = '';
    delete $('files').dataset.loaded;
    renderCrumbs();
    render('Loading…');
  }
  try {
    // Page after page (a thousand rows each), up to a bound that keeps the page responsive.
    const entries = [];
    let after = '';
    let pages = 0;
    do {
      const query = `prefix=${encodeURIComponent(prefix)}${after ? `&after=${encodeURIComponent(after)}` : ''}`;
      const listing = await call('GET', `/api/list?${query}`);
      if (ticket !== state.loads) return;
      pages++;
      entries.push(...listing.entries);
      after = listing.next ?? '';
    } while (after && pages < MAX_PAGES);
    // The listing works (again): a message saying it failed is out of date.
    clearMessage(LISTING);
    const text = JSON.stringify(entries);
    const truncated = Boolean(after);
    // Unchanged: leave the rows (and the keyboard focus) alone.
    if (text === state.listed && pages === state.pages && truncated === state.truncated) return;
    Object.assign(state, { listed: text, entries, pages, truncated });
    render();
    $('files').dataset.loaded = prefix;
  } catch (err) {
    if (ticket !== state.loads) return;
    state.entries = [];
    state.listed = '';
    render('Nothing to show.');
    showMessage(
      err.code === 'not_found'
        ? `The folder ${prefix} does not exist (any more).`
        : `Could not list ${prefix}: ${err.message}`,
      'error',
      LISTING,
    );
  }
}

function scheduleLoad() {
  clearTimeout(loadTimer);
  loadTimer = setTimeout(load, 100);
}

async function run(action, success, failure) {
  try {
    await action();
    showMessage(typeof success === 'function' ? success() : success, 'info');
  } catch (err) {
    showMessage(`${failure}: ${err.message}`);
  }
  await load();
}

async function newFolder() {
  const name = await ask({ question: `New folder in ${state.prefix}`, value: '', okLabel: 'Create' });
  if (!name) return;
  await run(
    () => call('POST', '/api/mkdir', { path: target(name) }),
    `Created the folder ${name}.`,
    `Could not create the folder ${name}`,
  );
}

async function move(entry) {
  const from = entry.path.replace(/\/$/, '');
  const start = from.length - entry.name.length;
  const dot = entry.type === 'file' ? entry.name.lastIndexOf('.') : -1;
  const typed = await ask({
    question: `Rename or move “${entry.name}”: type its new name or full path (ending in / to move it into a folder).`,
    value: from,
    okLabel: 'Move',
    select: [start, dot > 0 ? start + dot : from.length],
  });
  if (!typed) return;
  // `sub/` or `/other/`: into that folder, under the same name.
  const to = typed.endsWith('/') ? `${target(typed)}/${entry.name}` : target(typed);
  if (to === from) return;
  await run(
    () => call('POST', '/api/move', { from, to }),
    `Moved ${entry.name} to ${to}.`,
    `Could not move ${entry.name}`,
  );
}

async function remove(entry) {
  const folder = entry.type === 'dir';
  const confirmed = await ask({
    question: folder
      ? `Delete the folder “${entry.name}” and everything in it? This cannot be undone.`
      : `Delete “${entry.name}” (${formatBytes(entry.size)})? This cannot be undone.`,
    okLabel: 'Delete',
    danger: true,
  });
  if (!confirmed) return;
  const path = encodePath(entry.path.replace(/\/$/, ''));
  let gone = false;
  await run(
    () =>
      call('DELETE', `/api/${folder ? 'trees' : 'files'}${path}`).catch((err) => {
        // Someone else deleted it since the listing: what was asked is done.
        if (err.code !== 'not_found') throw err;
        gone = true;
      }),
    () => (gone ? `${entry.name} was already deleted.` : `Deleted ${entry.name}.`),
    `Could not delete ${entry.name}`,
  );
}

async function upload(items) {
  if (items.length === 0) return;
  const existing = new Set(state.entries.filter((e) => e.type === 'file').map((e) => e.name));
  const replacing = items.filter((item) => existing.has(item.relative));
  if (replacing.length > 0) {
    const confirmed = await ask({
      question:
        replacing.length === 1
          ? `“${replacing[0].relative}” already exists here. Replace it?`
          : `${replacing.length} of these files already exist here. Replace them?`,
      okLabel: 'Replace',
      danger: true,
    });
    if (!confirmed) return;
  }
  const prefix = state.prefix;
  uploads.add(
    items.map(({ file, relative }) => ({ file, path: prefix + relative })),
    state.config.maxFileSize,
  );
}

function wireControls() {
  const picker = $('picker');
  picker.addEventListener('change', async () => {
    const files = Array.from(picker.files ?? []);
    picker.value = '';
    await upload(files.map((file) => ({ file, relative: file.name })));
  });
  $('new-folder').addEventListener('click', newFolder);
  $('message-close').addEventListener('click', () => clearMessage());
  $('filter').addEventListener('input', (event) => {
    state.filter = event.target.value;
    render();
  });
  for (const th of document.querySelectorAll('th[data-sort]')) {
    th.querySelector('button').addEventListener('click', () => {
      const key = th.dataset.sort;
      state.direction = key === state.key ? -state.direction : key === 'name' ? 1 : -1;
      state.key = key;
      render();
    });
  }
  addEventListener('hashchange', () => {
    clearMessage();
    $('filter').value = '';
    state.filter = '';
    load();
  });
  addEventListener('beforeunload', (event) => {
    if (uploads.pending > 0) event.preventDefault();
  });
  // A folder of one page only: a big one is re-listed on the user's actions, not every 10 s
  // (up to 50 master round trips a tab).
  setInterval(() => {
    if (!document.hidden && !$('ask').open && state.pages <= 1) load();
  }, RELIST_MS);
}

async function start() {
  wireControls();
  acceptDrops($('drop'), upload, (err) => showMessage(`Could not read the dropped files: ${err.message}`));
  try {
    state.config = await call('GET', '/api/config');
  } catch (err) {
    showMessage(`Could not reach the cluster: ${err.message}`);
  }
  await load();
}

setupLogin();
if (!needsLogin()) start();
