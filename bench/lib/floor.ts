// The write floor: the least a replicated, durable small write over HTTP costs in Node on this
// machine, to set dfs's and MooseFS's CPU per write beside. Four bare node:http processes in dfs's
// shape (floor-daemon.ts): a front taking `PUT /name`, two stores (the first sends each body on
// to the second while it writes its own copy; both fdatasync, grouped, before answering) and a
// metadata process (a log, fdatasynced per batch, the front's records batched). Nothing dfs does
// beyond that is here: no placement, leases, chunk ids or hashes, checks, receipts, metrics or
// middleware. An ack means what a dfs ack means: both copies and the record are on disk.

import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { trackChild } from './cleanup.js';
import { procCpu } from './proc.js';

const DAEMON = path.join(path.dirname(fileURLToPath(import.meta.url)), 'floor-daemon.ts');

export class WriteFloor {
  private constructor(
    /** The front's URL: `PUT`/`GET` `${url}/name`. */
    readonly url: string,
    private readonly procs: { name: string; child: ChildProcess }[],
  ) {}

  /** Starts the four processes with their files in a folder under `parent`. */
  static async start(parent: string): Promise<WriteFloor> {
    const dir = await fs.mkdtemp(path.join(parent, 'floor-'));
    const procs: { name: string; child: ChildProcess }[] = [];
    const start = async (name: string, role: string, ...args: string[]) => {
      const data = path.join(dir, name);
      await fs.mkdir(data);
      const child = trackChild(
        spawn(process.execPath, ['--import', import.meta.resolve('tsx'), DAEMON, role, data, ...args], {
          stdio: ['ignore', 'pipe', 'inherit'],
        }),
      );
      procs.push({ name, child });
      const port = await new Promise<number>((resolve, reject) => {
        child.once('exit', (code) => reject(new Error(`floor ${name} exited (${code})`)));
        child.stdout?.once('data', (d: Buffer) =>
          resolve((JSON.parse(d.toString()) as { port: number }).port),
        );
      });
      return `http://127.0.0.1:${port}/`;
    };
    try {
      const meta = await start('meta', 'meta');
      const second = await start('store2', 'store');
      const first = await start('store1', 'store', second);
      const front = await start('front', 'front', `${first},${second}`, meta);
      return new WriteFloor(front.slice(0, -1), procs);
    } catch (err) {
      for (const p of procs) p.child.kill('SIGKILL');
      throw err;
    }
  }

  /** CPU seconds used so far, by process. */
  cpuByProcess(): Record<string, number> {
    return Object.fromEntries(this.procs.map((p) => [p.name, procCpu(p.child.pid ?? 0) || 0]));
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.procs.map(
        ({ child }) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
            child.once('exit', () => {
              clearTimeout(kill);
              resolve();
            });
            child.kill('SIGTERM');
          }),
      ),
    );
  }
}
