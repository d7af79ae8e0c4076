// Escaping and the common frame of every daemon's web page.

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A page shell: no inline script (CSP), shared stylesheet, one module script. */
export function page(options: { title: string; body: string; script?: string; data?: unknown }): string {
  const data =
    options.data === undefined
      ? ''
      : `<script type="application/json" id="page-data">${JSON.stringify(options.data).replace(/</g, '\\u003c')}</script>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${escapeHtml(options.title)}</title>
<link rel="stylesheet" href="/assets/style.css">
<link rel="icon" href="data:,">
</head>
<body>
${options.body}
${data}
${options.script ? `<script type="module" src="/assets/${escapeHtml(options.script)}"></script>` : ''}
</body>
</html>
`;
}
