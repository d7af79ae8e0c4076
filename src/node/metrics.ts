// A storage node's own Prometheus metrics: chunk bytes written and read, fsync latency, chunks
// held, free disk, scrubbing and rot. Counters are read from the store's plain running totals
// when scraped: the write path only adds to numbers.

import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { ChunkStore, DiskUsage } from '../storage/chunk-store.js';

/** Seconds one chunk write spends in fsync: a fraction of a millisecond on a fast disk, seconds on a sick one. */
const FSYNC_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
];

// statfs answers this old are good enough for a scrape.
const STATFS_MAX_AGE = 1000;

/** A counter that shows a running total kept elsewhere. */
function totalCounter(registry: Registry, name: string, help: string, total: () => number): void {
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      this.inc(total());
    },
  });
}

/** Registers the node's metrics on `registry` and observes the store's fsyncs. */
export function registerNodeMetrics(registry: Registry, store: ChunkStore): void {
  const { io } = store;
  totalCounter(
    registry,
    'dfs_node_chunk_bytes_written_total',
    'Bytes of chunks written and made durable on this node.',
    () => io.bytesWritten,
  );
  totalCounter(
    registry,
    'dfs_node_chunk_bytes_read_total',
    'Bytes of chunks read on this node for clients and repair copies (scrubbing apart).',
    () => io.bytesRead,
  );
  totalCounter(
    registry,
    'dfs_node_scrub_bytes_total',
    'Bytes of chunks re-hashed to find rot (scrub passes and checks a reader asked for).',
    () => io.scrubbedBytes,
  );
  totalCounter(
    registry,
    'dfs_node_corrupt_chunks_total',
    'Chunk copies found corrupt and quarantined on this node.',
    () => io.corrupt,
  );
  const fsync = new Histogram({
    name: 'dfs_node_fsync_duration_seconds',
    help: 'Time each chunk write spent in fsync (the chunk file, then its folder).',
    buckets: FSYNC_BUCKETS,
    registers: [registry],
  });
  store.onSynced = (seconds) => fsync.observe(seconds);
  const disk = (name: string, help: string, pick: (u: DiskUsage) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        // A failing disk leaves the last values; its other metrics still go out.
        const usage = await store.usage(STATFS_MAX_AGE).catch(() => undefined);
        if (usage) this.set(pick(usage));
      },
    });
  disk('dfs_node_chunks', 'Chunks held on this node.', (u) => u.chunks);
  disk('dfs_node_disk_free_bytes', 'Free bytes on the disk holding the chunks.', (u) => u.free);
  disk('dfs_node_disk_capacity_bytes', 'Size of the disk holding the chunks, in bytes.', (u) => u.capacity);
}
