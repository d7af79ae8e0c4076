// Keeps a server-rendered status page fresh: re-fetches the page and swaps <main> in place.
const REFRESH_MS = 2000;
async function refresh() {
  try {
    const response = await fetch(location.href, { headers: { accept: 'text/html' }, cache: 'no-store' });
    if (response.ok) {
      const doc = new DOMParser().parseFromString(await response.text(), 'text/html');
      const next = doc.querySelector('main');
      const header = doc.querySelector('header');
      if (next) document.querySelector('main')?.replaceWith(next);
      if (header) document.querySelector('header')?.replaceWith(header);
    }
  } catch {
    // the daemon is restarting: try again next time
  }
  setTimeout(refresh, REFRESH_MS);
}
setTimeout(refresh, REFRESH_MS);
