// The JSON the pages draw their charts from (`GET /api/series` on the master, `/series` on a
// node): charts of lines on one time grid, ready to draw.

import type { SeriesRing } from './series.js';

/** What a chart's numbers are: bytes per second, operations per second, milliseconds, percent, a count. */
export type ChartUnit = 'B/s' | '/s' | 'ms' | '%' | '';

/** One line: its name and a value per point, oldest first (null: no sample). */
export interface ChartLine {
  name: string;
  values: (number | null)[];
}

/** A chart: every line has one value per point of the grid. */
export interface Chart {
  id: string;
  title: string;
  unit: ChartUnit;
  lines: ChartLine[];
}

/** Charts over a common grid: point i is at `end - (points - 1 - i) * step` (ms since the epoch). */
export interface ChartData {
  step: number;
  end: number;
  points: number;
  charts: Chart[];
}

/** The grid of a set of rings sampled together: ending at the newest slot, as long as the longest. */
export function gridOf(rings: readonly SeriesRing[], step: number): Omit<ChartData, 'charts'> {
  const end = Math.max(0, ...rings.map((r) => r.end));
  const points = Math.max(1, ...rings.map((r) => r.length));
  return { step, end, points };
}

// Four significant digits are more than a chart shows, and keep the JSON small.
function round(value: number | null): number | null {
  return value === null ? null : Number(value.toPrecision(4));
}

/** Column `column` of `ring` as a line named `name` on `grid`. */
export function lineOf<Name extends string>(
  name: string,
  ring: SeriesRing<Name>,
  column: Name,
  grid: Omit<ChartData, 'charts'>,
): ChartLine {
  return { name, values: ring.window(column, grid.end, grid.points).map(round) };
}
