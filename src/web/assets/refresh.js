// Keeps a server-rendered status page fresh: re-fetches it every 2 s and swaps each region
// marked `data-live` in place (by id), leaving forms and focus elsewhere untouched.

const REFRESH_MS = 2000;

async function refresh() {
  if (!document.hidden) {
    try {
      const response = await fetch(location.href, { headers: { accept: 'text/html' }, cache: 'no-store' });
      const html = (response.headers.get('content-type') ?? '').includes('text/html');
      // The daemon answered that the page itself is gone (a deleted file's chunk map) or now
      // needs signing in: show its answer, as a reload would, and stop refreshing.
      if ([401, 403, 404, 410].includes(response.status) && html) {
        const doc = new DOMParser().parseFromString(await response.text(), 'text/html');
        document.title = doc.title;
        document.body.replaceWith(doc.body);
        return;
      }
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const doc = new DOMParser().parseFromString(await response.text(), 'text/html');
      for (const next of doc.querySelectorAll('[data-live][id]')) {
        document.getElementById(next.id)?.replaceWith(next);
      }
      delete document.body.dataset.stale;
      document.dispatchEvent(new Event('dfs:refreshed'));
    } catch {
      // The daemon is down, restarting or failing: say so, and try again next time.
      document.body.dataset.stale = '1';
    }
  }
  setTimeout(refresh, REFRESH_MS);
}

setTimeout(refresh, REFRESH_MS);
