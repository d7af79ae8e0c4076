// A node's charts over the last hour: write and read rates, latencies (chunk PUT, chunk GET,
// fsync) and scrubbing, sampled from the same counters as its metrics.

import { type ChartData, gridOf, lineOf } from '../http/charts.js';
import type { HttpMetrics } from '../http/http-metrics.js';
import { Deltas, ratio, SeriesRing } from '../http/series.js';
import type { ChunkStore } from '../storage/chunk-store.js';

const COLUMNS = ['written', 'read', 'writes', 'reads', 'writeMs', 'readMs', 'fsyncMs', 'scrubbed'] as const;
type Column = (typeof COLUMNS)[number];

// The node's chunk route, as the router names it.
const CHUNK_ROUTE = '/chunks/:id';

/** The node's time series. */
export class NodeSeries {
  private readonly ring: SeriesRing<Column>;
  private readonly deltas = new Deltas();

  constructor(
    private readonly store: ChunkStore,
    private readonly http: HttpMetrics,
    readonly step: number,
  ) {
    this.ring = new SeriesRing(COLUMNS, step);
    // The first reading is the baseline: the first point is a rate over a whole step.
    this.increases(Date.now());
  }

  // What grew since the last reading (undefined at the first).
  private increases(now: number) {
    const { io } = this.store;
    const put = this.http.totals((route, method) => route === CHUNK_ROUTE && method === 'PUT');
    const get = this.http.totals((route, method) => route === CHUNK_ROUTE && method === 'GET');
    const d = (key: string, total: number) => this.deltas.next(key, total);
    return {
      seconds: ratio(d('time', now), 1000),
      written: d('written', io.bytesWritten),
      read: d('read', io.bytesRead),
      puts: d('puts', put.count),
      putSeconds: d('putSeconds', put.seconds),
      gets: d('gets', get.count),
      getSeconds: d('getSeconds', get.seconds),
      fsyncs: d('fsyncs', io.fsyncs),
      fsyncSeconds: d('fsyncSeconds', io.fsyncSeconds),
      scrubbed: d('scrubbed', io.scrubbedBytes),
    };
  }

  /** Takes one sample (every `step` ms). */
  sample(now = Date.now()): void {
    const d = this.increases(now);
    const perSecond = (n: number | undefined) => ratio(n, d.seconds);
    const ms = (seconds: number | undefined, count: number | undefined) => {
      const mean = ratio(seconds, count);
      return mean === undefined ? undefined : mean * 1000;
    };
    this.ring.record(now, {
      written: perSecond(d.written),
      read: perSecond(d.read),
      writes: perSecond(d.puts),
      reads: perSecond(d.gets),
      writeMs: ms(d.putSeconds, d.puts),
      readMs: ms(d.getSeconds, d.gets),
      fsyncMs: ms(d.fsyncSeconds, d.fsyncs),
      scrubbed: perSecond(d.scrubbed),
    });
  }

  /** The node page's charts. */
  charts(): ChartData {
    const { ring } = this;
    const grid = gridOf([ring], this.step);
    const line = (name: string, column: Column) => lineOf(name, ring, column, grid);
    return {
      ...grid,
      charts: [
        {
          id: 'throughput',
          title: 'Throughput',
          unit: 'B/s',
          lines: [line('write', 'written'), line('read', 'read')],
        },
        {
          id: 'operations',
          title: 'Chunk operations',
          unit: '/s',
          lines: [line('writes', 'writes'), line('reads', 'reads')],
        },
        {
          id: 'latency',
          title: 'Latency (mean)',
          unit: 'ms',
          lines: [line('write', 'writeMs'), line('read', 'readMs'), line('fsync', 'fsyncMs')],
        },
        { id: 'scrub', title: 'Scrubbing', unit: 'B/s', lines: [line('scrub', 'scrubbed')] },
      ],
    };
  }
}
