// What `dfs upload DIR` and `dfs download -r` share: files moved `parallel` at once, a failure
// named with its reason while the rest goes on, a stop at a failure every file would meet, and
// a summary at the end (exit 1 when anything was left out).

import { DfsError } from '../protocol/errors.js';
import { Limiter } from '../sdk/limit.js';
import { isUnreachable } from '../sdk/transport.js';
import { LocalFileError, localReason, shown, UnreadableFile } from './local-errors.js';
import { TransferProgress } from './render.js';

/** True for a failure every other file would meet too (the master unreachable, the token refused). */
export function isFatal(err: unknown): boolean {
  if (!(err instanceof DfsError) || err instanceof LocalFileError) return false;
  if (err.code === 'unauthorized' || err.code === 'forbidden') return true;
  // A master nobody can reach: stop at once instead of naming every file.
  return isUnreachable(err.cause);
}

/** A failure in words: the cluster's message, or the local file system's reason. */
export function reasonOf(err: unknown): string {
  return err instanceof DfsError ? err.message : localReason(err);
}

/** One tree transfer in progress. */
export class TreeRun {
  private readonly limiter: Limiter;
  private readonly running = new Set<Promise<void>>();
  private problems = 0;
  private fatal: unknown;
  /** On a terminal: one line with the files done, bytes and rate, instead of a line a file. */
  private readonly progress: TransferProgress;
  private files = 0;
  private bytes = 0;

  constructor(
    parallel: number,
    private readonly verb: string,
  ) {
    this.limiter = new Limiter(parallel);
    this.progress = new TransferProgress(verb, undefined);
  }

  /** Names an entry left out (`skipped`) or that failed (`failed`), on stderr. */
  problem(what: 'skipped' | 'failed', name: string, reason: string): void {
    this.problems++;
    this.progress.print(`dfs: ${what} ${shown(name)}: ${reason}`);
  }

  /** A progress callback for one file: its bytes count towards the run's. */
  onProgress(): (bytes: number) => void {
    let last = 0;
    return (bytes) => {
      this.bytes += bytes - last;
      last = bytes;
      this.progress.update(this.bytes);
    };
  }

  /** A file (or a folder) done: its line when not on a terminal; on one, the count on the spinner. */
  done(line: string, file = true): void {
    if (file) this.files++;
    if (this.progress.shown) this.progress.relabel(`${this.verb}: ${this.files} file(s) done`);
    else process.stderr.write(`${line}\n`);
  }

  /**
   * Starts `task` (about `name`) once a slot is free; resolves when it has started, or false
   * when the run has met a fatal failure and nothing more should start.
   */
  async start(name: string, task: () => Promise<void>): Promise<boolean> {
    await this.limiter.slot();
    if (this.fatal) return false;
    const running: Promise<void> = this.limiter
      .run(task)
      .catch((err) => {
        if (isFatal(err)) this.fatal ??= err;
        // A local file that cannot be read is left out like any entry dfs cannot upload.
        else if (err instanceof UnreadableFile) this.problem('skipped', name, err.reason);
        else this.problem('failed', name, reasonOf(err));
      })
      .finally(() => this.running.delete(running));
    this.running.add(running);
    return true;
  }

  /** Takes the progress line off the terminal (the run ends with an error of its own). */
  private stop(): void {
    this.progress.fail();
  }

  /** Waits for every task started; throws a fatal failure if one was met. */
  async wait(): Promise<void> {
    await Promise.all(this.running);
    if (this.fatal) throw this.fatal;
  }

  /**
   * Runs `walk` (which starts the tasks), waits for every task, then prints the summary `done`
   * makes of the files done — or throws it, with a count of what was left out, if anything was
   * (exit 1). A fatal failure, or one of `walk`'s own, is thrown as it is.
   */
  async drive(walk: () => Promise<void>, done: (files: number) => string): Promise<void> {
    try {
      await walk();
      await this.wait();
    } catch (err) {
      this.stop();
      throw err;
    }
    const summary = done(this.files);
    if (this.problems > 0) {
      this.stop();
      throw new DfsError('conflict', `${summary}; ${this.problems} skipped or failed (named above)`);
    }
    if (this.progress.shown) this.progress.succeed(`${summary}  ${this.progress.summary()}`);
    else process.stderr.write(`${summary}\n`);
  }
}
