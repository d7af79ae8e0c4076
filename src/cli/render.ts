// Output rendering for the CLI: tables, JSON, and progress on a terminal only.

import { stripVTControlCharacters } from 'node:util';
import Table from 'cli-table3';
import ora, { type Ora } from 'ora';
import { formatBytes, formatDuration } from '../protocol/format.js';

/**
 * Prints rows as a table (cli-table3) with the given header. On a terminal too narrow for it, the
 * widest columns are narrowed and their cells wrapped, so that no line is wider than the terminal.
 */
export function printTable(head: string[], rows: (string | number)[][], alignRight: number[] = []): void {
  const cells = rows.map((r) => r.map(String));
  const columns = process.stdout.isTTY ? process.stdout.columns : undefined;
  const fitted = columns ? fitColumns(naturalWidths([head, ...cells]), columns) : undefined;
  const table = new Table({
    head,
    style: { head: process.stdout.isTTY ? ['cyan'] : [], border: process.stdout.isTTY ? ['grey'] : [] },
    colAligns: head.map((_, i) => (alignRight.includes(i) ? 'right' : 'left')),
    ...(fitted && { colWidths: fitted, wordWrap: true, wrapOnWordBoundary: false }),
  });
  table.push(...cells);
  process.stdout.write(`${table.toString()}\n`);
}

// Each column's width as cli-table3 draws it: its longest line, plus a space on either side.
function naturalWidths(rows: string[][]): number[] {
  const widths: number[] = [];
  for (const row of rows)
    for (const [i, cell] of row.entries())
      for (const line of stripVTControlCharacters(cell).split('\n'))
        widths[i] = Math.max(widths[i] ?? 0, line.length + 2);
  return widths;
}

/**
 * Column widths (a space either side included) that fit a table with these `natural` widths and
 * its borders into `available` columns, the widest narrowed first and none below `least`; undefined
 * when it fits as it is.
 */
export function fitColumns(natural: number[], available: number, least = 5): number[] | undefined {
  const widths = [...natural];
  let total = widths.reduce((sum, w) => sum + w, 0) + widths.length + 1;
  if (total <= available) return undefined;
  while (total > available) {
    let widest = -1;
    for (const [i, w] of widths.entries())
      if (w > least && (widest < 0 || w > (widths[widest] as number))) widest = i;
    if (widest < 0) break;
    widths[widest] = (widths[widest] as number) - 1;
    total--;
  }
  return widths;
}

/** Prints a value as pretty JSON. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A transfer's progress: an ora spinner with bytes, rate and ETA when stderr is a terminal. */
export class TransferProgress {
  private readonly spinner: Ora | undefined;
  private readonly started = Date.now();
  private bytes = 0;

  constructor(
    private label: string,
    private readonly total: number | undefined,
  ) {
    // A terminal that reports no width (some pseudo-terminals) would make ora's redraw spin.
    const terminal = process.stderr.isTTY && (process.stderr.columns ?? 0) > 0;
    // discardStdin off: `dfs upload -` reads stdin, which must not be swallowed by the spinner.
    this.spinner = terminal
      ? ora({ text: label, stream: process.stderr, discardStdin: false }).start()
      : undefined;
  }

  /** True when a spinner is on the terminal (otherwise callers print plain lines). */
  get shown(): boolean {
    return this.spinner !== undefined;
  }

  /** Records bytes done so far. */
  update = (bytes: number): void => {
    this.bytes = bytes;
    if (!this.spinner) return;
    const seconds = Math.max((Date.now() - this.started) / 1000, 0.001);
    const rate = bytes / seconds;
    const parts = [
      this.label,
      this.total !== undefined ? `${formatBytes(bytes)} / ${formatBytes(this.total)}` : formatBytes(bytes),
      `${formatBytes(rate)}/s`,
    ];
    if (this.total !== undefined && rate > 0 && bytes < this.total) {
      parts.push(`ETA ${formatDuration(((this.total - bytes) / rate) * 1000)}`);
    }
    this.spinner.text = parts.join('  ');
  };

  /** Changes the label in front of the figures (a tree transfer's file count). */
  relabel(label: string): void {
    this.label = label;
    this.update(this.bytes);
  }

  /** Prints a line above the spinner (or just the line when there is none). */
  print(line: string): void {
    this.spinner?.clear();
    process.stderr.write(`${line}\n`);
    this.spinner?.render();
  }

  /** Ends with a success line (terminal only). */
  succeed(text: string): void {
    this.spinner?.succeed(text);
  }

  /** Ends with a failure mark (terminal only). */
  fail(): void {
    this.spinner?.stop();
  }

  /** Throughput summary for the final line. */
  summary(): string {
    const seconds = Math.max((Date.now() - this.started) / 1000, 0.001);
    return `${formatBytes(this.bytes)} in ${seconds.toFixed(1)}s (${formatBytes(this.bytes / seconds)}/s)`;
  }
}
