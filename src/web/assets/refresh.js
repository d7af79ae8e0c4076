// Keeps a server-rendered status page fresh: re-fetches it every 2 s and swaps each region
// marked `data-live` in place (by id), leaving forms and focus elsewhere untouched.

const REFRESH_MS = 2000;

async function refresh() {
  if (!document.hidden) {
    try {
      const response = await fetch(location.href, { headers: { accept: 'text/html' }, cache: 'no-store' });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const doc = new DOMParser().parseFromString(await response.text(), 'text/html');
      for (const next of doc.querySelectorAll('[data-live][id]')) {
        document.getElementById(next.id)?.replaceWith(next);
      }
      delete document.body.dataset.stale;
      document.dispatchEvent(new Event('dfs:refreshed'));
    } catch {
      // The daemon is down or restarting: say so, and try again next time.
      document.body.dataset.stale = '1';
    }
  }
  setTimeout(refresh, REFRESH_MS);
}

setTimeout(refresh, REFRESH_MS);
