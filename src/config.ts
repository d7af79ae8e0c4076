// Defaults, flags and environment merged once into typed, frozen configuration objects.

import { DfsError } from './protocol/errors.js';
import { MAX_CHUNK_SIZE } from './protocol/limits.js';

const MiB = 1024 * 1024;

/**
 * Every option's default, in the form a user types it: the command line shows these in its help
 * and the configuration builders below fall back to them, so each is defined here only. (Two are
 * settings with no flag: `seriesStep` and `repairConcurrency`.)
 */
export const DEFAULTS = {
  masterUrl: 'http://localhost:5000',
  daemon: { host: '127.0.0.1', headersTimeout: '10', seriesStep: '10' },
  master: {
    port: '5000',
    data: 'dfs-data/master',
    leaseTimeout: '10',
    chunkSize: '8MiB',
    replication: '2',
    heartbeatTimeout: '10',
    gcGrace: '600',
    maxFileSize: '1TiB',
    repairConcurrency: '4',
    tokenTtl: '600',
  },
  node: {
    port: '5001',
    heartbeatInterval: '2',
    scrubInterval: '3600',
    scrubRate: '64MiB',
    reserve: '64MiB',
    packLimit: '64KiB',
  },
  up: { data: 'dfs-data', nodes: '2' },
  client: { port: '5003' },
  s3: { port: '5004', region: 'us-east-1' },
} as const;

/** Options every daemon shares. */
export interface DaemonConfig {
  /** Address to bind; default 127.0.0.1 (set 0.0.0.0 to serve other machines). */
  host: string;
  /** Port to listen on; 0 picks a free one. */
  port: number;
  /** Shared secret of the cluster ($DFS_SECRET); '' means an open cluster. */
  secret: string;
  /** Access token for client-facing routes ($DFS_TOKEN); '' means no token needed. */
  token: string;
  /** Time a client has to send its request headers before it is cut off, ms; default 10 s. */
  headersTimeout: number;
  /** Serve `/metrics` without the access token; default false (it needs the token when one is set). */
  metricsPublic: boolean;
  /** Log lines as readable text or one JSON object a line ($DFS_LOG_FORMAT); default text. */
  logFormat: LogFormat;
  /** One log line per request: on with the JSON format or $DFS_DEBUG; default off. */
  accessLog: boolean;
  /** Time between two points of the pages' charts, ms; default 10 s (360 points: an hour). */
  seriesStep: number;
}

/** How a daemon writes its log. */
export type LogFormat = 'text' | 'json';

/** The master's configuration. */
export interface MasterConfig extends DaemonConfig {
  /** Folder of the metadata database (LMDB, the default store). */
  data: string;
  /** PostgreSQL URL of a shared metadata store ($DFS_META); '' keeps LMDB in `data`. */
  meta: string;
  /** URL other daemons reach this master at; default derived from host and port. */
  advertise: string;
  /** Time a leader keeps its lease without renewing it, ms; default 10 s. */
  leaseTimeout: number;
  /** Largest chunk in bytes; default 8 MiB. */
  chunkSize: number;
  /** Replicas per chunk; default 2. */
  replication: number;
  /** Silence after which a node is dead, ms; default 10 s. */
  heartbeatTimeout: number;
  /** Age before an unreferenced chunk is collected, ms; default 10 min. */
  gcGrace: number;
  /** Largest file accepted, bytes; default 1 TiB. */
  maxFileSize: number;
  /** Most chunk copies the repairer keeps in flight per source node; default 4. */
  repairConcurrency: number;
  /** How long a write token lives, ms; default 10 min. */
  tokenTtl: number;
}

