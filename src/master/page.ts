// The master's pages: the cluster dashboard and a file's chunk map.

import type { MasterConfig } from '../config.js';
import { escapeHtml as e, page } from '../http/html.js';
import { formatAgo, formatBytes, formatTime } from '../protocol/format.js';
import type { ClusterStatus, FileInfo, NodeInfo } from '../protocol/types.js';

/** The cluster dashboard: nodes, totals, replication health, recent events. */
export function renderDashboard(
  status: ClusterStatus,
  nodes: NodeInfo[],
  config: Readonly<MasterConfig>,
): string {
  const healthy =
    status.underReplicated === 0 && status.missing === 0 && status.corrupt === 0 && status.nodes.dead === 0;
  const nodeRows = nodes
    .map((n) => {
      const usedPct = n.capacity ? Math.round(((n.capacity - n.free) / n.capacity) * 100) : 0;
      return `<tr class="node ${n.state}" data-node="${e(n.id)}">
<td><a href="${e(n.url)}/">${e(n.url)}</a><div class="muted small">${e(n.id)}</div></td>
<td><span class="badge ${n.state}">${n.state}</span></td>
<td>${e(formatAgo(n.lastHeartbeat))}</td>
<td><progress max="100" value="${usedPct}"></progress> <span class="small">${usedPct}% of ${e(formatBytes(n.capacity))}</span></td>
<td class="num">${e(formatBytes(n.used))}</td>
<td class="num">${n.chunks}</td></tr>`;
    })
    .join('');
  const cards: [string, string, string?][] = [
    ['Nodes', `${status.nodes.alive} alive / ${status.nodes.dead} dead`, status.nodes.dead ? 'warn' : ''],
    ['Files', String(status.files)],
    ['Logical bytes', formatBytes(status.logicalBytes)],
    ['Stored bytes', formatBytes(status.storedBytes)],
    ['Under-replicated', String(status.underReplicated), status.underReplicated ? 'warn' : ''],
    ['Missing', String(status.missing), status.missing ? 'bad' : ''],
    ['Corrupt', String(status.corrupt), status.corrupt ? 'bad' : ''],
    ['Repairs running', String(status.repairsInProgress)],
  ];
  const body = `<header class="bar"><h1>dfs master</h1>
<span class="badge ${healthy ? 'alive' : 'dead'}" id="health">${healthy ? 'healthy' : 'degraded'}</span>
<span class="muted">replication ${config.replication} · chunk ${e(formatBytes(config.chunkSize))}</span></header>
<main>
<section class="cards" id="totals">${cards.map(([k, v, c]) => `<div class="card ${c ?? ''}"><div class="muted small">${e(k)}</div><div class="big">${e(v)}</div></div>`).join('')}</section>
<h2>Storage nodes</h2>
<div class="scroll"><table id="nodes"><thead><tr><th>Node</th><th>State</th><th>Last heartbeat</th><th>Disk</th><th>Chunk bytes</th><th>Chunks</th></tr></thead>
<tbody>${nodeRows || '<tr><td colspan="6" class="muted">No node has registered yet.</td></tr>'}</tbody></table></div>
<h2>Recent events</h2>
<ul id="events" class="events">${status.events.map((ev) => `<li><time>${e(formatTime(ev.time))}</time> ${e(ev.message)}</li>`).join('') || '<li class="muted">Nothing yet.</li>'}</ul>
</main>`;
  return page({ title: 'dfs master', body, script: 'refresh.js' });
}

/** A file's chunk map: every chunk and which node holds each replica. */
export function renderFilePage(file: FileInfo): string {
  const rows = file.chunks
    .map(
      (
        c,
        i,
      ) => `<tr><td class="num">${i}</td><td><code>${e(c.id.slice(0, 16))}…</code></td><td class="num">${e(formatBytes(c.offset))}</td><td class="num">${e(formatBytes(c.size))}</td>
<td>${c.replicas.map((r) => `<span class="badge ${r.alive ? 'alive' : 'dead'}">${e(r.url)}</span>`).join(' ') || '<span class="badge dead">no replica</span>'}</td></tr>`,
    )
    .join('');
  const body = `<header class="bar"><h1><a href="/">dfs master</a> / ${e(file.path)}</h1></header>
<main>
<table class="kv"><tr><th>Size</th><td>${e(formatBytes(file.size))} (${file.size} bytes)</td></tr>
<tr><th>SHA-256</th><td><code>${e(file.sha256)}</code></td></tr>
<tr><th>Created</th><td>${e(formatTime(file.created))}</td></tr>
<tr><th>Replicas</th><td>${file.minReplicas} of ${file.replication} on every chunk</td></tr></table>
<h2>Chunk map</h2>
<div class="scroll"><table id="chunks"><thead><tr><th>#</th><th>Chunk</th><th>Offset</th><th>Size</th><th>Replicas</th></tr></thead><tbody>${rows || '<tr><td colspan="5" class="muted">Empty file: no chunks.</td></tr>'}</tbody></table></div>
</main>`;
  return page({ title: `dfs: ${file.path}`, body });
}
