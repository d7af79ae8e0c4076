// The JSON shapes of the HTTP protocol, shared by daemons and clients (docs/PROTOCOL.md).

/** One chunk of a file, in file order. */
export interface ChunkRef {
  /** SHA-256 of the chunk's bytes, 64 lowercase hex digits. */
  id: string;
  size: number;
}

/** An immutable file manifest as the master stores it. */
export interface Manifest {
  path: string;
  size: number;
  /** SHA-256 of the whole file; '' when not known (a file assembled from S3 multipart parts). */
  sha256: string;
  /** The upload that committed this version (a resent commit of it is answered, not applied twice). */
  uploadId?: string;
  /** Grows with every committed version in the cluster: conditional writes and ETags use it. */
  generation: number;
  /** Milliseconds since the epoch when this version was committed (display and Last-Modified only). */
  created: number;
  contentType: string;
  /** User metadata: a string map of at most 2 KiB. */
  metadata: Record<string, string>;
  /** Protocol attributes (S3 headers and ETags, WebDAV dead properties). */
  attributes: Record<string, string>;
  chunks: ChunkRef[];
}

/** A chunk with where its replicas live, as returned by `GET /api/files/{path}`. */
export interface ChunkLocation extends ChunkRef {
  /** Offset of the chunk in the file. */
  offset: number;
  /** Base URLs of nodes holding a replica, live nodes first. */
  replicas: { nodeId: string; url: string; alive: boolean }[];
}

/** `GET /api/files/{path}`: the manifest with replica locations. */
export interface FileInfo extends Omit<Manifest, 'chunks'> {
  replication: number;
  /** The fewest live replicas any chunk has. */
  minReplicas: number;
  chunks: ChunkLocation[];
}

/** A row of `GET /api/files`: a file or a folder. */
export interface ListEntry {
  type: 'file' | 'dir';
  /** A folder's path ends in `/`. */
  path: string;
  name: string;
  size: number;
  /** Commit time of a file; creation time of an explicit folder (0 for an implied one). */
  created: number;
  /** Files: the version. */
  generation?: number;
  contentType?: string;
  metadata?: Record<string, string>;
  attributes?: Record<string, string>;
  sha256?: string;
  chunkCount?: number;
  /** Files, when asked with `health=1`: the fewest live replicas of any chunk. */
  minReplicas?: number;
}

/** `GET /api/files` */
export interface ListResponse {
  prefix: string;
  entries: ListEntry[];
  /** Set when more entries follow: pass it as `after` to continue. */
  next?: string;
}

/** `GET /api/config`: what a client must know to write. */
export interface ClusterConfig {
  chunkSize: number;
  replication: number;
  maxFileSize: number;
}

/** One chunk to place, in `POST /api/chunks/allocate`. */
export interface AllocateRequest {
  chunks: ChunkRef[];
  /** Node ids the client could not reach; the master avoids them. */
  exclude?: string[];
}

/** The master's answer for one chunk: already stored, or where to send it. */
export type Allocation =
  | { id: string; stored: true }
  | {
      id: string;
      stored: false;
      /** Pipeline order: send to the first, which forwards to the rest. */
      targets: { nodeId: string; url: string }[];
      token: string;
      expires: number;
    };

/** A node's proof that it durably stored a chunk. */
export interface Receipt {
  nodeId: string;
  chunkId: string;
  signature: string;
}

/** `POST /api/files`: commit a manifest. */
export interface CommitRequest {
  path: string;
  size: number;
  /** SHA-256 of the whole file ('' or absent: not known). */
  sha256?: string;
  chunks: ChunkRef[];
  receipts?: Receipt[];
  /** Default: guessed from the file name. */
  contentType?: string;
  metadata?: Record<string, string>;
  attributes?: Record<string, string>;
  /** Only commit if the current version has this generation (0: only if the path is free). */
  ifGeneration?: number;
  /** Only commit if the current version does not have this generation. */
  ifNotGeneration?: number;
}

/** What the master knows about a storage node. */
export interface NodeInfo {
  id: string;
  url: string;
  state: 'alive' | 'dead';
  /** Why the node takes no new chunks, when it cannot write (read-only disk). */
  writeError?: string;
  lastHeartbeat: number;
  capacity: number;
  /** Bytes it can still take: its disk's free space less its `--reserve`. */
  free: number;
  used: number;
  chunks: number;
  /** Last scrub summary reported by the node, if any. */
  scrub?: ScrubSummary;
}

/** A node's last scrub pass. */
export interface ScrubSummary {
  finished: number;
  checked: number;
  corrupt: number;
}

/** `GET /api/status`: cluster health at a glance. */
export interface ClusterStatus {
  nodes: { alive: number; dead: number };
  /** This master's role: the leader repairs and collects; a standby only serves. */
  role: 'leader' | 'standby';
  /** The leadership epoch: this master's when it leads, else the leader's as last seen (0 before). */
  epoch: number;
  /** After a start or a takeover: nodes yet to report their inventories (no repair or collection until then). */
  safeMode: { on: boolean; waitingFor: number };
  /**
   * Every master sharing the metadata store, and which one leads; `silent`: not heard from for a
   * lease timeout (stopped or cut off; a crashed master's lease is held until it times out).
   */
  masters: { id: string; url: string; leader: boolean; silent?: boolean }[];
  files: number;
  logicalBytes: number;
  /**
   * False while the metadata store does not answer (PostgreSQL down): `files` and `logicalBytes`
   * are the last read (absent from masters before this field).
   */
  metadataAnswering?: boolean;
  storedBytes: number;
  chunks: number;
  underReplicated: number;
  missing: number;
  corrupt: number;
  repairsInProgress: number;
  replication: number;
  events: ClusterEvent[];
}