/** A storage node's configuration. */
export interface NodeConfig extends DaemonConfig {
  /** Folder holding this node's chunks. */
  data: string;
  /** Base URLs of every master (several share one PostgreSQL store). */
  masters: string[];
  /** URL others reach this node at; default derived from host and port. */
  advertise: string;
  /** Time between heartbeats, ms; default 2 s. */
  heartbeatInterval: number;
  /** Time between scrub passes, ms; 0 disables; default 1 h. */
  scrubInterval: number;
  /** Most bytes per second the scrubber reads; default 64 MiB/s. */
  scrubRate: number;
  /** Bytes kept free on the disk; default 64 MiB. */
  reserve: number;
  /** Chunks up to this size are appended to pack files (group commit); larger get a file; default 64 KiB. */
  packLimit: number;
}

/** The web client's configuration. */
export interface ClientConfig extends DaemonConfig {
  /** Base URLs of every master. */
  masters: string[];
}

/** The default master URLs: $DFS_MASTER (comma-separated), then http://localhost:5000. */
export function defaultMaster(env: NodeJS.ProcessEnv = process.env): string {
  return env.DFS_MASTER || DEFAULTS.masterUrl;
}

/** The help line of every `--master` flag. */
export const MASTER_FLAG_HELP = `master URL (default: $DFS_MASTER or ${DEFAULTS.masterUrl})`;

/** Parses a comma-separated list of master URLs. */
export function parseMasters(value: string): string[] {
  const urls = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((u) => parseBaseUrl(u, 'master URL'));
  if (urls.length === 0) throw new DfsError('bad_request', 'at least one master URL is needed');
  return [...new Set(urls)];
}

/** Parses `8MiB`, `512k`, `1g` or a plain byte count. */
export function parseSize(value: string | number, what = 'size'): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0)
      throw new DfsError('bad_request', `${what} must be a byte count`);
    return Math.floor(value);
  }
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?\s*$/i.exec(value);
  if (!match)
    throw new DfsError('bad_request', `${what} must be a number of bytes like 8MiB, got "${value}"`);
  const units: Record<string, number> = { '': 1, k: 1024, m: MiB, g: 1024 * MiB, t: 1024 * 1024 * MiB };
  return Math.floor(Number(match[1]) * (units[(match[2] ?? '').toLowerCase()] ?? 1));
}

/** Parses a count of seconds (fractions allowed) into ms. */
export function parseSeconds(value: string | number, what = 'seconds'): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n) || n < 0) throw new DfsError('bad_request', `${what} must be a number of seconds`);
  return Math.round(n * 1000);
}

// The longest delay a Node timer takes: a longer one fires at once (so a monthly scrub ran back to back).
const MAX_TIMER_MS = 2 ** 31 - 1;

/** parseSeconds for a duration that paces a timer: at most 2,147,483 s (24.8 days). */
export function timerSeconds(value: string | number, what: string): number {
  const ms = parseSeconds(value, what);
  if (ms > MAX_TIMER_MS)
    throw new DfsError(
      'bad_request',
      `${what} must be at most ${Math.floor(MAX_TIMER_MS / 1000)} seconds (24.8 days)`,
    );
  return ms;
}

/** Parses a TCP port. */
export function parsePort(value: string | number): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new DfsError('bad_request', `invalid port "${value}"`);
  return n;
}

