// `dfs master`, `dfs node`, `dfs client`, `dfs s3`: start one daemon in this process.

import type { Command } from 'commander';
import {
  clientConfig,
  type DaemonConfig,
  DEFAULTS,
  MASTER_FLAG_HELP,
  masterConfig,
  nodeConfig,
  s3Config,
} from '../config.js';
import type { Logger } from '../http/errors.js';
import { createLogger } from '../http/log.js';
import { command, inheritGlobalOptions } from './context.js';
import type { Running } from './main.js';

/** The log of a daemon in this process: text (as always) or JSON lines, on standard error. */
function daemonLog(daemon: string, config: Readonly<DaemonConfig>): Logger {
  return createLogger({ daemon, format: config.logFormat });
}

/**
 * Starts daemon `daemon` with `start` (its log to hand), logs where it listens (`label` names
 * it there) and hands it to `started` with what to report ready.
 */
async function run<R extends Running & { url: string; id?: string }>(
  daemon: string,
  config: Readonly<DaemonConfig>,
  start: (log: Logger) => Promise<R>,
  label: (running: R) => string,
  started: (running: Running) => void,
): Promise<void> {
  const log = daemonLog(daemon, config);
  const running = await start(log);
  const { url, id } = running;
  log(`${label(running)} listening on ${url}`, id === undefined ? { url } : { node: id, url });
  started({ ...running, ready: id === undefined ? { daemon, url } : { daemon, url, id } });
}

/** The options every daemon takes to listen (and --master/--token from before the command). */
function listening(cmd: Command, port: string): Command {
  const D = DEFAULTS.daemon;
  return inheritGlobalOptions(cmd)
    .option('--port <port>', 'port to listen on (0: any free port)', port)
    .option('--host <host>', 'address to bind', D.host)
    .option('--headers-timeout <seconds>', 'time a client has to send its request headers', D.headersTimeout)
    .option('--metrics-public', 'serve /metrics without the access token')
    .option(
      '--log-format <format>',
      'text, or json: one JSON object a line (default: $DFS_LOG_FORMAT or text)',
    );
}

/** The daemon commands; `started` receives each running daemon. */
export function daemonCommands(started: (running: Running) => void) {
  const M = DEFAULTS.master;
  const N = DEFAULTS.node;
  const master = listening(command('master', 'run the master (metadata, placement, repair)'), M.port)
    .option('--data <dir>', 'metadata folder (LMDB, the default store)', M.data)
    .option('--meta <url>', 'keep the metadata in PostgreSQL, shared by several masters (default: $DFS_META)')
    .option('--advertise <url>', 'URL other daemons reach this master at (default: http://HOST:PORT)')
    .option('--lease-timeout <seconds>', 'time a leader keeps its lease without renewing it', M.leaseTimeout)
    .option('--chunk-size <bytes>', 'largest chunk, e.g. 8MiB', M.chunkSize)
    .option('--replication <n>', 'replicas per chunk', M.replication)
    .option('--heartbeat-timeout <seconds>', 'silence before a node is dead', M.heartbeatTimeout)
    .option('--gc-grace <seconds>', 'age before unreferenced chunks are collected', M.gcGrace)
    .option('--max-file-size <bytes>', 'largest file accepted', M.maxFileSize)
    .option('--token-ttl <seconds>', 'lifetime of write tokens (and of an idle upload)', M.tokenTtl)
    .option('--secret <secret>', 'cluster secret (default: $DFS_SECRET)')
    .option('--token <token>', 'access token for the client API (default: $DFS_TOKEN)')
    .action(async (flags) => {
      // Daemon code is loaded only when a daemon starts: client commands stay light.
      const { startMaster } = await import('../master/master.js');
      const config = masterConfig(flags);
      await run(
        'master',
        config,
        (log) => startMaster(config, log),
        () => 'master',
        started,
      );
    });

  const node = listening(command('node', 'run a storage node'), N.port)
    .option('--data <dir>', 'chunk folder (default: dfs-data/node-PORT)')
    .option('--master <url>', MASTER_FLAG_HELP)
    .option('--advertise <url>', 'URL others reach this node at (default: http://HOST:PORT)')
    .option('--heartbeat-interval <seconds>', 'time between heartbeats', N.heartbeatInterval)
    .option('--scrub-interval <seconds>', 'time between scrub passes (0 = off)', N.scrubInterval)
    .option('--scrub-rate <bytes>', 'most bytes per second the scrubber reads', N.scrubRate)
    .option('--reserve <bytes>', 'disk space kept free: not offered for chunks', N.reserve)
    .option(
      '--pack-limit <bytes>',
      'chunks up to this size go to pack files (0: a file per chunk)',
      N.packLimit,
    )
    .option('--secret <secret>', 'cluster secret (default: $DFS_SECRET)')
    .option('--token <token>', 'access token for chunk reads (default: $DFS_TOKEN)')
    .action(async (flags) => {
      const { startNode } = await import('../node/node.js');
      const config = nodeConfig(flags);
      await run(
        'node',
        config,
        (log) => startNode(config, log),
        (r) => `node ${r.id}`,
        started,
      );
    });

  const client = listening(command('client', 'run the web client (file browser)'), DEFAULTS.client.port)
    .option('--master <url>', MASTER_FLAG_HELP)
    // It signs nothing today; taken so that one set of flags (or $DFS_SECRET) fits every daemon.
    .option('--secret <secret>', 'cluster secret (default: $DFS_SECRET)')
    .option('--token <token>', 'access token (default: $DFS_TOKEN)')
    .action(async (flags) => {
      const { startClient } = await import('../client/client.js');
      const config = clientConfig(flags);
      await run(
        'client',
        config,
        (log) => startClient(config, log),
        () => 'web client',
        started,
      );
    });

  const s3 = listening(
    command('s3', 'run the S3 gateway (aws cli, rclone, s3cmd, boto3, AWS SDKs)'),
    DEFAULTS.s3.port,
  )
    .option('--master <url>', MASTER_FLAG_HELP)
    .option('--region <region>', 'region clients sign for and buckets report', DEFAULTS.s3.region)
    .option('--access-key <key>', 'access key of a key pair (default: $DFS_S3_ACCESS_KEY)')
    .option('--secret-key <secret>', 'its secret key (default: $DFS_S3_SECRET_KEY)')
    .option('--credentials <file>', 'file of key pairs, one "ACCESS_KEY SECRET_KEY" a line')
    .option(
      '--domain <domain...>',
      'domain for virtual-hosted-style requests (BUCKET.DOMAIN); repeatable or comma-separated',
    )
    .option('--secret <secret>', 'cluster secret (default: $DFS_SECRET)')
    .option('--token <token>', 'access token of the cluster (default: $DFS_TOKEN)')
    .action(async (flags) => {
      const { startS3Gateway } = await import('../s3/gateway.js');
      const config = s3Config(flags);
      await run(
        's3',
        config,
        (log) => startS3Gateway(config, log),
        () => 's3 gateway',
        started,
      );
    });

  return [master, node, client, s3];
}
