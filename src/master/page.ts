// The master's pages: the cluster dashboard and a file's chunk map.

import type { MasterConfig } from '../config.js';
import {
  type Card,
  card,
  chartsSection,
  escapeHtml as e,
  fillLevel,
  page,
  usedPercent,
} from '../http/html.js';
import { formatAgo, formatBytes, formatTime, healthOf } from '../protocol/format.js';
import type { ClusterEvent, ClusterStatus, FileInfo, NodeInfo } from '../protocol/types.js';

// Badge colour of each event kind; unknown kinds get a neutral badge.
const EVENT_BADGE: Record<string, string> = {
  'node-joined': 'alive',
  'node-back': 'alive',
  'node-lost': 'dead',
  'chunk-repaired': 'ok',
  'chunk-corrupt': 'bad',
  'replicas-lost': 'bad',
  'replicas-trimmed': 'ok',
  leader: 'ok',
  standby: 'warn',
  'chunk-vanished': 'bad',
  'node-removed': 'warn',
  'node-cannot-write': 'bad',
};

function nodeRow(n: NodeInfo): string {
  const usedPct = usedPercent(n.capacity, n.free);
  const scrub = n.scrub
    ? `${formatAgo(n.scrub.finished)}, ${n.scrub.checked} checked${n.scrub.corrupt ? `, <span class="badge bad">${n.scrub.corrupt} corrupt</span>` : ''}`
    : '<span class="muted">not yet</span>';
  return `<tr class="node ${n.state}" data-node="${e(n.id)}">
<td><a href="${e(n.url)}/">${e(n.url)}</a><div class="muted small" title="${e(n.id)}">${e(n.id.slice(0, 8))}</div></td>
<td><span class="badge ${n.state}">${n.state}</span></td>
<td class="num">${e(formatAgo(n.lastHeartbeat))}</td>
<td><progress class="${fillLevel(usedPct)}" max="100" value="${usedPct}" aria-label="disk ${usedPct}% used"></progress>
<div class="small muted">${usedPct}% of ${e(formatBytes(n.capacity))} used</div></td>
<td class="num wide">${e(formatBytes(n.used))}</td>
<td class="num">${n.chunks}</td>
<td class="small wide">${scrub}</td></tr>`;
}

