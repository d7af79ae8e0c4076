// `dfs ls` output written page by page as the listing arrives, in bounded memory: a JSON array
// written incrementally, or rows with fixed-width columns and the name last, so that no row
// has to wait for the widest name. On a terminal the rows get a header and a total line; piped,
// each entry is one tab-separated line (names never hold a tab: dfs refuses control characters).

import { formatBytes, formatTime } from '../protocol/format.js';
import type { ListEntry } from '../protocol/types.js';
import { shown } from './local-errors.js';
import { writeOut } from './stdout.js';

/** Where the pages of a listing go. */
export interface ListOutput {
  /** Writes one page of entries. */
  page(entries: ListEntry[]): Promise<void>;
  /** Ends the output (closes the JSON array, prints the total). */
  end(): Promise<void>;
}

/** A JSON array of entries, written entry by entry; byte for byte what JSON.stringify(all, null, 2) gives. */
export function jsonOutput(): ListOutput {
  let count = 0;
  return {
    async page(entries) {
      if (entries.length === 0) return;
      const items = entries.map((e) => `  ${JSON.stringify(e, null, 2).replaceAll('\n', '\n  ')}`);
      await writeOut(`${count === 0 ? '[\n' : ',\n'}${items.join(',\n')}`);
      count += entries.length;
    },
    async end() {
      await writeOut(count === 0 ? '[]\n' : '\n]\n');
    },
  };
}

// Widths of the fixed columns on a terminal: formatBytes is at most 8 wide ("1023 KiB"),
// formatTime 16 ("2026-11-25 20:32"), replicas "16/16" fit under the header.
const WIDTHS = [8, 16, 8] as const;

/** Options of the rows output. */
export interface RowsOptions {
  /** Show each entry's whole path (ls -r) rather than its name. */
  paths: boolean;
  /** A terminal: aligned columns, a header and a total line; otherwise tab-separated lines. */
  terminal: boolean;
  /** The cluster's replication factor, asked for once the first file shows up. */
  replication: () => Promise<number>;
}

/** Rows of entries: size, modified, replicas, name (a folder's ends in `/`). */
export function rowsOutput(options: RowsOptions): ListOutput {
  let files = 0;
  let folders = 0;
  let bytes = 0;
  let replication: number | undefined;
  const cells = (e: ListEntry): string[] => {
    // The master refuses control characters in names; a terminal is not trusted to a lie.
    const name = shown(options.paths ? e.path : e.type === 'dir' ? `${e.name}/` : e.name);
    if (e.type === 'dir') return ['-', e.created ? formatTime(e.created) : '-', '-', name];
    const replicas = e.chunkCount === 0 ? '-' : `${e.minReplicas}/${replication}`;
    return [formatBytes(e.size), formatTime(e.created), replicas, name];
  };
  const line = (c: string[]): string =>
    options.terminal
      ? `${(c[0] ?? '').padStart(WIDTHS[0])}  ${(c[1] ?? '').padEnd(WIDTHS[1])}  ${(c[2] ?? '').padEnd(WIDTHS[2])}  ${c[3]}`
      : c.join('\t');
  return {
    async page(entries) {
      if (options.terminal && files + folders === 0 && entries.length > 0) {
        const head = ['Size', 'Modified (UTC)', 'Replicas', options.paths ? 'Path' : 'Name'];
        await writeOut(`\u001b[36m${line(head)}\u001b[39m\n`);
      }
      if (replication === undefined && entries.some((e) => e.type === 'file')) {
        replication = await options.replication();
      }
      let text = '';
      for (const e of entries) {
        if (e.type === 'dir') folders++;
        else {
          files++;
          bytes += e.size;
        }
        text += `${line(cells(e))}\n`;
      }
      await writeOut(text);
    },
    async end() {
      if (!options.terminal) return;
      const parts: string[] = [];
      if (folders > 0) parts.push(`${folders} folder${folders === 1 ? '' : 's'}`);
      if (files > 0 || folders === 0)
        parts.push(`${files} file${files === 1 ? '' : 's'} (${formatBytes(bytes)})`);
      await writeOut(`${parts.join(', ')}\n`);
    },
  };
}
