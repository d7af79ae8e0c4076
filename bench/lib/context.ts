// What every row of the bench shares: options, sizes, the scratch folder, nginx and wrk, and the
// large test file (made once, re-stamped per run).

import { existsSync } from 'node:fs';
import path from 'node:path';
import { makeRandomFile } from './files.js';
import type { Nginx } from './nginx.js';

const MiB = 1024 * 1024;

/** Command-line options of the bench. */
export interface BenchOptions {
  quick: boolean;
  /** Runs per row; the median is reported. */
  runs: number;
  /** Master --chunk-size for every cluster (default: the master's own default). */
  chunkSize?: string;
  /** Only these rows (numbers or names); all when empty. */
  only: Set<string>;
  /** Where the JSON goes. */
  out: string;
}

/** Sizes and counts, smaller with --quick. */
export interface Sizes {
  large: number;
  memoryLarge: number;
  memorySmall: number;
  smallFile: number;
  /** Seconds of load per small-file run. */
  loadSeconds: number;
  concurrency: number;
  /** Files read back in the small-read row. */
  readSet: number;
  /** Fresh small files per run in the rows against MooseFS. */
  peerFiles: number;
  metaFew: number;
  metaMany: number;
  metaProbe: number;
}

/** Sizes for a full or a quick run. */
export function sizesFor(quick: boolean): Sizes {
  return {
    large: quick ? 256 * MiB : 1024 * MiB,
    memoryLarge: quick ? 512 * MiB : 2048 * MiB,
    memorySmall: 64 * MiB,
    smallFile: 4096,
    loadSeconds: quick ? 3 : 5,
    concurrency: 16,
    readSet: 1000,
    peerFiles: quick ? 500 : 2000,
    metaFew: 1000,
    metaMany: quick ? 10_000 : 100_000,
    metaProbe: 2000,
  };
}

/** The shared state of one bench run. */
export class BenchContext {
  readonly sizes: Sizes;
  private bigFilePromise: Promise<string> | undefined;

  constructor(
    readonly options: BenchOptions,
    /** Scratch folder on the same disk as the clusters (the machine's /tmp). */
    readonly work: string,
    readonly nginx: Nginx | undefined,
    readonly wrk: boolean,
  ) {
    this.sizes = sizesFor(options.quick);
  }

  /** Prints a progress line on stderr. */
  log(message: string): void {
    process.stderr.write(`bench: ${message}\n`);
  }

  /** The large random file; inside nginx's root when nginx runs, so nginx serves the same bytes. */
  bigFile(): Promise<string> {
    this.bigFilePromise ??= (async () => {
      const file = path.join(this.nginx?.root ?? this.work, 'big.bin');
      if (!existsSync(file)) {
        this.log(`writing a ${this.sizes.large / MiB} MiB random file`);
        await makeRandomFile(file, this.sizes.large);
      }
      return file;
    })();
    return this.bigFilePromise;
  }

  /** The master options every cluster gets from the command line. */
  clusterDefaults(): { chunkSize?: string } {
    return this.options.chunkSize ? { chunkSize: this.options.chunkSize } : {};
  }
}
