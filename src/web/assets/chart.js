// A small SVG line chart: axes with units, one coloured line per series (gaps where there was
// no sample), a legend with the latest values, and a cursor that shows the values at any time
// under the pointer (mouse or finger). No styles inline (CSP): colours come from classes.

import { formatValue, largest, runs, timeTicks, yScale } from './chart-scale.js';

const SVG = 'http://www.w3.org/2000/svg';
const HEIGHT = 170;
const MARGIN = { top: 8, right: 10, bottom: 22, left: 62 };
// Colours available to lines (classes c0…c7 in the stylesheet).
const COLOURS = 8;
const CLOCK = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const CLOCK_SECONDS = new Intl.DateTimeFormat(undefined, {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

function svg(name, attributes = {}, text) {
  const element = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
  if (text !== undefined) element.textContent = text;
  return element;
}

function html(name, className, text) {
  const element = document.createElement(name);
  if (className) element.className = className;
  if (text !== undefined) element.textContent = text;
  return element;
}

// What the chart spans, in words: `last 40 s`, `last 12 min`, `last hour`.
function spanOf(grid) {
  const seconds = Math.round(((grid.points - 1) * grid.step) / 1000);
  if (seconds < 120) return `last ${seconds} s`;
  if (seconds < 3600 - 30) return `last ${Math.round(seconds / 60)} min`;
  return 'last hour';
}

/** The time of point `i` of a grid `{ step, end, points }`. */
export function timeOf(grid, i) {
  return grid.end - (grid.points - 1 - i) * grid.step;
}

/**
 * A chart in a `<figure>`: `update(chart, grid)` redraws it with new data (and on resize).
 * `chart` is `{ id, title, unit, lines: [{ name, values }] }`.
 */
export class LineChart {
  constructor(chart) {
    this.figure = html('figure', 'chart card');
    this.figure.dataset.chart = chart.id;
    this.caption = html('figcaption');
    this.title = html('span', 'chart-title', chart.title);
    this.when = html('span', 'muted small chart-when');
    this.caption.append(this.title, this.when);
    this.legend = html('ul', 'legend');
    this.plot = html('div', 'plot');
    this.figure.append(this.caption, this.legend, this.plot);
    this.hover = -1;
    // Redrawn when the width changes (a turned phone, a resized window); a new drawing changes
    // only the height, which must not set off another round.
    new ResizeObserver(() => {
      if (Math.floor(this.plot.clientWidth) !== this.drawnWidth) this.draw();
    }).observe(this.plot);
  }

  /** New data: redraws the chart. */
  update(chart, grid) {
    this.chart = chart;
    this.grid = grid;
    const points = chart.lines.reduce((n, line) => n + line.values.filter((v) => v !== null).length, 0);
    // How many samples the chart shows: what a test (or a curious reader) can check.
    this.figure.dataset.points = String(points);
    this.draw();
  }

  draw() {
    const { chart, grid } = this;
    if (!chart) return;
    this.drawnWidth = Math.floor(this.plot.clientWidth);
    const width = Math.max(240, this.drawnWidth || 0);
    const inner = { w: width - MARGIN.left - MARGIN.right, h: HEIGHT - MARGIN.top - MARGIN.bottom };
    const { top, ticks } = yScale(largest(chart.lines), chart.unit);
    const x = (i) => MARGIN.left + (grid.points > 1 ? (i / (grid.points - 1)) * inner.w : inner.w);
    const y = (v) => MARGIN.top + inner.h - (v / top) * inner.h;
    const root = svg('svg', {
      width,
      height: HEIGHT,
      viewBox: `0 0 ${width} ${HEIGHT}`,
      role: 'img',
      'aria-label': `${chart.title}, last ${Math.round(((grid.points - 1) * grid.step) / 60000)} minutes`,
    });
    for (const tick of ticks) {
      root.append(
        svg('line', { class: 'grid', x1: MARGIN.left, x2: width - MARGIN.right, y1: y(tick), y2: y(tick) }),
      );
      root.append(
        svg(
          'text',
          { class: 'axis', x: MARGIN.left - 6, y: y(tick) + 4, 'text-anchor': 'end' },
          formatValue(tick, chart.unit),
        ),
      );
    }
    this.timeAxis(root, x, inner.w, HEIGHT - 6);
    chart.lines.forEach((line, n) => {
      this.drawLine(root, line, `c${n % COLOURS}`, x, y);
    });
    this.cursor = svg('line', {
      class: 'cursor',
      y1: MARGIN.top,
      y2: MARGIN.top + inner.h,
      x1: -10,
      x2: -10,
    });
    root.append(this.cursor);
    // Pointer events over the plot area: the nearest point's values go to the legend.
    const catcher = svg('rect', {
      class: 'catcher',
      x: MARGIN.left,
      y: MARGIN.top,
      width: inner.w,
      height: inner.h,
    });
    const pick = (event) => {
      const box = root.getBoundingClientRect();
      const at = ((event.clientX - box.left - MARGIN.left) / inner.w) * (grid.points - 1);
      this.hover = Math.max(0, Math.min(grid.points - 1, Math.round(at)));
      this.showValues();
    };
    catcher.addEventListener('pointermove', pick);
    catcher.addEventListener('pointerdown', pick);
    catcher.addEventListener('pointerleave', () => {
      this.hover = -1;
      this.showValues();
    });
    root.append(catcher);
    this.x = x;
    this.plot.replaceChildren(root);
    this.showValues();
  }

  timeAxis(root, x, innerWidth, baseline) {
    const { grid } = this;
    if (grid.points < 2) return;
    const start = timeOf(grid, 0);
    // About one label per 110 px: a time with seconds and AM/PM is some 70 px wide.
    const { step, ticks } = timeTicks(start, grid.end, Math.max(2, Math.floor(innerWidth / 110)));
    const clock = step < 60_000 ? CLOCK_SECONDS : CLOCK;
    const left = x(0);
    const right = x(grid.points - 1);
    for (const t of ticks) {
      const at = x(((t - start) / (grid.end - start)) * (grid.points - 1));
      // Labels at the ends are anchored inside the plot, not cut off by the edge.
      const anchor = at - left < 30 ? 'start' : right - at < 30 ? 'end' : 'middle';
      root.append(svg('text', { class: 'axis', x: at, y: baseline, 'text-anchor': anchor }, clock.format(t)));
    }
  }

  drawLine(root, line, colour, x, y) {
    for (const [first, last] of runs(line.values)) {
      if (first === last) {
        // A lone sample between gaps: a dot, since a path of one point draws nothing.
        root.append(
          svg('circle', { class: `dot ${colour}`, cx: x(first), cy: y(line.values[first]), r: 2.5 }),
        );
        continue;
      }
      let d = '';
      for (let i = first; i <= last; i++)
        d += `${i === first ? 'M' : 'L'}${x(i).toFixed(1)},${y(line.values[i]).toFixed(1)}`;
      root.append(svg('path', { class: `line ${colour}`, d }));
    }
  }

  // The legend: each line's value at the hovered point, else its latest value.
  showValues() {
    const { chart, grid } = this;
    const at = this.hover >= 0 ? this.hover : grid.points - 1;
    const latest = (line) => {
      if (this.hover >= 0) return line.values[at];
      for (let i = line.values.length - 1; i >= 0; i--) if (line.values[i] !== null) return line.values[i];
      return null;
    };
    this.legend.replaceChildren(
      ...chart.lines.map((line, n) => {
        const item = html('li');
        item.append(
          html('span', `swatch c${n % COLOURS}`),
          ` ${line.name} `,
          html('b', '', formatValue(latest(line), chart.unit)),
        );
        return item;
      }),
    );
    const time = timeOf(grid, at);
    this.when.textContent = this.hover >= 0 && grid.end ? `at ${CLOCK_SECONDS.format(time)}` : spanOf(grid);
    const cx = this.hover >= 0 ? this.x(at) : -10;
    this.cursor.setAttribute('x1', String(cx));
    this.cursor.setAttribute('x2', String(cx));
  }
}
