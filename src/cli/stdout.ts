// Writing to standard output with backpressure: a long listing waits for a slow reader instead
// of queueing all of itself in memory.

/** Writes `text` to stdout; resolves at once, or once stdout has drained if it is full. */
export function writeOut(text: string): Promise<void> {
  if (process.stdout.write(text)) return Promise.resolve();
  // A reader that went away never drains: bin/dfs.js ends the process on that error.
  return new Promise((resolve) => process.stdout.once('drain', resolve));
}
