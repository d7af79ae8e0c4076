// The folder listing table: sorting, filtering and one row per entry, every name set with
// textContent (never parsed as HTML).

import { encodePath } from './api.js';
import { formatBytes, formatTime } from './format.js';

/** The location.hash that shows folder `prefix` (`/` or `/a/b/`). */
export function hashFor(prefix) {
  return `#${encodePath(prefix)}`;
}

/** The folder a location.hash points at, normalised to `/` or `/a/b/`. */
export function prefixFromHash(hash) {
  let decoded;
  try {
    decoded = hash
      .replace(/^#/, '')
      .split('/')
      .map((s) => decodeURIComponent(s))
      .filter((s) => s !== '' && s !== '.' && s !== '..');
  } catch {
    return '/';
  }
  return decoded.length === 0 ? '/' : `/${decoded.join('/')}/`;
}

const COMPARE = {
  name: (a, b) => a.name.localeCompare(b.name, undefined, { numeric: true, sensitivity: 'base' }),
  size: (a, b) => a.size - b.size,
  created: (a, b) => a.created - b.created,
  health: (a, b) => (a.minReplicas ?? 0) - (b.minReplicas ?? 0),
};

/** Entries whose name contains `filter` (any case), sorted by `key` in `direction` (1 or -1); folders first. */
export function visibleEntries(entries, { key, direction, filter }) {
  const needle = filter.trim().toLocaleLowerCase();
  const compare = COMPARE[key] ?? COMPARE.name;
  return entries
    .filter((e) => !needle || e.name.toLocaleLowerCase().includes(needle))
    .sort((a, b) => {
      if (a.type !== b.type) return a.type === 'dir' ? -1 : 1;
      return direction * compare(a, b) || COMPARE.name(a, b);
    });
}

/** The replica-health badge of a file: `2/2` green, fewer than wanted amber, none red. */
export function healthBadge(entry, replication) {
  const badge = document.createElement('span');
  if (entry.type === 'dir') {
    badge.className = 'muted';
    badge.textContent = '–';
    return badge;
  }
  const live = entry.minReplicas ?? 0;
  const empty = entry.chunkCount === 0;
  const level = empty || live >= replication ? 'ok' : live === 0 ? 'bad' : 'warn';
  badge.className = `badge ${level}`;
  badge.textContent = empty ? 'empty' : `${live}/${replication}`;
  badge.title = empty
    ? 'an empty file has no chunks to replicate'
    : `every chunk has at least ${live} live replica${live === 1 ? '' : 's'} of the ${replication} wanted`;
  return badge;
}

function cell(className, ...children) {
  const td = document.createElement('td');
  if (className) td.className = className;
  td.append(...children);
  return td;
}

/** A button that looks like a link (or as `className` says), with a tooltip. */
export function actionButton(label, title, onClick, className = 'link') {
  const button = document.createElement('button');
  button.type = 'button';
  button.className = className;
  button.textContent = label;
  button.title = title;
  button.addEventListener('click', onClick);
  return button;
}

/** One table row; `actions` has `move(entry)` and `remove(entry)`. */
export function renderRow(entry, replication, actions) {
  const tr = document.createElement('tr');
  tr.className = entry.type;
  tr.dataset.path = entry.path;
  const link = document.createElement('a');
  if (entry.type === 'dir') {
    link.href = hashFor(entry.path);
    link.textContent = `${entry.name}/`;
    link.className = 'folder';
  } else {
    link.href = `/api/download${encodePath(entry.path)}`;
    link.download = entry.name;
    link.textContent = entry.name;
    link.className = 'download';
    link.title = `Download ${entry.name}`;
  }
  const modified = document.createElement('time');
  modified.textContent = formatTime(entry.created);
  if (entry.created) modified.dateTime = new Date(entry.created).toISOString();
  const kind = entry.type === 'dir' ? 'folder' : 'file';
  tr.append(
    cell('name', link),
    cell('num', entry.type === 'dir' ? '–' : formatBytes(entry.size)),
    cell('wide', modified),
    cell('', healthBadge(entry, replication)),
    cell(
      'row-actions',
      actionButton('Move', `Rename or move this ${kind}`, () => actions.move(entry), 'link move'),
      actionButton('Delete', `Delete this ${kind}`, () => actions.remove(entry), 'link danger delete'),
    ),
  );
  return tr;
}

/** Fills the table body with `entries` (already filtered and sorted) and says when there is nothing. */
export function renderRows(tbody, entries, replication, actions, emptyText) {
  if (entries.length === 0) {
    const td = document.createElement('td');
    td.colSpan = 5;
    td.className = 'muted';
    td.textContent = emptyText;
    const tr = document.createElement('tr');
    tr.append(td);
    tbody.replaceChildren(tr);
    return;
  }
  tbody.replaceChildren(...entries.map((e) => renderRow(e, replication, actions)));
}