/** One line of the master's recent-events log. */
export interface ClusterEvent {
  time: number;
  kind: string;
  message: string;
}

/** Node → master: `POST /internal/register`. */
export interface RegisterRequest {
  id: string;
  url: string;
  capacity: number;
  free: number;
  used: number;
  /** Every chunk id the node holds (its inventory, read from its disk). */
  chunks: string[];
  /** Set when the master asked for this inventory: the `inventory` stamp of that answer. */
  inventory?: number;
  /**
   * An inventory too large for one request goes in pages, in order from 0, each but the last
   * with `more`: the master applies it once the last page is in.
   */
  page?: number;
  more?: boolean;
}

/** A node's disk work since it started (running totals), for metrics and the master's charts. */
export interface NodeIo {
  /** Chunks written and made durable, and their bytes. */
  writes: number;
  bytesWritten: number;
  /** Chunk reads (for clients and repair copies; the scrubber's are apart), and their bytes. */
  reads: number;
  bytesRead: number;
  /** Chunk writes made durable by fsync (file and folder), and the seconds that took. */
  fsyncs: number;
  fsyncSeconds: number;
  /** Bytes re-hashed to check chunks (scrubs and checks a reader asked for). */
  scrubbedBytes: number;
  /** Copies found corrupt and quarantined. */
  corrupt: number;
}

/** Node → master: `POST /internal/heartbeat`. */
export interface HeartbeatRequest {
  id: string;
  capacity: number;
  free: number;
  used: number;
  chunks: number;
  scrub?: ScrubSummary;
  /** Chunks stored since the last heartbeat this master answered. */
  added?: string[];
  /** Chunks deleted, quarantined or found gone since then. */
  removed?: string[];
  /** Chunks a delete command named that the node kept: its copy was written after the command was sent. */
  kept?: string[];
  /** Set while the node cannot write to its disk (read-only, failing): it gets no new chunks. */
  writeError?: string;
  /** The node's disk work so far, for the master's charts. */
  io?: NodeIo;
}

/** Work the master hands a node in a heartbeat answer. */
export type NodeCommand =
  | { op: 'replicate'; chunkId: string; targets: { nodeId: string; url: string }[]; token: string }
  | { op: 'delete'; chunkId: string }
  /** Re-hash the local copy; quarantine and report it if it rotted (a reader saw bad bytes). */
  | { op: 'verify'; chunkId: string };

/** Master → node: answer to register and heartbeat. */
export interface HeartbeatResponse {
  /** False when the master does not know the node (e.g. it lost its state): register again. */
  known: boolean;
  chunkSize: number;
  /** The answering master's leadership epoch (0 for a standby): commands from an older epoch are refused. */
  epoch: number;
  commands: NodeCommand[];
  /** Set when the master wants the node's full inventory: send a register echoing this stamp. */
  inventory?: number;
}

/** One chunk of a file that fsck found short of live replicas. */
export interface FsckChunk {
  /** Position of the chunk in the file. */
  index: number;
  id: string;
  /** Live replicas now. */
  live: number;
  /** Every node the chunk table names, live or dead. */
  replicas: { nodeId: string; url: string; alive: boolean }[];
  /** A copy was found corrupt (and quarantined) and is not yet replaced. */
  corrupt: boolean;
}

/** A file with at least one chunk below the replication factor. */
export interface FsckFile {
  path: string;
  size: number;
  chunkCount: number;
  /** Chunks with live replicas, but fewer than the factor. */
  underReplicated: number;
  /** Chunks with no live replica: the file cannot be read whole. */
  missing: number;
  /** The affected chunks (the first 100). */
  chunks: FsckChunk[];
}

/** `GET /api/fsck?prefix=`: every file's chunks checked against the cluster, like `hdfs fsck`. */
export interface FsckReport {
  prefix: string;
  /** healthy: every chunk at its factor; degraded: some under-replicated; lost: some missing. */
  status: 'healthy' | 'degraded' | 'lost';
  replication: number;
  checkedAt: number;
  files: number;
  bytes: number;
  /** Chunk references of the files checked (a chunk shared by two files counts twice). */
  chunks: number;
  healthyFiles: number;
  underReplicatedFiles: number;
  missingFiles: number;
  underReplicatedChunks: number;
  overReplicatedChunks: number;
  missingChunks: number;
  /**
   * Chunks no node has reported to this master yet, within the heartbeat timeout: written moments
   * ago through another master, or this master has just started. Neither healthy nor lost yet.
   */
  unreportedChunks: number;
  /** The fewest live replicas any checked chunk has. */
  minReplicas: number;
  /** Files with problems, worst first (the first 1000). */
  problems: FsckFile[];
  /** True when more problem files exist than are listed. */
  truncated: boolean;
}