// Several masters share the metadata store: which one leads, and where each is.
function mastersSection(status: ClusterStatus): string {
  const rows = status.masters
    .map(
      (m) =>
        `<tr><td><a href="${e(m.url)}/">${e(m.url)}</a></td><td>${m.leader ? '<span class="badge ok">leader</span>' : '<span class="badge">standby</span>'}${m.silent ? ' <span class="badge warn">not answering</span>' : ''}</td></tr>`,
    )
    .join('');
  return `<h2>Masters</h2><div class="scroll" data-live id="masters-table"><table id="masters"><thead><tr><th>Master</th><th>Role</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}

function eventItem(ev: ClusterEvent): string {
  return `<li><time>${e(formatTime(ev.time))}</time> <span class="badge ${EVENT_BADGE[ev.kind] ?? ''}">${e(ev.kind)}</span> ${e(ev.message)}</li>`;
}

const HEALTH_BADGE = { healthy: 'alive', degraded: 'warn', lost: 'bad' } as const;

/** The cluster dashboard: nodes, totals, replication health, files, recent events. */
export function renderDashboard(
  status: ClusterStatus,
  nodes: NodeInfo[],
  config: Readonly<MasterConfig>,
  signedIn: boolean,
): string {
  const health = healthOf(status);
  const totals: Card[] = [
    [
      'Nodes alive',
      `${status.nodes.alive} of ${status.nodes.alive + status.nodes.dead}`,
      status.nodes.dead ? 'warn' : '',
    ],
    ['Files', String(status.files)],
    ['Logical bytes', formatBytes(status.logicalBytes)],
    ['Stored bytes', formatBytes(status.storedBytes)],
    ['Chunks', String(status.chunks)],
  ];
  const replication: Card[] = [
    ['Under-replicated', String(status.underReplicated), status.underReplicated ? 'warn' : ''],
    ['Missing', String(status.missing), status.missing ? 'bad' : ''],
    ['Corrupt', String(status.corrupt), status.corrupt ? 'bad' : ''],
    ['Repairs running', String(status.repairsInProgress)],
  ];
  // With an access token, the file finder needs a session: the page offers a sign-in form.
  const locked = Boolean(config.token) && !signedIn;
  const body = `<header class="bar" id="bar" data-live><h1><a href="/">dfs master</a></h1>
<span class="badge ${HEALTH_BADGE[health]}" id="health">${health}</span>
<span class="badge ${status.role === 'leader' ? 'ok' : ''}" id="role" title="epoch ${status.epoch}">${status.role}</span>
${status.metadataAnswering === false ? '<span class="badge bad" id="metadata-down" title="files and bytes as last read">metadata store not answering</span>' : ''}
${status.safeMode.on ? `<span class="badge warn" id="safe-mode" title="no repair or collection until every node has reported">safe mode: ${status.safeMode.waitingFor} node(s) to report</span>` : ''}
<span class="spacer"></span>
<span class="muted small">replication ${config.replication} · chunks of ${e(formatBytes(config.chunkSize))}</span>
${config.token && signedIn ? '<button id="dash-sign-out" type="button">Sign out</button>' : ''}</header>
<main>
<section id="totals" data-live data-files="${status.files}"><div class="cards">${totals.map(card).join('')}</div>
<div class="cards" aria-label="replication health">${replication.map(card).join('')}</div></section>
<h2>Storage nodes</h2>
<div class="scroll" id="nodes-table" data-live><table id="nodes"><thead><tr><th>Node</th><th>State</th><th class="num">Last heartbeat</th><th>Disk</th><th class="num wide">Chunk bytes</th><th class="num">Chunks</th><th class="wide">Last scrub</th></tr></thead>
<tbody>${nodes.map(nodeRow).join('') || '<tr><td colspan="7" class="muted">No node has registered yet.</td></tr>'}</tbody></table></div>
${status.masters.length > 1 ? mastersSection(status) : ''}
${chartsSection('/api/series')}
<div class="columns">
<section><h2>Files</h2><div class="card">
<form id="file-search" class="search" role="search" ${locked ? 'data-locked' : ''}>
<input id="file-query" type="search" placeholder="Folder or name: /photos/ or report" aria-label="Find a file" ${locked ? 'disabled' : ''}>
<button type="submit" ${locked ? 'disabled' : ''}>Open</button></form>
<ul id="file-results" class="results"></ul>
<p id="file-note" class="muted small">${locked ? 'The file list needs the access token: this master’s API is protected.' : 'Loading…'}</p>
${locked ? '<form id="dash-login" class="search"><input id="dash-token" type="password" placeholder="Access token" aria-label="Access token" autocomplete="current-password" required><button type="submit">Sign in</button></form>' : ''}
</div></section>
<section><h2>Recent events</h2><div class="card flush">
<ul id="events" class="events" data-live>${status.events.map(eventItem).join('') || '<li class="muted">Nothing yet.</li>'}</ul>
</div></section>
</div>
</main>`;
  return page({ title: 'dfs master', body, script: 'dashboard.js' });
}

/** A file's chunk map: every chunk and which node holds each replica. */
export function renderFilePage(file: FileInfo): string {
  const rows = file.chunks
    .map((c, i) => {
      const replicas =
        c.replicas
          .map((r) => `<a class="badge ${r.alive ? 'alive' : 'dead'}" href="${e(r.url)}/">${e(r.url)}</a>`)
          .join(' ') || '<span class="badge dead">no replica</span>';
      return `<tr><td class="num">${i}</td><td><code title="${e(c.id)}">${e(c.id.slice(0, 16))}…</code></td>
<td class="num wide">${e(formatBytes(c.offset))}</td><td class="num">${e(formatBytes(c.size))}</td><td>${replicas}</td></tr>`;
    })
    .join('');
  const health =
    file.chunks.length === 0 || file.minReplicas >= file.replication
      ? 'ok'
      : file.minReplicas
        ? 'warn'
        : 'bad';
  const body = `<header class="bar"><h1><a href="/">dfs master</a></h1><span class="muted">/</span>
<span class="muted">${e(file.path)}</span></header>
<main id="file" data-live>
<h2>${e(file.path)}</h2>
<div class="scroll"><table class="kv"><tr><th>Size</th><td>${e(formatBytes(file.size))} (${file.size} bytes)</td></tr>
<tr><th>SHA-256</th><td><code>${e(file.sha256)}</code></td></tr>
<tr><th>Written</th><td>${e(formatTime(file.created))} UTC</td></tr>
<tr><th>Replicas</th><td><span class="badge ${health}">${file.minReplicas}/${file.replication}</span> live replicas on every chunk</td></tr></table></div>
<h2>Chunk map · ${file.chunks.length} chunk${file.chunks.length === 1 ? '' : 's'}</h2>
<div class="scroll"><table id="chunks"><thead><tr><th class="num">#</th><th>Chunk</th><th class="num wide">Offset</th><th class="num">Size</th><th>Replicas</th></tr></thead><tbody>${rows || '<tr><td colspan="5" class="muted">Empty file: no chunks.</td></tr>'}</tbody></table></div>
</main>`;
  return page({ title: `dfs: ${file.path}`, body, script: 'refresh.js' });
}
