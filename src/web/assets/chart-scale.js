// The arithmetic of the pages' charts, free of the DOM (unit-tested): nice axis ranges and ticks,
// time ticks, value labels by unit, and the runs of a line between its gaps.

import { formatBytes } from './format.js';

const KiB = 1024;

/** The smallest of 1, 2, 2.5, 5 and 10 times a power of ten that is at least `raw`. */
export function niceStep(raw) {
  if (!(raw > 0)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const residual = raw / magnitude;
  const factor = residual <= 1 ? 1 : residual <= 2 ? 2 : residual <= 2.5 ? 2.5 : residual <= 5 ? 5 : 10;
  return factor * magnitude;
}

/**
 * The y axis for values up to `max` in `unit`: `{ top, ticks }`, ticks from 0 to top at a nice
 * step (at most `count` intervals). Bytes step in powers of 1024 (4 MiB/s, not 4.19 MB/s);
 * percentages always span 0–100; counts and bytes never step by less than one (a byte is
 * labelled whole).
 */
export function yScale(max, unit, count = 4) {
  if (unit === '%') return { top: 100, ticks: [0, 25, 50, 75, 100] };
  const high = Number.isFinite(max) && max > 0 ? max : 0;
  let base = 1;
  if (unit === 'B/s') while (high / base >= KiB) base *= KiB;
  let step = niceStep(high / base / count) * base;
  if (unit === '' || unit === '/s' || unit === 'B/s') step = Math.max(step, unit === '/s' ? 0.1 : 1);
  if (high === 0) step = unit === 'B/s' ? KiB : 1;
  const intervals = Math.max(1, Math.ceil(high / step - 1e-9));
  const ticks = [];
  for (let i = 0; i <= intervals; i++) ticks.push(round(i * step));
  return { top: round(intervals * step), ticks };
}

// Floating steps (0.1 × 3) printed as 0.30000000000000004 would spoil a label.
function round(n) {
  return Number(n.toPrecision(12));
}

/** A value as a label in its unit: `1.5 MiB/s`, `12/s`, `3.4 ms`, `87%`, `5`; `–` for none. */
export function formatValue(value, unit) {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  const short = (n) => (n === 0 ? '0' : n < 10 ? trim(n.toFixed(n < 1 ? 2 : 1)) : String(Math.round(n)));
  if (unit === 'B/s') return `${formatBytes(Math.round(value))}/s`;
  if (unit === '/s') return `${short(value)}/s`;
  if (unit === 'ms') return `${short(value)} ms`;
  if (unit === '%') return `${short(value)}%`;
  return short(value);
}

// 1.50 → 1.5, 2.0 → 2.
function trim(text) {
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}

// Tick spacings a time axis may use, ms.
const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200].map((s) => s * 1000);

/** Times between `start` and `end` (ms) at a round spacing, at most `most` of them. */
export function timeTicks(start, end, most = 6) {
  const span = Math.max(0, end - start);
  const step = TIME_STEPS.find((s) => Math.floor(span / s) + 1 <= most) ?? TIME_STEPS[TIME_STEPS.length - 1];
  const ticks = [];
  for (let t = Math.ceil(start / step) * step; t <= end; t += step) ticks.push(t);
  return { step, ticks };
}

/** The runs of consecutive non-null values: `[first, last]` index pairs, a gap between each. */
export function runs(values) {
  const out = [];
  let first = -1;
  values.forEach((value, i) => {
    const present = value !== null && value !== undefined && Number.isFinite(value);
    if (present && first < 0) first = i;
    if (!present && first >= 0) {
      out.push([first, i - 1]);
      first = -1;
    }
  });
  if (first >= 0) out.push([first, values.length - 1]);
  return out;
}

/** The largest value of every line of a chart (0 when there is none). */
export function largest(lines) {
  let max = 0;
  for (const line of lines) for (const v of line.values) if (v !== null && v > max) max = v;
  return max;
}
