// Metrics of a real cluster (master, three nodes, web client) after real traffic: names, types and
// labels, counters that grow with an upload, each node's fsync histogram counting its writes,
// /metrics behind the access token, promtool on every daemon, and the charts' series.

import { expect } from 'chai';
import { s3Config } from '../../src/config.js';
import { startS3Gateway } from '../../src/s3/gateway.js';
import { bytes, collect, randomData, startCluster, type TestCluster } from '../helpers/cluster.js';
import {
  metricValue,
  promtoolAvailable,
  promtoolCheck,
  samples,
  scrape,
  typesOf,
} from '../helpers/metrics.js';
import { waitFor } from '../helpers/wait.js';

const TOKEN = 'metrics-cluster-token';
const SIZE = 200_000; // four chunks of 64 KiB

interface ChartJson {
  step: number;
  end: number;
  points: number;
  charts: { id: string; unit: string; lines: { name: string; values: (number | null)[] }[] }[];
}

// The largest value of a chart's line (0 when it has none yet).
function peak(data: ChartJson, chart: string, line?: string): number {
  const lines = data.charts.find((c) => c.id === chart)?.lines ?? [];
  const values = lines.filter((l) => line === undefined || l.name === line).flatMap((l) => l.values);
  return Math.max(0, ...values.map((v) => v ?? 0));
}

async function series(url: string, token?: string): Promise<ChartJson> {
  const response = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return (await response.json()) as ChartJson;
}

/** Makes traffic until the series at `url` pass `ready`; returns them. */
async function seriesWhen(
  url: string,
  token: string | undefined,
  traffic: () => Promise<unknown>,
  ready: (data: ChartJson) => boolean,
  what: string,
): Promise<ChartJson> {
  let found: ChartJson | undefined;
  await waitFor(async () => {
    await traffic();
    const data = await series(url, token);
    if (ready(data)) found = data;
    return found !== undefined;
  }, what);
  if (!found) throw new Error(`no series for ${what}`);
  return found;
}

