// nginx as the baseline web server: Debian's nginx-light (WebDAV PUT) with a generated config in a
// temporary folder, on a free loopback port, running in the foreground as the current user.

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { removeDir, trackChild, trackDir } from './cleanup.js';
import { aptInstall, freePort, procCpu } from './proc.js';

const NGINX = '/usr/sbin/nginx';

/** Finds nginx, installing nginx-light with apt-get if it is missing and we are root. */
export async function ensureNginx(log: (m: string) => void): Promise<string | undefined> {
  if (existsSync(NGINX)) return NGINX;
  const why = await aptInstall('nginx-light', log);
  if (!why && existsSync(NGINX)) return NGINX;
  log(`could not install nginx-light (${why ?? 'no nginx after install'}): the nginx rows are skipped`);
  return undefined;
}

/** A running nginx. */
export interface Nginx {
  url: string;
  /** The folder nginx serves (and WebDAV PUTs land in). */
  root: string;
  /** CPU seconds nginx (master and workers) has used so far. */
  cpu(): number;
  stop(): Promise<void>;
}

/** Starts nginx serving (and accepting WebDAV PUT into) a fresh temporary root. */
export async function startNginx(binary: string): Promise<Nginx> {
  const dir = trackDir(await fs.mkdtemp(path.join(os.tmpdir(), 'dfs-bench-nginx-')));
  const root = path.join(dir, 'www');
  await fs.mkdir(root);
  const port = await freePort();
  const asRoot = process.getuid?.() === 0;
  const temp = (name: string) => `${name}_temp_path ${path.join(dir, name)};`;
  // daemon off keeps nginx our child; workers run as the current user so they can write the root.
  const conf = `
daemon off;
${asRoot ? 'user root;' : ''}
worker_processes ${Math.max(1, os.availableParallelism())};
pid ${path.join(dir, 'nginx.pid')};
error_log ${path.join(dir, 'error.log')} warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000;
  default_type application/octet-stream;
  ${temp('client_body')}
  ${temp('proxy')}
  ${temp('fastcgi')}
  ${temp('uwsgi')}
  ${temp('scgi')}
  server {
    listen 127.0.0.1:${port};
    root ${root};
    location / {
      dav_methods PUT DELETE MKCOL;
      create_full_put_path on;
      dav_access user:rw group:r all:r;
      client_max_body_size 0;
    }
  }
}
`;
  const confFile = path.join(dir, 'nginx.conf');
  await fs.writeFile(confFile, conf);
  const child: ChildProcess = trackChild(
    spawn(binary, ['-p', dir, '-c', confFile, '-e', path.join(dir, 'error.log')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    }),
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) {
      const log = await fs.readFile(path.join(dir, 'error.log'), 'utf8').catch(() => '');
      throw new Error(`nginx exited ${child.exitCode}: ${stderr}${log}`);
    }
    try {
      await fetch(`${url}/`);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`nginx did not start: ${stderr}`);
      await sleep(50);
    }
  }
  const cpu = () => {
    const pid = child.pid ?? 0;
    let children: number[] = [];
    try {
      children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).map(Number);
    } catch {
      // gone
    }
    return [pid, ...children].reduce((sum, p) => sum + (procCpu(p) || 0), 0);
  };
  return {
    url,
    root,
    cpu,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      removeDir(dir);
    },
  };
}
