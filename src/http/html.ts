// Escaping and the common frame of every daemon's web page.

import { STATUS_CODES } from 'node:http';

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A page's start, up to and with `<body>`: for pages written whole, and for those streamed. */
export function pageHead(title: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="/assets/style.css">
<link rel="icon" href="data:,">
</head>
<body>`;
}

/** A page shell: no inline script (CSP), shared stylesheet, one module script. */
export function page(options: { title: string; body: string; script?: string; data?: unknown }): string {
  const data =
    options.data === undefined
      ? ''
      : `<script type="application/json" id="page-data">${JSON.stringify(options.data).replace(/</g, '\\u003c')}</script>`;
  return `${pageHead(options.title)}
${options.body}
${data}
${options.script ? `<script type="module" src="/assets/${escapeHtml(options.script)}"></script>` : ''}
</body>
</html>
`;
}

/**
 * The page a browser gets for a failed page request (a person reads it, not a program): the
 * status, the reason in words, and the way back. A page behind the access token says where to
 * sign in, not how a command-line client passes one.
 */
export function errorPage(status: number, message: string): string {
  const reason =
    status === 401 ? 'This page needs the cluster’s access token: sign in on the start page first.' : message;
  return page({
    title: `${status} ${STATUS_CODES[status] ?? 'Error'} · dfs`,
    body: `<header class="bar"><h1><a href="/">dfs</a></h1></header>
<main>
<h2>${escapeHtml(`${status} ${STATUS_CODES[status] ?? 'Error'}`)}</h2>
<p>${escapeHtml(reason)}</p>
<p><a href="/">Go to the start page</a></p>
</main>`,
  });
}

/**
 * The charts of a page (drawn by charts.js from the JSON at `src`). Never inside a `data-live`
 * region: the refresh would replace the drawn charts with this empty frame.
 */
export function chartsSection(src: string): string {
  return `<section class="charts" data-charts="${escapeHtml(src)}"><h2>Last hour</h2>
<p class="muted small chart-note">Loading the charts…</p><div class="chart-grid" hidden></div></section>`;
}

/** A number card: label, value, and an optional `warn` or `bad` level. */
export type Card = [label: string, value: string, level?: string];

/** Renders a number card (label and value escaped). */
export function card([label, value, level]: Card): string {
  return `<div class="card ${level ?? ''}"><div class="muted small">${escapeHtml(label)}</div><div class="big">${escapeHtml(value)}</div></div>`;
}

/** How full a disk is, in whole percent. */
export function usedPercent(capacity: number, free: number): number {
  return capacity ? Math.round(((capacity - free) / capacity) * 100) : 0;
}

/** The level (a card's or a disk bar's class) that turns it amber, then red, as a disk fills. */
export function fillLevel(pct: number): '' | 'warn' | 'bad' {
  return pct >= 95 ? 'bad' : pct >= 80 ? 'warn' : '';
}
