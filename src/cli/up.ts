// `dfs up`: a whole local cluster (master, storage nodes, web client, S3 gateway) as one process tree.

import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULTS, masterConfig } from '../config.js';
import { generateSecret } from '../protocol/auth.js';
import { DfsError } from '../protocol/errors.js';
import { generateKeyPair, parseCredentialsFile } from '../s3/credentials.js';
import { clientFrom, command } from './context.js';
import { launchDaemon, type Ready } from './launch.js';
import type { Running } from './main.js';

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

/**
 * The S3 key pair of a local cluster: `s3-credentials` in the data folder (mode 0600), made with
 * a fresh pair on first start and kept afterwards.
 */
export async function s3Credentials(
  data: string,
): Promise<{ file: string; accessKey: string; secretKey: string }> {
  const file = path.join(data, 's3-credentials');
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    const pair = generateKeyPair();
    await fs.mkdir(data, { recursive: true });
    text = `# S3 key pairs of this dfs cluster, one "ACCESS_KEY SECRET_KEY" a line\n${pair.accessKey} ${pair.secretKey}\n`;
    await fs.writeFile(file, text, { mode: 0o600 });
  }
  const [first] = parseCredentialsFile(text, file);
  if (!first) throw new DfsError('bad_request', `${file} holds no S3 key pair`);
  return { file, accessKey: first[0], secretKey: first[1] };
}

/** How to use the S3 gateway of a local cluster: an aws line and an rclone line. */
export function s3Usage(url: string, accessKey: string, secretKey: string): string {
  return (
    `dfs up: S3 gateway ${url} (region ${DEFAULTS.s3.region}); try:\n` +
    `  AWS_ACCESS_KEY_ID=${accessKey} AWS_SECRET_ACCESS_KEY=${secretKey} aws --endpoint-url ${url} --region ${DEFAULTS.s3.region} s3 ls\n` +
    `  rclone lsd ':s3,provider=Other,access_key_id=${accessKey},secret_access_key=${secretKey},endpoint="${url}":'\n`
  );
}

