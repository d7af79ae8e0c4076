// A storage node's status page.

import {
  type Card,
  card,
  chartsSection,
  escapeHtml as e,
  fillLevel,
  page,
  usedPercent,
} from '../http/html.js';
import { formatAgo, formatBytes, formatDuration } from '../protocol/format.js';
import type { NodeSnapshot } from './state.js';

function scrubText(scrub: NodeSnapshot['scrub']): string {
  if (!scrub) return 'not yet run';
  const finished = scrub.finished ? `finished ${formatAgo(scrub.finished)}` : 'not finished yet';
  return `${scrub.running ? 'running; ' : ''}${finished}, ${scrub.checked} chunks checked, ${scrub.corrupt} corrupt`;
}

// The scrub pass under way, as a bar (the last finished pass is in the table).
function scrubProgress(scrub: NodeSnapshot['scrub']): string {
  if (!scrub?.running) return '';
  const total = Math.max(scrub.total ?? scrub.checked, scrub.checked);
  const pct = total ? Math.floor((scrub.checked / total) * 100) : 100;
  return `<h2>Scrubbing · ${pct}%</h2>
<progress class="meter" id="scrub-progress" max="${total || 1}" value="${total ? scrub.checked : 1}" aria-label="scrub ${pct}% done"></progress>
<p class="muted small" id="scrub-state">${scrub.checked} of ${total} chunks checked in this pass, ${scrub.corrupt} corrupt</p>`;
}

/** Renders the node's page from a snapshot. */
export function renderNodePage(s: NodeSnapshot): string {
  const usedPct = usedPercent(s.capacity, s.free);
  const cards: Card[] = [
    ['Chunks', String(s.chunks)],
    ['Chunk bytes', formatBytes(s.used)],
    ['Disk free', formatBytes(s.free), fillLevel(usedPct)],
    ['Requests served', String(s.requests)],
  ];
  const rows: [string, string][] = [
    ['Node id', `<code>${e(s.id)}</code>`],
    ['Address', e(s.url)],
    [
      s.masters.length === 1 ? 'Master' : 'Masters',
      s.masters
        .map(
          (m) =>
            `<a href="${e(m.url)}/">${e(m.url)}</a>${m.registered ? '' : ' <span class="badge warn">not registered</span>'}${m.problem ? `<div class="muted small">${e(m.problem)}</div>` : ''}`,
        )
        .join('<br>'),
    ],
    [
      'Registered',
      e(
        !s.registered
          ? 'not yet'
          : s.connected
            ? `yes, last contact ${formatAgo(s.lastContact)}`
            : `yes, but no master has answered since ${formatAgo(s.lastContact)}`,
      ),
    ],
    [
      'Disk',
      e(
        `${formatBytes(s.capacity - s.free)} used of ${formatBytes(s.capacity)} (${usedPct}%), ${formatBytes(s.free)} free`,
      ),
    ],
    ['Bytes in / out', e(`${formatBytes(s.bytesIn)} / ${formatBytes(s.bytesOut)}`)],
    ...(s.writeError
      ? [['Cannot write', `<span class="badge bad">${e(s.writeError)}</span>`] as [string, string]]
      : []),
    ['Up for', e(formatDuration(Date.now() - s.startedAt))],
    [
      'Last scrub',
      `${e(scrubText(s.scrub))}${s.scrub?.corrupt ? ' <span class="badge bad">corruption found</span>' : ''}`,
    ],
  ];
  const state = !s.registered
    ? ['warn', 'not registered']
    : s.connected
      ? ['alive', 'registered']
      : ['warn', 'master unreachable'];
  const body = `<header class="bar" id="bar" data-live><h1>dfs node</h1>
<span class="badge ${state[0]}" id="registration">${state[1]}</span><span class="spacer"></span>
<span class="muted small">${e(s.url)}</span></header>
<main class="narrow"><div id="node" data-live>
<section class="cards">${cards.map(card).join('')}</section>
<h2>Disk · ${usedPct}% used</h2>
<progress class="meter ${fillLevel(usedPct)}" max="100" value="${usedPct}" aria-label="disk ${usedPct}% used"></progress>
${scrubProgress(s.scrub)}
<div class="scroll"><table class="kv" id="node-status">${rows.map(([k, v]) => `<tr><th>${e(k)}</th><td>${v}</td></tr>`).join('')}</table></div>
</div>
${chartsSection('/series')}
</main>`;
  return page({ title: `dfs node ${s.id}`, body, script: 'node-page.js' });
}
