// `dfs up`: a whole local cluster (master, storage nodes, web client) as one process tree.

import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateSecret } from '../protocol/auth.js';
import { DfsError } from '../protocol/errors.js';
import { command } from './context.js';
import type { Running } from './main.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/dfs.js');

/** Reads the cluster secret from the data folder, creating it (mode 0600) on first start. */
export async function clusterSecret(data: string): Promise<string> {
  const file = path.join(data, 'secret');
  try {
    return (await fs.readFile(file, 'utf8')).trim();
  } catch {
    const secret = generateSecret();
    await fs.mkdir(data, { recursive: true });
    await fs.writeFile(file, `${secret}\n`, { mode: 0o600 });
    return secret;
  }
}

/** `dfs up`. */
export function upCommand(started: (running: Running) => void) {
  return command('up', 'start a local cluster: master, storage nodes and web client')
    .option('--data <dir>', 'data folder', 'dfs-data')
    .option('--port <port>', 'master port; nodes take the next ports', '5000')
    .option('--client-port <port>', 'web client port', '5003')
    .option('--nodes <n>', 'number of storage nodes', '2')
    .option('--host <host>', 'address every daemon binds', '127.0.0.1')
    .option('--chunk-size <bytes>', 'largest chunk, passed to the master')
    .option('--replication <n>', 'replicas per chunk, passed to the master')
    .action(async (flags) => {
      const count = Number(flags.nodes);
      const port = Number(flags.port);
      const clientPort = Number(flags.clientPort);
      if (!Number.isInteger(count) || count < 1 || count > 32)
        throw new DfsError('bad_request', '--nodes must be 1 to 32');
      if (!Number.isInteger(port) || port < 1 || port > 65000)
        throw new DfsError('bad_request', '--port must be a port number');
      const data = path.resolve(flags.data);
      const secret = process.env.DFS_SECRET || (await clusterSecret(data));
      const env = { ...process.env, DFS_SECRET: secret };
      const host = flags.host as string;
      const masterUrl = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
      const children: ChildProcess[] = [];
      const launch = (name: string, args: string[]) => {
        const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'inherit', 'pipe'] });
        child.stderr?.on('data', (d: Buffer) => {
          for (const line of d.toString().split('\n')) if (line) process.stderr.write(`[${name}] ${line}\n`);
        });
        children.push(child);
        return child;
      };
      launch('master', [
        'master',
        '--port',
        String(port),
        '--host',
        host,
        '--data',
        path.join(data, 'master'),
        ...masterExtras(flags),
      ]);
      let nodePort = port + 1;
      for (let i = 1; i <= count; i++, nodePort++) {
        if (nodePort === clientPort) nodePort++;
        launch(`node${i}`, [
          'node',
          '--port',
          String(nodePort),
          '--host',
          host,
          '--data',
          path.join(data, `node${i}`),
          '--master',
          masterUrl,
        ]);
      }
      launch('client', ['client', '--port', String(clientPort), '--host', host, '--master', masterUrl]);
      process.stderr.write(
        `dfs up: master ${masterUrl}, ${count} node(s), web client http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${clientPort} — data in ${data}; Ctrl-C stops\n`,
      );
      const exits = children.map((c) => new Promise<void>((resolve) => c.once('exit', () => resolve())));
      let stopping = false;
      const close = async () => {
        stopping = true;
        for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
        await Promise.all(exits);
      };
      // One daemon dying (a port in use, say) brings the whole cluster down with an error.
      const done = Promise.race(exits).then(async () => {
        if (stopping) return;
        await close();
        throw new DfsError('internal', 'a daemon exited; the cluster was stopped (see the log above)');
      });
      started({ close, done });
    });
}

function masterExtras(flags: { chunkSize?: string; replication?: string }): string[] {
  const extras: string[] = [];
  if (flags.chunkSize) extras.push('--chunk-size', flags.chunkSize);
  if (flags.replication) extras.push('--replication', flags.replication);
  return extras;
}