/** A child daemon, how it was started, and the URL it announced. */
interface Child {
  name: string;
  args: string[];
  process: ChildProcess;
  url: Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function launch(name: string, args: string[], env: NodeJS.ProcessEnv): Child {
  const child = launchDaemon(args, {
    env,
    stdout: 'inherit',
    onLine: (line) => process.stderr.write(`[${name}] ${line}\n`),
  });
  const url = child.ready.then(
    (ready) => ready.url,
    (err: Error) => {
      throw new DfsError('internal', `${err.message} (see the log above)`);
    },
  );
  url.catch(() => {});
  return { name, args, process: child.process, url, exited: child.exited };
}

// A daemon that fails while the cluster runs (killed, crashed) is started again, as a service
// manager would; one that fails more often than this in RESTART_WINDOW, or cannot start again,
// stops the cluster.
const RESTART_LIMIT = 3;
const RESTART_WINDOW = 60_000;

/** `args` with its `--port` value replaced by `port`. */
function onPort(args: string[], port: string): string[] {
  const at = args.indexOf('--port');
  return at < 0 ? args : [...args.slice(0, at + 1), port, ...args.slice(at + 2)];
}

/** `dfs up`. */
export function upCommand(started: (running: Running) => void) {
  return command('up', 'start a local cluster: master, storage nodes, web client and S3 gateway')
    .option('--data <dir>', 'data folder', DEFAULTS.up.data)
    .option(
      '--port <port>',
      'master port; nodes take the next ports (0: any free ports)',
      DEFAULTS.master.port,
    )
    .option('--client-port <port>', 'web client port', DEFAULTS.client.port)
    .option('--s3-port <port>', 'S3 gateway port', DEFAULTS.s3.port)
    .option('--nodes <n>', 'number of storage nodes', DEFAULTS.up.nodes)
    .option('--host <host>', 'address every daemon binds', DEFAULTS.daemon.host)
    .option(
      '--advertise-host <name>',
      'name or address other machines reach this one at (with --host 0.0.0.0): the master and nodes announce it',
    )
    .option('--chunk-size <bytes>', 'largest chunk, passed to the master')
    .option('--replication <n>', 'replicas per chunk, passed to the master')
    .action(async (flags) => {
      const count = Number(flags.nodes);
      const port = Number(flags.port);
      const clientPort = port === 0 ? 0 : Number(flags.clientPort);
      const s3Port = port === 0 ? 0 : Number(flags.s3Port);
      if (!Number.isInteger(count) || count < 1 || count > 32) {
        throw new DfsError('bad_request', '--nodes must be 1 to 32');
      }
      if (!Number.isInteger(port) || port < 0 || port > 65000) {
        throw new DfsError('bad_request', '--port must be a port number');
      }
      // The master's flags are checked before anything is written to the data folder.
      masterConfig({ chunkSize: flags.chunkSize, replication: flags.replication }, {});
      const advertised = advertiser(flags.advertiseHost as string | undefined, port, flags.host as string);
      const data = path.resolve(flags.data);
      const existing = await fs.stat(data).catch(() => undefined);
      if (existing && !existing.isDirectory())
        throw new DfsError('bad_request', `--data ${data} is not a folder`);
      const secret = process.env.DFS_SECRET || (await clusterSecret(data));
      const keys = await s3Credentials(data);
      const env = { ...process.env, DFS_SECRET: secret };
      const host = flags.host as string;
      const children: Child[] = [];
      let stopping = false;
      let ready: Omit<Ready, 'event'> | undefined;
      const close = async () => {
        stopping = true;
        for (const c of children)
          if (c.process.exitCode === null && c.process.signalCode === null) c.process.kill('SIGTERM');
        await Promise.all(children.map((c) => c.exited));
      };
      const start = (name: string, args: string[]) => {
        const child = launch(name, args, env);
        children.push(child);
        return child;
      };
      // Starts child `i` again each time it dies, on the port it had (the others know it by it);
      // resolves when the cluster stops, fails when the child dies too often or cannot start.
      const watch = async (i: number): Promise<void> => {
        const deaths: number[] = [];
        for (;;) {
          const child = children[i] as Child;
          const port = new URL(await child.url).port;
          const { code, signal } = await child.exited;
          if (stopping) return;
          const how = signal ? `killed by ${signal}` : `exit code ${code}`;
          // A clean exit is a daemon asked to stop (SIGTERM, SIGINT): not a failure to undo.
          if (code === 0)
            throw new DfsError(
              'internal',
              `${child.name} exited (${how}); the cluster was stopped (see the log above)`,
            );
          const now = Date.now();
          deaths.push(now);
          while ((deaths[0] as number) < now - RESTART_WINDOW) deaths.shift();
          if (deaths.length > RESTART_LIMIT)
            throw new DfsError(
              'internal',
              `${child.name} exited (${how}), ${deaths.length} times in a minute; the cluster was stopped (see the log above)`,
            );
          process.stderr.write(`dfs up: ${child.name} exited (${how}); starting it again\n`);
          const again = launch(child.name, onPort(child.args, port), env);
          children[i] = again;
          const back = await again.url.catch((err: Error) => {
            if (stopping) return undefined;
            throw new DfsError(
              'internal',
              `${child.name} exited (${how}) and did not start again: ${err.message}; the cluster was stopped`,
            );
          });
          if (back) process.stderr.write(`dfs up: ${child.name} is back on ${back}\n`);
        }
      };
      try {
        const master = start('master', [
          'master',
          '--port',
          String(port),
          '--host',
          host,
          '--data',
          path.join(data, 'master'),
          ...advertised(port),
          ...masterExtras(flags),
        ]);
        const masterUrl = await master.url;
        let nodePort = port === 0 ? 0 : port + 1;
        for (let i = 1; i <= count; i++) {
          while (nodePort !== 0 && (nodePort === clientPort || nodePort === s3Port)) nodePort++;
          const args = [
            'node',
            '--port',
            String(nodePort),
            '--host',
            host,
            '--data',
            path.join(data, `node${i}`),
            '--master',
            masterUrl,
            ...advertised(nodePort),
          ];
          start(`node${i}`, args);
          if (nodePort !== 0) nodePort++;
        }
        start('client', ['client', '--port', String(clientPort), '--host', host, '--master', masterUrl]);
        start('s3', [
          's3',
          ...['--port', String(s3Port), '--host', host, '--master', masterUrl, '--credentials', keys.file],
        ]);
        const urls = await Promise.all(children.map((c) => c.url));
        const missing = await unregistered(
          masterUrl,
          children.slice(1, count + 1).map((c, i) => ({ name: c.name, url: urls[i + 1] as string })),
        );
        if (missing.length > 0)
          process.stderr.write(
            `dfs up: ${missing.join(', ')} not registered with the master within ${REGISTER_WAIT / 1000} s; starting anyway\n`,
          );
        const [clientUrl, s3Url] = urls.slice(-2) as [string, string];
        process.stderr.write(
          `dfs up: master ${masterUrl}, nodes ${urls.slice(1, -2).join(' ')}, web client ${clientUrl}\n` +
            s3Usage(s3Url, keys.accessKey, keys.secretKey) +
            `dfs up: data in ${data} (S3 keys in ${keys.file}); open ${clientUrl} in a browser; Ctrl-C stops the cluster\n`,
        );
        ready = {
          daemon: 'up',
          url: clientUrl,
          urls: Object.fromEntries(children.map((c, i) => [c.name, urls[i] as string])),
        };
      } catch (err) {
        await close();
        throw err;
      }
      // A daemon dying too often, or unable to start again (its port taken, say), brings the
      // whole cluster down with an error.
      const done = Promise.all(children.map((_, i) => watch(i))).then(
        () => undefined,
        async (err) => {
          await close();
          throw err;
        },
      );
      started({ close, done, ready });
    });
}

// How long `dfs up` waits for its nodes to register with the master before it says it is ready.
const REGISTER_WAIT = 30_000;

/**
 * Waits until the master counts each of `nodes` alive and registered (a node listens a moment
 * before it has registered): the cluster takes uploads once `dfs up` says it is ready. Returns the
 * names of those not registered within `wait` ms. A node is known by its port (the master lists
 * it under its advertised address).
 */
export async function unregistered(
  masterUrl: string,
  nodes: { name: string; url: string }[],
  wait = REGISTER_WAIT,
): Promise<string[]> {
  const sdk = clientFrom({ master: masterUrl });
  const port = (url: string) => new URL(url).port;
  const deadline = Date.now() + wait;
  for (;;) {
    const listed = await sdk.nodes().catch(() => []);
    const ready = new Set(
      listed.filter((n) => n.state === 'alive' && n.capacity > 0).map((n) => port(n.url)),
    );
    const missing = nodes.filter((n) => !ready.has(port(n.url))).map((n) => n.name);
    if (missing.length === 0 || Date.now() >= deadline) return missing;
    await sleep(100);
  }
}

/**
 * The `--advertise` flags of a daemon on `port` when the cluster is announced under the name
 * `host`: the master and the nodes tell clients elsewhere where to reach them (what they bind,
 * 0.0.0.0, is no address to reach). Fixed ports only: a port chosen at start is not known here.
 */
function advertiser(host: string | undefined, port: number, bound: string): (daemonPort: number) => string[] {
  if (host === undefined) return () => [];
  if (port === 0) throw new DfsError('bad_request', '--advertise-host needs fixed ports (not --port 0)');
  // Bound to loopback, the daemons answer no other machine, whatever name they announce.
  if (/^(127\.|localhost$|::1$)/.test(bound))
    throw new DfsError(
      'bad_request',
      `--advertise-host needs --host to be an address others reach (0.0.0.0), not ${bound}`,
    );
  if (!/^[\w.-]+$|^[0-9a-f:]+$/i.test(host))
    throw new DfsError('bad_request', `--advertise-host ${host} is not a host name or address`);
  const name = host.includes(':') ? `[${host}]` : host;
  return (daemonPort) => ['--advertise', `http://${name}:${daemonPort}`];
}

function masterExtras(flags: { chunkSize?: string; replication?: string }): string[] {
  const extras: string[] = [];
  if (flags.chunkSize) extras.push('--chunk-size', flags.chunkSize);
  if (flags.replication) extras.push('--replication', flags.replication);
  return extras;
}
