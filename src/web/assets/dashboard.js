// The master dashboard's file finder: lists the files matching a folder or name, each linking
// to its chunk map at /files/<path>; the rest of the page refreshes itself.

import './refresh.js';
import './charts.js';
import { encodePath } from './api.js';
import { formatBytes } from './format.js';

// Files fetched per page, pages read at most per search (50,000 files), and matches shown.
const FETCH_LIMIT = 1000;
const MAX_PAGES = 50;
const SHOW = 20;

const form = document.getElementById('file-search');
const input = document.getElementById('file-query');
const results = document.getElementById('file-results');
const note = document.getElementById('file-note');
let searches = 0;
let matches = [];
let timer;

/** `/docs/rep` → folder `/docs/`, name part `rep`. */
function split(query) {
  const q = query.trim();
  const slash = q.lastIndexOf('/');
  const folder = slash === -1 ? '/' : `/${q.slice(0, slash + 1).replace(/^\/+/, '')}`;
  return { folder, needle: q.slice(slash + 1).toLocaleLowerCase() };
}

function show(files, total, more) {
  results.replaceChildren(
    ...files.slice(0, SHOW).map((file) => {
      const li = document.createElement('li');
      const a = document.createElement('a');
      a.href = `/files${encodePath(file.path)}`;
      a.textContent = file.path;
      const size = document.createElement('span');
      size.className = 'muted small';
      const chunks = file.chunkCount ?? 0;
      size.textContent = ` · ${formatBytes(file.size)} · ${chunks} chunk${chunks === 1 ? '' : 's'}`;
      li.append(a, size);
      return li;
    }),
  );
  const shown = Math.min(files.length, SHOW);
  note.textContent =
    total === 0
      ? 'No files yet.'
      : `${files.length === 0 ? 'No file matches' : `${shown} of ${files.length} matching files shown`}${more ? ` (searched the first ${total} files of the folder; type more of the name to narrow it)` : ''}.`;
}

async function search() {
  const ticket = ++searches;
  const { folder, needle } = split(input.value);
  const found = [];
  let total = 0;
  let after = '';
  try {
    // Page after page until enough files match, or the page budget is spent.
    for (let page = 0; page < MAX_PAGES && found.length < SHOW; page++) {
      const query = `prefix=${encodeURIComponent(folder)}&limit=${FETCH_LIMIT}${after ? `&after=${encodeURIComponent(after)}` : ''}`;
      const response = await fetch(`/api/files?${query}`, { cache: 'no-store' });
      const body = await response.json();
      if (ticket !== searches) return;
      if (!response.ok) {
        matches = [];
        results.replaceChildren();
        note.textContent = body?.error?.message ?? `HTTP ${response.status}`;
        return;
      }
      total += body.entries.length;
      found.push(
        ...body.entries.filter((f) => f.path.slice(folder.length).toLocaleLowerCase().includes(needle)),
      );
      after = body.next ?? '';
      if (!after) break;
    }
    matches = found;
    show(matches, total, Boolean(after));
  } catch {
    if (ticket === searches) note.textContent = 'The master did not answer.';
  }
}

if (form && !form.hasAttribute('data-locked')) {
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(search, 200);
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    await search();
    const wanted = input.value.trim().replace(/^\/*/, '/');
    const exact = matches.find((f) => f.path === wanted) ?? (matches.length === 1 ? matches[0] : undefined);
    if (exact) location.href = `/files${encodePath(exact.path)}`;
  });
  // Search again when the number of files changes (the live totals carry it).
  let files = document.getElementById('totals')?.dataset.files;
  document.addEventListener('dfs:refreshed', () => {
    const now = document.getElementById('totals')?.dataset.files;
    if (now !== files) {
      files = now;
      search();
    }
  });
  search();
}

// Signing out ends the session (the header is refreshed in place: the click is caught here).
document.addEventListener('click', async (event) => {
  if (event.target?.id !== 'dash-sign-out') return;
  await fetch('/session', { method: 'DELETE', headers: { 'x-dfs-csrf': '1' } }).catch(() => undefined);
  location.reload();
});

// With an access token the finder is locked until the token is given once (a session cookie).
const login = document.getElementById('dash-login');
login?.addEventListener('submit', async (event) => {
  event.preventDefault();
  const token = document.getElementById('dash-token')?.value ?? '';
  const response = await fetch('/session', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-dfs-csrf': '1' },
    body: JSON.stringify({ token }),
  }).catch(() => undefined);
  if (response?.ok) location.reload();
  else if (note) note.textContent = response ? 'Wrong access token.' : 'The master did not answer.';
});
