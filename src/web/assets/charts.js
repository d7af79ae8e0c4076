// Fills a page's `[data-charts]` section from its series URL, and keeps it fresh: one LineChart
// per chart the daemon sends, in the order it sends them.

import { LineChart } from './chart.js';

// Charts refresh at their sampling step, within these bounds.
const FASTEST = 2000;
const SLOWEST = 10_000;

const section = document.querySelector('[data-charts]');
const grid = section?.querySelector('.chart-grid');
const note = section?.querySelector('.chart-note');
const charts = new Map();

function say(text) {
  if (!note) return;
  note.textContent = text;
  note.hidden = !text;
}

async function load() {
  let wait = SLOWEST;
  if (!document.hidden) {
    try {
      const response = await fetch(section.dataset.charts, { cache: 'no-store' });
      if (response.status === 401 || response.status === 403) {
        say('The charts need the access token: sign in below to see them.');
        grid.hidden = true;
      } else if (!response.ok) {
        say(`The charts could not be loaded (HTTP ${response.status}).`);
      } else {
        const data = await response.json();
        draw(data);
        wait = Math.min(SLOWEST, Math.max(FASTEST, data.step));
      }
    } catch {
      say('The charts could not be loaded: the daemon does not answer.');
    }
  }
  setTimeout(load, wait);
}

function draw(data) {
  const { charts: list, ...timeGrid } = data;
  for (const chart of list) {
    let view = charts.get(chart.id);
    if (!view) {
      view = new LineChart(chart);
      charts.set(chart.id, view);
      grid.append(view.figure);
    }
    view.update(chart, timeGrid);
  }
  grid.hidden = false;
  say(data.end ? '' : `The first points come within ${Math.ceil(data.step / 1000)} s.`);
  section.dataset.loaded = String(data.end);
}

if (section && grid) load();