describe('metrics of a running cluster', function () {
  this.timeout(60_000);
  let cluster: TestCluster;
  let baseline: string;

  const master = async () => (await scrape(cluster.master.url, TOKEN)).text;

  before(async () => {
    cluster = await startCluster({ nodes: 3, token: TOKEN, webClient: true, seriesStep: 0.2 });
    baseline = await master();
    await cluster.sdk.upload(bytes(randomData(SIZE)), '/metrics/first.bin');
  });
  after(() => cluster?.close());

  it('serves /metrics on every daemon (the S3 gateway too) only with the access token', async () => {
    const client = cluster.client;
    if (!client) throw new Error('no web client');
    const s3 = await startS3Gateway(
      s3Config(
        {
          port: 0,
          master: cluster.master.url,
          token: TOKEN,
          accessKey: 'AKIDMETRICS',
          secretKey: 'a-metrics-secret',
        },
        {},
      ),
      () => {},
    );
    try {
      for (const url of [cluster.master.url, ...cluster.nodes.map((n) => n.url), client.url, s3.url]) {
        const refused = await scrape(url);
        expect(refused.status, url).to.equal(401);
        const { status, text } = await scrape(url, TOKEN);
        expect(status, url).to.equal(200);
        expect(typesOf(text).get('dfs_http_requests_total'), url).to.equal('counter');
        expect(typesOf(text).get('process_resident_memory_bytes'), url).to.equal('gauge');
      }
    } finally {
      await s3.close();
    }
  });

  it('passes promtool check metrics on the master, every node and the web client', async function () {
    if (!promtoolAvailable()) this.skip();
    const client = cluster.client;
    if (!client) throw new Error('no web client');
    for (const url of [cluster.master.url, ...cluster.nodes.map((n) => n.url), client.url]) {
      const { code, output } = await promtoolCheck((await scrape(url, TOKEN)).text);
      expect(output, url).to.equal('');
      expect(code, url).to.equal(0);
    }
  });

  it('counts an upload on the master: commits, commit latency, files, bytes, routes by pattern', async () => {
    const after = await master();
    const grew = (name: string, labels: Record<string, string> = {}) =>
      (metricValue(after, name, labels) ?? 0) - (metricValue(baseline, name, labels) ?? 0);
    const types = typesOf(after);
    expect(types.get('dfs_master_commits_total')).to.equal('counter');
    expect(types.get('dfs_master_metadata_commit_duration_seconds')).to.equal('histogram');
    expect(types.get('dfs_master_files')).to.equal('gauge');
    expect(grew('dfs_master_commits_total')).to.equal(1);
    expect(grew('dfs_master_metadata_commit_duration_seconds_count')).to.equal(1);
    expect(grew('dfs_master_files')).to.equal(1);
    expect(grew('dfs_master_logical_bytes')).to.equal(SIZE);
    // An upload's allocation and commit travel in batches (at least one request each).
    expect(
      grew('dfs_http_requests_total', { route: '/api/batch', method: 'POST', code: '200' }),
    ).to.be.at.least(2);
    // Heartbeats are counted too, under their route.
    expect(
      metricValue(after, 'dfs_http_requests_total', { route: '/internal/heartbeat', code: '200' }),
    ).to.be.greaterThan(0);
    // No label carries a raw path: the file name and chunk ids never show.
    expect(after).not.to.include('first.bin');
    expect(
      samples(after, 'dfs_http_requests_total').every((s) => !/[0-9a-f]{64}/.test(s.labels.route ?? '')),
    ).to.equal(true);
  });

  it('reports chunk health, nodes and leadership on the master', async () => {
    const text = await waitFor(async () => {
      const t = await master();
      return metricValue(t, 'dfs_master_chunks', { state: 'healthy' }) === 4 ? t : '';
    }, 'the health scan to count the four chunks');
    expect(metricValue(text, 'dfs_master_chunks', { state: 'under_replicated' })).to.equal(0);
    expect(metricValue(text, 'dfs_master_chunks', { state: 'missing' })).to.equal(0);
    expect(metricValue(text, 'dfs_master_nodes', { state: 'alive' })).to.equal(3);
    expect(metricValue(text, 'dfs_master_nodes', { state: 'dead' })).to.equal(0);
    expect(metricValue(text, 'dfs_master_is_leader')).to.equal(1);
    expect(metricValue(text, 'dfs_master_epoch')).to.be.at.least(1);
    for (const result of ['ok', 'failed', 'timeout'])
      expect(metricValue(text, 'dfs_master_repairs_total', { result })).to.equal(0);
    expect(metricValue(text, 'dfs_master_gc_collected_total')).to.equal(0);
  });

  it("counts each node's writes in its fsync histogram, bytes and chunk gauges", async () => {
    let copies = 0;
    for (const node of cluster.nodes) {
      const { text } = await scrape(node.url, TOKEN);
      const held = node.store.ids();
      const { used, free } = await node.store.usage();
      const types = typesOf(text);
      expect(types.get('dfs_node_fsync_duration_seconds')).to.equal('histogram');
      expect(types.get('dfs_node_chunk_bytes_written_total')).to.equal('counter');
      expect(types.get('dfs_node_chunks')).to.equal('gauge');
      // One fsync observation per chunk written; every chunk this node wrote is one it holds.
      expect(metricValue(text, 'dfs_node_fsync_duration_seconds_count'), node.url).to.equal(held.length);
      expect(metricValue(text, 'dfs_node_fsync_duration_seconds_bucket', { le: '+Inf' })).to.equal(
        held.length,
      );
      expect(
        metricValue(text, 'dfs_http_requests_total', { route: '/chunks/:id', method: 'PUT', code: '201' }) ??
          0,
      ).to.equal(held.length);
      expect(metricValue(text, 'dfs_node_chunk_bytes_written_total')).to.equal(used);
      expect(metricValue(text, 'dfs_node_chunks')).to.equal(held.length);
      expect(metricValue(text, 'dfs_node_disk_free_bytes')).to.be.closeTo(free, free * 0.05);
      expect(metricValue(text, 'dfs_node_scrub_bytes_total')).to.equal(0);
      expect(metricValue(text, 'dfs_node_corrupt_chunks_total')).to.equal(0);
      copies += held.length;
    }
    expect(copies).to.equal(4 * 2);
  });

  it('counts chunk reads on the nodes when a file is downloaded', async () => {
    const read = async () => {
      let total = 0;
      for (const node of cluster.nodes)
        total += metricValue((await scrape(node.url, TOKEN)).text, 'dfs_node_chunk_bytes_read_total') ?? 0;
      return total;
    };
    const start = await read();
    expect((await collect(cluster.sdk.download('/metrics/first.bin'))).length).to.equal(SIZE);
    // Every chunk is read once, from one of its replicas.
    expect((await read()) - start).to.equal(SIZE);
    // A HEAD (is the chunk here?) reads and counts no bytes.
    const info = await cluster.sdk.stat('/metrics/first.bin');
    const chunk = info.chunks[0];
    const holder = cluster.nodes.find((n) => n.url === chunk?.replicas[0]?.url);
    const head = await fetch(`${holder?.url}/chunks/${chunk?.id}`, {
      method: 'HEAD',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect([head.status, Number(head.headers.get('content-length'))]).to.deep.equal([200, chunk?.size]);
    expect((await read()) - start).to.equal(SIZE);
  });

  it('labels the web client’s routes by pattern', async () => {
    const client = cluster.client;
    if (!client) throw new Error('no web client');
    const put = await fetch(`${client.url}/api/files/web/some%20name.txt`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${TOKEN}`, 'x-dfs-csrf': '1' },
      body: 'hello from the web client',
    });
    expect(put.status).to.equal(201);
    const text = await waitFor(async () => {
      const t = (await scrape(client.url, TOKEN)).text;
      return metricValue(t, 'dfs_http_requests_total', { route: '/api/files/*', method: 'PUT' }) ? t : '';
    }, 'the upload to be counted');
    expect(
      metricValue(text, 'dfs_http_requests_total', { route: '/api/files/*', method: 'PUT', code: '201' }),
    ).to.equal(1);
    expect(text).not.to.include('some name');
  });

  it('draws the traffic in the charts: cluster throughput, per node fsync, and each node page', async () => {
    expect((await fetch(`${cluster.master.url}/api/series`)).status, 'the API needs the token').to.equal(401);
    // Traffic while the samplers run, until a sample caught it.
    let n = 0;
    const traffic = () => cluster.sdk.upload(bytes(randomData(100_000)), `/metrics/traffic-${n++}.bin`);
    const data = await seriesWhen(
      `${cluster.master.url}/api/series`,
      TOKEN,
      traffic,
      (d) => peak(d, 'throughput', 'write') > 0 && peak(d, 'fsync') > 0,
      'the dashboard series to show writes',
    );
    expect(data.step).to.equal(200);
    expect(data.charts.map((c) => c.id)).to.deep.equal([
      'throughput',
      'operations',
      'repair',
      'disk',
      'fsync',
    ]);
    for (const chart of data.charts)
      for (const line of chart.lines) expect(line.values).to.have.length(data.points);
    expect(data.charts.find((c) => c.id === 'disk')?.lines).to.have.length(3);
    expect(peak(data, 'operations', 'commits')).to.be.greaterThan(0);
    expect(peak(data, 'disk')).to.be.within(0.001, 100);
    // A node page's series are public like the page.
    const node = cluster.nodes[0];
    if (!node) throw new Error('no node');
    const own = await seriesWhen(
      `${node.url}/series`,
      undefined,
      traffic,
      (d) => peak(d, 'throughput', 'write') > 0 && peak(d, 'latency', 'fsync') > 0,
      'the node series to show writes',
    );
    expect(own.charts.map((c) => c.id)).to.deep.equal(['throughput', 'operations', 'latency', 'scrub']);
    expect(peak(own, 'operations', 'writes')).to.be.greaterThan(0);
  });
});

describe('garbage collection in the metrics', function () {
  this.timeout(60_000);
  let cluster: TestCluster;

  before(async () => {
    cluster = await startCluster({ nodes: 2, gcGrace: 1 });
  });
  after(() => cluster?.close());

  it('counts the chunks collection condemns after a delete', async () => {
    await cluster.sdk.upload(bytes(randomData(150_000)), '/gone.bin');
    await cluster.sdk.remove('/gone.bin');
    await waitFor(
      async () => metricValue((await scrape(cluster.master.url)).text, 'dfs_master_gc_collected_total') === 3,
      'the three chunks to be collected',
      30_000,
    );
  });
});
