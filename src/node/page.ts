// A storage node's status page.

import { escapeHtml, page } from '../http/html.js';
import { formatAgo, formatBytes, formatDuration } from '../protocol/format.js';
import type { NodeSnapshot } from './state.js';

/** Renders the node's page from a snapshot. */
export function renderNodePage(s: NodeSnapshot): string {
  const usedPct = s.capacity ? Math.round(((s.capacity - s.free) / s.capacity) * 100) : 0;
  const rows: [string, string][] = [
    ['Node id', s.id],
    ['Address', s.url],
    ['Master', s.master],
    ['Registered', s.registered ? `yes, last contact ${formatAgo(s.lastContact)}` : 'not yet'],
    ['Chunks', String(s.chunks)],
    ['Chunk bytes', formatBytes(s.used)],
    [
      'Disk',
      `${formatBytes(s.capacity - s.free)} used of ${formatBytes(s.capacity)} (${usedPct}%), ${formatBytes(s.free)} free`,
    ],
    ['Requests served', String(s.requests)],
    ['Bytes in / out', `${formatBytes(s.bytesIn)} / ${formatBytes(s.bytesOut)}`],
    ['Up for', formatDuration(Date.now() - s.startedAt)],
    [
      'Last scrub',
      s.scrub
        ? `${s.scrub.running ? 'running; ' : ''}${s.scrub.finished ? `finished ${formatAgo(s.scrub.finished)}` : 'not finished yet'}, ${s.scrub.checked} chunks checked, ${s.scrub.corrupt} corrupt`
        : 'not yet run',
    ],
  ];
  const body = `<header class="bar"><h1>dfs node</h1><span class="muted">${escapeHtml(s.url)}</span></header>
<main class="narrow">
<progress class="meter" max="100" value="${usedPct}" aria-label="disk ${usedPct}% used"></progress>
<table class="kv" id="node-status">${rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('')}</table>
</main>`;
  return page({ title: `dfs node ${s.id}`, body, script: 'refresh.js' });
}
