// A node's page says why it is not registered with a master, not only that it is not, and that
// its master no longer answers while it is down.

import fs from 'node:fs/promises';
import { expect } from 'chai';
import { nodeConfig } from '../../src/config.js';
import type { MasterLink } from '../../src/node/master-link.js';
import { startNode } from '../../src/node/node.js';
import { startCluster, tempDir } from '../helpers/cluster.js';
import { holdingProxy } from '../helpers/holding-proxy.js';
import { waitFor } from '../helpers/wait.js';

describe('node page', function () {
  this.timeout(30_000);

  it('names the reason it is not registered with a master', async () => {
    const dir = await tempDir('dfs-node-page-');
    const node = await startNode(
      nodeConfig({ port: 0, data: dir, master: 'http://127.0.0.1:1', heartbeatInterval: '0.2' }, {}),
      () => {},
    );
    try {
      const page = await waitFor(async () => {
        const html = await (await fetch(`${node.url}/`)).text();
        return html.includes('cannot reach master') ? html : undefined;
      }, 'the page to name the failure');
      expect(page).to.include('not registered');
      const status = (await (await fetch(`${node.url}/api/status`)).json()) as {
        masters: { problem?: string }[];
      };
      expect(status.masters[0]?.problem).to.match(/^cannot reach master http:\/\/127\.0\.0\.1:1/);
    } finally {
      await node.close();
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('says the master is unreachable while it is down, and registered again once it is back', async () => {
    const cluster = await startCluster({ nodes: 1 });
    const node = cluster.nodes[0];
    if (!node) throw new Error('no node');
    const badge = async () =>
      /id="registration">([^<]*)</.exec(await (await fetch(`${node.url}/`)).text())?.[1];
    try {
      expect(await badge()).to.equal('registered');
      await cluster.master.close();
      await waitFor(
        async () => (await badge()) === 'master unreachable',
        'the node page to see the master gone',
      );
      const html = await (await fetch(`${node.url}/`)).text();
      expect(html).to.match(/yes, but no master has answered since \d/);
      await cluster.restartMaster();
      await waitFor(async () => (await badge()) === 'registered', 'the node page to see the master back');
    } finally {
      await cluster.close();
    }
  });

  it('stays registered while its master refuses a report after answering the heartbeat', async () => {
    const cluster = await startCluster({ nodes: 0 });
    let refusing = true;
    let delivered = 0;
    const proxy = await holdingProxy(cluster.master.url, {
      refuse: (_method, url) => (refusing && url.startsWith('/internal/corrupt') ? 500 : undefined),
      hold: (_method, url) => {
        if (url.startsWith('/internal/corrupt')) delivered++;
        return false;
      },
    });
    const dir = await tempDir('dfs-node-page-');
    const logs: string[] = [];
    const node = await startNode(
      nodeConfig(
        { port: 0, data: dir, master: proxy.url, secret: cluster.options.secret, heartbeatInterval: '0.2' },
        {},
      ),
      (m) => logs.push(m),
    );
    const link = () => node.state.links[0] as MasterLink;
    try {
      await waitFor(() => node.state.registered, 'the node to register through the proxy');
      link().reportLost(['a'.repeat(64)], 'missing');
      // Logged in the same step that marked the master unreachable before.
      await waitFor(
        () => logs.some((l) => l.includes('refused by the test proxy')),
        'the node to log the refused report',
      );
      expect(link().lastError).to.equal('');
      const html = await (await fetch(`${node.url}/`)).text();
      expect(/id="registration">([^<]*)</.exec(html)?.[1]).to.equal('registered');
      refusing = false;
      await waitFor(() => delivered > 0, 'the report to go again once the master takes it');
      expect(logs.filter((l) => l.includes('refused by the test proxy'))).to.have.length(1);
    } finally {
      await node.close();
      await proxy.close();
      await cluster.close();
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
