// `--parallel N`: how many files a tree transfer moves at once, and what each may use.

import { InvalidArgumentError, Option } from 'commander';

/** Files moved at once by `dfs upload DIR` and `dfs download -r` unless told otherwise. */
export const DEFAULT_PARALLEL = 16;
const MOST = 64;
// Chunks in flight across all files of a tree: each file gets its share (at least one, at most
// the SDK's default of 4), so 16 files of 8 MiB chunks hold ~256 MiB at most, not 16 × 40 MiB.
const CHUNKS_IN_FLIGHT = 16;

/** Parses a --parallel value: a whole number from 1 to 64 (commander reports it as bad usage). */
export function parseParallel(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > MOST) {
    throw new InvalidArgumentError(`It must be a whole number from 1 to ${MOST}`);
  }
  return n;
}

/** The `--parallel <n>` option. */
export function parallelOption(): Option {
  return new Option('--parallel <n>', `files moved at once by a folder transfer (1 to ${MOST})`)
    .default(DEFAULT_PARALLEL)
    .argParser(parseParallel);
}

/** SDK settings for a tree transfer of `parallel` files at once: each file's share of chunks. */
export function tuned(parallel: number): { uploadConcurrency: number; prefetch: number } {
  const share = Math.max(1, Math.floor(CHUNKS_IN_FLIGHT / parallel));
  return { uploadConcurrency: Math.min(4, share), prefetch: Math.min(3, share) };
}
