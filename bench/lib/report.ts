// The bench's results: one row per measurement (dfs figure, baseline figure, ratio, target),
// printed as a cli-table3 table and written as JSON.

import fs from 'node:fs/promises';
import path from 'node:path';
import Table from 'cli-table3';

/** How a row's ratio is judged against its target. */
export type Better = 'higher' | 'lower';

/** One line of the results. */
export interface Row {
  id: string;
  what: string;
  unit: string;
  /** Median of the dfs samples. */
  dfs: number;
  /** Median of the baseline samples. */
  baseline: number;
  /** dfs / baseline. */
  ratio: number;
  /** The target ratio (none: the row only informs, or only `absoluteMax` counts), and whether higher or lower is better. */
  target?: number;
  better: Better;
  /** An extra absolute limit on the dfs figure (memory: under 150 MB; CPU per operation). */
  absoluteMax?: number;
  met: boolean;
  samples: { dfs: number[]; baseline: number[] };
  baselineWhat: string;
  note?: string;
}

/** Median of a list of numbers. */
export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Builds a row from samples. */
export function makeRow(
  spec: Omit<Row, 'dfs' | 'baseline' | 'ratio' | 'met' | 'samples'>,
  dfs: number[],
  baseline: number[],
): Row {
  const d = median(dfs);
  const b = median(baseline);
  const ratio = d / b;
  let met =
    spec.target === undefined || (spec.better === 'higher' ? ratio >= spec.target : ratio <= spec.target);
  if (spec.absoluteMax !== undefined && d > spec.absoluteMax) met = false;
  return { ...spec, dfs: d, baseline: b, ratio, met, samples: { dfs, baseline } };
}

function figure(value: number, unit: string): string {
  if (!Number.isFinite(value)) return '-';
  if (unit === 'MB') return `${(value / 1e6).toFixed(1)} MB`;
  const digits = value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${unit}`;
}

/** Prints the results table. */
export function printTable(rows: Row[]): void {
  const table = new Table({
    head: ['row', 'dfs', 'baseline', 'ratio', 'target', 'met'],
    style: { head: [], border: [] },
    colAligns: ['left', 'right', 'right', 'right', 'left', 'left'],
  });
  for (const r of rows) {
    const limits = [
      r.target === undefined ? '' : `${r.better === 'higher' ? '≥' : '≤'} ${r.target}`,
      r.absoluteMax === undefined ? '' : `dfs ≤ ${figure(r.absoluteMax, r.unit)}`,
    ].filter(Boolean);
    const target = limits.join(', ') || '-';
    table.push([
      `${r.id} ${r.what}\n  vs ${r.baselineWhat}`,
      figure(r.dfs, r.unit),
      figure(r.baseline, r.unit),
      Number.isFinite(r.ratio) ? r.ratio.toFixed(r.ratio >= 10 ? 1 : 2) : '-',
      target,
      limits.length === 0 ? '-' : r.met ? 'yes' : 'NO',
    ]);
  }
  process.stdout.write(`${table.toString()}\n`);
  const notes = rows.filter((r) => r.note);
  for (const r of notes) process.stdout.write(`  ${r.id}: ${r.note}\n`);
}

/** Writes the run's facts and rows as JSON. */
export async function writeJson(file: string, facts: Record<string, unknown>, rows: Row[]): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, `${JSON.stringify({ ...facts, rows }, null, 2)}\n`);
}
