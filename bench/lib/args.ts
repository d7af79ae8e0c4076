// Command-line options of the bench programs: `--help` prints the usage, and bad usage (an unknown
// option, a value that is not one, a stray argument) is one line and exit 2, not a stack trace.

import { type ParseArgsConfig, parseArgs } from 'node:util';

/** Bad usage of a bench program: said in one line, exit 2 (see runMain). */
export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * The options of `args` (the process's own by default). `--help` or `-h` prints `usage` and
 * exits 0; anything parseArgs refuses is a UsageError.
 */
export function benchArgs<O extends Options>(usage: string, options: O, args = process.argv.slice(2)) {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** `value` of option `--name` as a whole number of at least `min`; a UsageError otherwise. */
export function wholeNumber(name: string, value: string | undefined, min = 1): number {
  const n = Number(value);
  if (value === undefined || !/^\d+$/.test(value.trim()) || n < min)
    throw new UsageError(`--${name} must be a whole number of at least ${min} (got ${value ?? 'nothing'})`);
  return n;
}
