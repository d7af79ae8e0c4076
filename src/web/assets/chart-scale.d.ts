// Types of chart-scale.js, for the unit tests that import it (the browser loads the .js).

/** A chart's unit, as the series JSON names it. */
export type ChartUnit = 'B/s' | '/s' | 'ms' | '%' | '';

/** The smallest of 1, 2, 2.5, 5 and 10 times a power of ten that is at least `raw`. */
export function niceStep(raw: number): number;
/** The y axis for values up to `max`: its top and ticks from 0. */
export function yScale(max: number, unit: ChartUnit, count?: number): { top: number; ticks: number[] };
/** A value as a label in its unit. */
export function formatValue(value: number | null | undefined, unit: ChartUnit): string;
/** Times between `start` and `end` at a round spacing. */
export function timeTicks(start: number, end: number, most?: number): { step: number; ticks: number[] };
/** The runs of consecutive non-null values. */
export function runs(values: readonly (number | null)[]): [number, number][];
/** The largest value of every line. */
export function largest(lines: readonly { values: readonly (number | null)[] }[]): number;
