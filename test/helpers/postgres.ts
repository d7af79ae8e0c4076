// A throwaway PostgreSQL 15 for tests and benchmarks: initdb in a temporary folder (as the
// `postgres` OS user when we run as root), a server on a free port, a database per test, and
// helpers to stop, restart and freeze it for fault tests. Everything is removed on close and on exit.

import { execFile, execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { processAlive as alive } from './processes.js';
import { waitFor } from './wait.js';

/** Where Debian's postgresql-15 puts its programs. */
export const PG_BIN = '/usr/lib/postgresql/15/bin';

let warned = false;

/** True when PostgreSQL 15 is installed; otherwise prints one warning line (once) and returns false. */
export function postgresAvailable(what: string): boolean {
  if (fs.existsSync(path.join(PG_BIN, 'initdb'))) return true;
  if (!warned) console.warn(`WARNING: PostgreSQL 15 not found in ${PG_BIN}; skipping ${what}`);
  warned = true;
  return false;
}

// Servers still running, stopped if the process exits without closing them.
const running = new Set<PostgresServer>();
process.on('exit', () => {
  for (const server of running) server.destroySync();
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

// initdb and the server refuse to run as root: run them as the `postgres` user then.
function owner(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  return { uid, gid };
}

/** One PostgreSQL server in a temporary folder. */
export class PostgresServer {
  private constructor(
    private readonly root: string,
    readonly port: number,
    private readonly user: { uid: number; gid: number } | undefined,
    private readonly settings: Record<string, string>,
  ) {}

  /**
   * initdb (UTF-8, C locale, trust for local connections) and start on a free port, with
   * `settings` as extra server settings (`-c name=value`).
   */
  static async start(settings: Record<string, string> = {}): Promise<PostgresServer> {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'dfs-pg-'));
    const user = owner();
    if (user) fs.chownSync(root, user.uid, user.gid);
    const server = new PostgresServer(root, await freePort(), user, settings);
    running.add(server);
    try {
      // --no-sync: the initial files need no flush for a throwaway; the server itself runs with fsync=on.
      await server.pgTool('initdb', [
        '-D',
        server.data,
        '-U',
        'postgres',
        '-A',
        'trust',
        '-E',
        'UTF8',
        '--locale=C',
        '--no-sync',
      ]);
      await server.startServer();
    } catch (err) {
      server.destroySync();
      throw err;
    }
    return server;
  }

  private get data(): string {
    return path.join(this.root, 'data');
  }

  /** The URL of database `db` (TCP, so faults look like a remote server's). */
  url(db = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${db}`;
  }

  // Runs a PostgreSQL program without blocking the event loop (calls in flight go on meanwhile).
  private pgTool(tool: string, args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(
        path.join(PG_BIN, tool),
        args,
        { uid: this.user?.uid, gid: this.user?.gid, cwd: this.root, encoding: 'utf8', timeout: 120_000 },
        (err, stdout, stderr) => {
          if (err)
            reject(new Error(`${tool} failed (${err.code ?? err.signal}): ${stderr}${this.logTail()}`));
          else resolve(stdout);
        },
      );
    });
  }

  private logTail(): string {
    try {
      return `\n${fs.readFileSync(path.join(this.root, 'log'), 'utf8').split('\n').slice(-20).join('\n')}`;
    } catch {
      return '';
    }
  }

  private async startServer(): Promise<void> {
    const settings = { listen_addresses: '127.0.0.1', fsync: 'on', max_connections: '300', ...this.settings };
    const options = [
      `-k ${this.root} -p ${this.port}`,
      ...Object.entries(settings).map(([name, value]) => `-c ${name}=${value}`),
    ].join(' ');
    await this.pgTool('pg_ctl', [
      'start',
      '-w',
      '-t',
      '60',
      '-D',
      this.data,
      '-l',
      path.join(this.root, 'log'),
      '-o',
      options,
    ]);
  }

  /** Starts the server again after `stop`. */
  async restart(): Promise<void> {
    await this.startServer();
  }

  /** Stops the server at once, as a crash would (`pg_ctl stop -m immediate`). */
  async stop(): Promise<void> {
    this.thaw();
    await this.pgTool('pg_ctl', ['stop', '-m', 'immediate', '-w', '-D', this.data]);
  }

  // The postmaster and every process it started.
  private processes(): number[] {
    let postmaster: number;
    try {
      postmaster = Number(fs.readFileSync(path.join(this.data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    } catch {
      return [];
    }
    const pids = [postmaster];
    for (const entry of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
        // Fields after the parenthesised command name: state, ppid, …
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        if (ppid === postmaster) pids.push(Number(entry));
      } catch {
        // The process ended while we looked.
      }
    }
    return pids;
  }

  private signalAll(signal: NodeJS.Signals): void {
    for (const pid of this.processes()) {
      try {
        process.kill(pid, signal);
      } catch {
        // Already gone.
      }
    }
  }

  /** Kills the server and every process it started with SIGKILL (frozen or not): a crash. */
  async crash(): Promise<void> {
    const pids = this.processes();
    this.signalAll('SIGKILL');
    await waitFor(() => !pids.some(alive), 'PostgreSQL to die');
    // A killed postmaster may stay a zombie (nothing reaps it in a container), and a new one
    // would take its lock files for a live server's: the server is dead, so they go.
    fs.rmSync(path.join(this.data, 'postmaster.pid'), { force: true });
    fs.rmSync(path.join(this.root, `.s.PGSQL.${this.port}.lock`), { force: true });
  }

  /** Freezes the server (SIGSTOP to the postmaster and its children): connections hang. */
  freeze(): void {
    this.signalAll('SIGSTOP');
  }

  /** Thaws a frozen server (SIGCONT). */
  thaw(): void {
    this.signalAll('SIGCONT');
  }

  /** Runs `sql` in database `db` on a short-lived connection. */
  async sql<R extends pg.QueryResultRow = pg.QueryResultRow>(
    sql: string,
    values: unknown[] = [],
    db = 'postgres',
  ): Promise<R[]> {
    const client = new pg.Client({ connectionString: this.url(db) });
    await client.connect();
    try {
      return (await client.query<R>(sql, values)).rows;
    } finally {
      await client.end();
    }
  }

  /** Creates database `name`, copied from `template` when given (much faster than migrating it). */
  async createDatabase(name: string, template?: string): Promise<string> {
    await this.sql(`CREATE DATABASE "${name}"${template ? ` TEMPLATE "${template}"` : ''}`);
    return this.url(name);
  }

  /** Drops database `name`, disconnecting whoever still uses it. */
  async dropDatabase(name: string): Promise<void> {
    await this.sql(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  }

  /** Stops the server and removes its folder. */
  async close(): Promise<void> {
    this.destroySync();
  }

  /** Synchronous stop and removal (for process exit). */
  destroySync(): void {
    if (!running.delete(this)) return;
    this.thaw();
    spawnSync(path.join(PG_BIN, 'pg_ctl'), ['stop', '-m', 'immediate', '-w', '-D', this.data], {
      uid: this.user?.uid,
      gid: this.user?.gid,
      cwd: this.root,
      timeout: 30_000,
    });
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}