/** Checks a base URL of another daemon: http(s) only, no credentials, no trailing slash. */
export function parseBaseUrl(value: string, what = 'URL'): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new DfsError('bad_request', `${what} is not a valid URL: "${value}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new DfsError('bad_request', `${what} must be http or https: "${value}"`);
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new DfsError('bad_request', `${what} must be a plain base URL: "${value}"`);
  }
  return url.href.replace(/\/+$/, '');
}

/** Parses a log format: `text` or `json`. */
export function parseLogFormat(value: unknown): LogFormat {
  if (value === 'text' || value === 'json') return value;
  throw new DfsError('bad_request', `log format must be text or json, got "${String(value)}"`);
}

function daemon(flags: Partial<Record<string, unknown>>, env: NodeJS.ProcessEnv, port: string): DaemonConfig {
  const logFormat = parseLogFormat(flags.logFormat ?? (env.DFS_LOG_FORMAT || 'text'));
  return {
    host: String(flags.host ?? DEFAULTS.daemon.host),
    port: parsePort((flags.port as string | number | undefined) ?? port),
    secret: String(flags.secret ?? env.DFS_SECRET ?? ''),
    token: String(flags.token ?? env.DFS_TOKEN ?? ''),
    headersTimeout: positive(
      timerSeconds(
        (flags.headersTimeout as string | undefined) ?? DEFAULTS.daemon.headersTimeout,
        'headers timeout',
      ),
      'headers timeout',
    ),
    metricsPublic: flags.metricsPublic === true || flags.metricsPublic === 'true',
    logFormat,
    accessLog: logFormat === 'json' || Boolean(env.DFS_DEBUG),
    seriesStep: positive(
      timerSeconds(
        (flags.seriesStep as string | number | undefined) ?? DEFAULTS.daemon.seriesStep,
        'series step',
      ),
      'series step',
    ),
  };
}

function positive(n: number, what: string): number {
  if (!(n > 0)) throw new DfsError('bad_request', `${what} must be more than zero`);
  return n;
}

type Flags = Partial<Record<string, unknown>>;

/** Builds the master's configuration from flags (strings or numbers) and the environment. */
export function masterConfig(flags: Flags, env: NodeJS.ProcessEnv = process.env): Readonly<MasterConfig> {
  const M = DEFAULTS.master;
  const config: MasterConfig = {
    ...daemon(flags, env, M.port),
    data: String(flags.data ?? M.data),
    meta: String(flags.meta ?? env.DFS_META ?? ''),
    advertise: flags.advertise ? parseBaseUrl(String(flags.advertise), 'advertise URL') : '',
    leaseTimeout: timerSeconds((flags.leaseTimeout as string | undefined) ?? M.leaseTimeout, 'lease timeout'),
    chunkSize: parseSize((flags.chunkSize as string | undefined) ?? M.chunkSize, 'chunk size'),
    replication: Number(flags.replication ?? M.replication),
    heartbeatTimeout: parseSeconds(
      (flags.heartbeatTimeout as string | undefined) ?? M.heartbeatTimeout,
      'heartbeat timeout',
    ),
    gcGrace: parseSeconds((flags.gcGrace as string | undefined) ?? M.gcGrace, 'gc grace'),
    maxFileSize: parseSize((flags.maxFileSize as string | undefined) ?? M.maxFileSize, 'max file size'),
    repairConcurrency: Number(flags.repairConcurrency ?? M.repairConcurrency),
    tokenTtl: parseSeconds((flags.tokenTtl as string | undefined) ?? M.tokenTtl, 'token ttl'),
  };
  if (config.chunkSize < 1024 || config.chunkSize > MAX_CHUNK_SIZE) {
    throw new DfsError('bad_request', 'chunk size must be between 1KiB and 256MiB');
  }
  if (!Number.isInteger(config.replication) || config.replication < 1 || config.replication > 16) {
    throw new DfsError('bad_request', 'replication must be an integer from 1 to 16');
  }
  if (config.heartbeatTimeout < 100) throw new DfsError('bad_request', 'heartbeat timeout is too short');
  if (!Number.isInteger(config.repairConcurrency) || config.repairConcurrency < 1) {
    throw new DfsError('bad_request', 'repair concurrency must be a positive integer');
  }
  positive(config.tokenTtl, 'token ttl');
  if (config.leaseTimeout < 500) throw new DfsError('bad_request', 'lease timeout is too short');
  if (config.meta && !/^postgres(ql)?:\/\//.test(config.meta))
    throw new DfsError('bad_request', '--meta must be a postgres:// URL');
  positive(config.maxFileSize, 'max file size');
  return Object.freeze(config);
}

/** Builds a storage node's configuration. */
export function nodeConfig(flags: Flags, env: NodeJS.ProcessEnv = process.env): Readonly<NodeConfig> {
  const N = DEFAULTS.node;
  const base = daemon(flags, env, N.port);
  const masters = parseMasters(String(flags.master ?? defaultMaster(env)));
  const advertise = flags.advertise ? parseBaseUrl(String(flags.advertise), 'advertise URL') : '';
  return Object.freeze({
    ...base,
    data: String(flags.data ?? `dfs-data/node-${base.port}`),
    masters,
    advertise,
    heartbeatInterval: timerSeconds(
      (flags.heartbeatInterval as string | undefined) ?? N.heartbeatInterval,
      'heartbeat interval',
    ),
    scrubInterval: timerSeconds(
      (flags.scrubInterval as string | undefined) ?? N.scrubInterval,
      'scrub interval',
    ),
    scrubRate: parseSize((flags.scrubRate as string | undefined) ?? N.scrubRate, 'scrub rate'),
    reserve: parseSize((flags.reserve as string | undefined) ?? N.reserve, 'reserve'),
    packLimit: parseSize((flags.packLimit as string | undefined) ?? N.packLimit, 'pack limit'),
  });
}

/** Builds the web client's configuration. */
export function clientConfig(flags: Flags, env: NodeJS.ProcessEnv = process.env): Readonly<ClientConfig> {
  return Object.freeze({
    ...daemon(flags, env, DEFAULTS.client.port),
    masters: parseMasters(String(flags.master ?? defaultMaster(env))),
  });
}

/** The S3 gateway's configuration. */
export interface S3Config extends DaemonConfig {
  /** Base URLs of every master. */
  masters: string[];
  /** The region clients sign for and buckets report; default us-east-1. */
  region: string;
  /** Domains for virtual-hosted-style requests (`bucket.DOMAIN`); default none (path style only). */
  domains: string[];
  /** Access key of a single key pair (--access-key, $DFS_S3_ACCESS_KEY); '' for none. */
  accessKey: string;
  /** Its secret (--secret-key, $DFS_S3_SECRET_KEY). */
  secretKey: string;
  /** File of key pairs, one `ACCESS_KEY SECRET_KEY` a line (--credentials); '' for none. */
  credentials: string;
}

/** Builds the S3 gateway's configuration; at least one key pair (flags, environment or file) is required. */
export function s3Config(flags: Flags, env: NodeJS.ProcessEnv = process.env): Readonly<S3Config> {
  const region = String(flags.region ?? DEFAULTS.s3.region);
  if (!/^[a-z0-9-]{1,64}$/.test(region))
    throw new DfsError('bad_request', `--region must be a region name like us-east-1, got "${region}"`);
  const domains = [flags.domain ?? []]
    .flat()
    .flatMap((d) => String(d).split(','))
    .map((d) => d.trim().toLowerCase())
    .filter(Boolean);
  for (const d of domains)
    if (!/^[a-z0-9.-]+$/.test(d))
      throw new DfsError('bad_request', `--domain must be a host name, got "${d}"`);
  const accessKey = String(flags.accessKey ?? env.DFS_S3_ACCESS_KEY ?? '');
  const secretKey = String(flags.secretKey ?? env.DFS_S3_SECRET_KEY ?? '');
  if (Boolean(accessKey) !== Boolean(secretKey))
    throw new DfsError(
      'bad_request',
      'an S3 access key needs its secret key, and a secret key its access key',
    );
  const credentials = String(flags.credentials ?? '');
  if (!accessKey && !credentials)
    throw new DfsError(
      'bad_request',
      'the S3 gateway needs credentials: --access-key and --secret-key, $DFS_S3_ACCESS_KEY and $DFS_S3_SECRET_KEY, or --credentials FILE',
    );
  return Object.freeze({
    ...daemon(flags, env, DEFAULTS.s3.port),
    masters: parseMasters(String(flags.master ?? defaultMaster(env))),
    region,
    domains,
    accessKey,
    secretKey,
    credentials,
  });
}
