// The dashboard's charts over the last hour: cluster throughput and operations, repair progress,
// and per node disk fill and fsync latency — from the master's counters and the running totals
// each node's heartbeat carries (no polling of the nodes).

import { type ChartData, gridOf, lineOf } from '../http/charts.js';
import type { HttpMetrics } from '../http/http-metrics.js';
import { Deltas, ratio, SeriesRing } from '../http/series.js';
import type { Maintenance } from './maintenance.js';
import type { MasterMetrics } from './metrics.js';
import type { NodeRegistry, TrackedNode } from './registry.js';

const CLUSTER = [
  'written',
  'read',
  'commits',
  'requests',
  'chunkWrites',
  'chunkReads',
  'underReplicated',
  'missing',
  'repairing',
] as const;
type ClusterColumn = (typeof CLUSTER)[number];

const NODE = ['fill', 'fsyncMs', 'written', 'read', 'writes', 'reads'] as const;
type NodeColumn = (typeof NODE)[number];

/** What the series read. */
export interface MasterSeriesSources {
  registry: NodeRegistry;
  maintenance: Maintenance;
  metrics: MasterMetrics;
  http: HttpMetrics;
}

interface NodeTrack {
  label: string;
  ring: SeriesRing<NodeColumn>;
  deltas: Deltas;
}

// What a chart calls a node: its host and port.
function labelOf(node: TrackedNode): string {
  try {
    return new URL(node.url).host;
  } catch {
    return node.id.slice(0, 8);
  }
}

/** The master's time series: the cluster's, and one set per node. */
export class MasterSeries {
  private readonly cluster: SeriesRing<ClusterColumn>;
  private readonly nodes = new Map<string, NodeTrack>();
  private readonly deltas = new Deltas();

  constructor(
    private readonly sources: MasterSeriesSources,
    readonly step: number,
  ) {
    this.cluster = new SeriesRing(CLUSTER, step);
    this.masterIncreases(Date.now());
  }

  private masterIncreases(now: number) {
    const api = this.sources.http.totals((route) => route.startsWith('/api/'));
    return {
      seconds: ratio(this.deltas.next('time', now), 1000),
      commits: this.deltas.next('commits', this.sources.metrics.commits),
      requests: this.deltas.next('requests', api.count),
    };
  }

  // One node's sample: rates over the time between the heartbeats that brought its counters.
  private sampleNode(node: TrackedNode, now: number): Partial<Record<NodeColumn, number>> {
    let track = this.nodes.get(node.id);
    if (!track) {
      track = { label: labelOf(node), ring: new SeriesRing(NODE, this.step), deltas: new Deltas() };
      this.nodes.set(node.id, track);
    }
    track.label = labelOf(node);
    const { io } = node;
    const values: Partial<Record<NodeColumn, number>> = {};
    if (node.alive && io) {
      const d = (key: string, total: number) => track.deltas.next(key, total);
      const seconds = ratio(d('time', node.lastHeartbeat), 1000);
      const fsyncs = d('fsyncs', io.fsyncs);
      const fsyncSeconds = d('fsyncSeconds', io.fsyncSeconds);
      values.written = ratio(d('written', io.bytesWritten), seconds);
      values.read = ratio(d('read', io.bytesRead), seconds);
      values.writes = ratio(d('writes', io.writes), seconds);
      values.reads = ratio(d('reads', io.reads), seconds);
      const mean = ratio(fsyncSeconds, fsyncs);
      if (mean !== undefined) values.fsyncMs = mean * 1000;
    }
    if (node.alive && node.capacity > 0) values.fill = ((node.capacity - node.free) / node.capacity) * 100;
    track.ring.record(now, values);
    return values;
  }

  /** Takes one sample (every `step` ms). */
  sample(now = Date.now()): void {
    const { registry, maintenance } = this.sources;
    const known = new Set<string>();
    const sums: Partial<Record<'written' | 'read' | 'writes' | 'reads', number>> = {};
    for (const node of registry.all()) {
      known.add(node.id);
      const values = this.sampleNode(node, now);
      for (const key of ['written', 'read', 'writes', 'reads'] as const) {
        const value = values[key];
        if (value !== undefined) sums[key] = (sums[key] ?? 0) + value;
      }
    }
    // A node removed from the cluster leaves the charts.
    for (const id of this.nodes.keys()) if (!known.has(id)) this.nodes.delete(id);
    const m = this.masterIncreases(now);
    const health = maintenance.health;
    this.cluster.record(now, {
      written: sums.written,
      read: sums.read,
      chunkWrites: sums.writes,
      chunkReads: sums.reads,
      commits: ratio(m.commits, m.seconds),
      requests: ratio(m.requests, m.seconds),
      underReplicated: health.underReplicated,
      missing: health.missing,
      repairing: health.repairsInProgress,
    });
  }

  /** The dashboard's charts. */
  charts(): ChartData {
    const tracks = [...this.nodes.values()].sort((a, b) => a.label.localeCompare(b.label));
    const grid = gridOf([this.cluster, ...tracks.map((t) => t.ring)], this.step);
    const line = (name: string, column: ClusterColumn) => lineOf(name, this.cluster, column, grid);
    const perNode = (column: NodeColumn) => tracks.map((t) => lineOf(t.label, t.ring, column, grid));
    return {
      ...grid,
      charts: [
        {
          id: 'throughput',
          title: 'Cluster throughput',
          unit: 'B/s',
          lines: [line('write', 'written'), line('read', 'read')],
        },
        {
          id: 'operations',
          title: 'Operations',
          unit: '/s',
          lines: [
            line('commits', 'commits'),
            line('API requests', 'requests'),
            line('chunk writes', 'chunkWrites'),
            line('chunk reads', 'chunkReads'),
          ],
        },
        {
          id: 'repair',
          title: 'Repair',
          unit: '',
          lines: [
            line('under-replicated', 'underReplicated'),
            line('missing', 'missing'),
            line('copies in flight', 'repairing'),
          ],
        },
        { id: 'disk', title: 'Disk fill per node', unit: '%', lines: perNode('fill') },
        { id: 'fsync', title: 'Fsync latency per node (mean)', unit: 'ms', lines: perNode('fsyncMs') },
      ],
    };
  }
}
