// The master's chunk-health gauges through a real failure: a node killed with kill -9 makes its
// chunks under-replicated (and the node dead) in the metrics; once a new node takes the copies,
// the gauge falls back to zero and the repairs are counted.

import { expect } from 'chai';
import { bytes, randomData } from '../helpers/cluster.js';
import { metricValue, promtoolAvailable, promtoolCheck, scrape } from '../helpers/metrics.js';
import { ProcCluster } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';

const CHUNKS = 5;

describe('repair in the master metrics (kill -9 of a node)', function () {
  this.timeout(90_000);
  let cluster: ProcCluster;

  const metrics = async () => (await scrape(cluster.master.url)).text;
  const chunks = async (state: string) => metricValue(await metrics(), 'dfs_master_chunks', { state });

  before(async () => {
    // Two nodes for two replicas: with one dead there is nowhere to copy to, so the gauge stays up
    // until a node joins (nothing here depends on catching a short moment).
    cluster = await ProcCluster.start({ nodes: 2, replication: 2 });
    await cluster.sdk.upload(bytes(randomData(CHUNKS * 64 * 1024)), '/precious.bin');
  });
  after(async function () {
    if (this.currentTest?.state === 'failed') console.log(cluster?.logs());
    await cluster?.close();
  });

  it('shows every chunk healthy and both nodes alive at first', async () => {
    await waitFor(async () => (await chunks('healthy')) === CHUNKS, 'the chunks to be counted healthy');
    const text = await metrics();
    expect(metricValue(text, 'dfs_master_chunks', { state: 'under_replicated' })).to.equal(0);
    expect(metricValue(text, 'dfs_master_nodes', { state: 'alive' })).to.equal(2);
  });

  it('raises the under-replicated gauge when a node dies', async () => {
    const victim = cluster.nodes[1];
    if (!victim) throw new Error('no node');
    await victim.kill();
    await waitFor(
      async () => (await chunks('under_replicated')) === CHUNKS,
      'the chunks to be under-replicated',
    );
    const text = await metrics();
    expect(metricValue(text, 'dfs_master_chunks', { state: 'healthy' })).to.equal(0);
    expect(metricValue(text, 'dfs_master_chunks', { state: 'missing' })).to.equal(0);
    expect(metricValue(text, 'dfs_master_nodes', { state: 'dead' })).to.equal(1);
  });

  it('lowers it to zero once the copies are made, and counts the repairs', async () => {
    await cluster.addNode();
    await waitFor(async () => (await chunks('under_replicated')) === 0, 'the repairs to finish', 30_000);
    const text = await metrics();
    expect(metricValue(text, 'dfs_master_chunks', { state: 'healthy' })).to.equal(CHUNKS);
    expect(metricValue(text, 'dfs_master_repairs_total', { result: 'ok' })).to.be.at.least(CHUNKS);
    expect(metricValue(text, 'dfs_master_nodes', { state: 'alive' })).to.equal(2);
    expect(metricValue(text, 'dfs_master_nodes', { state: 'dead' })).to.equal(1);
  });

  it('passes promtool check metrics on the master process and a node process', async function () {
    if (!promtoolAvailable()) this.skip();
    for (const daemon of [cluster.master, cluster.nodes[0]]) {
      if (!daemon) throw new Error('no daemon');
      const { code, output } = await promtoolCheck((await scrape(daemon.url)).text);
      expect(output, daemon.name).to.equal('');
      expect(code, daemon.name).to.equal(0);
    }
  });
});
