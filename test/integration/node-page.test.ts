// A node's page says why it is not registered with a master, not only that it is not, and that
// its master no longer answers while it is down.

import fs from 'node:fs/promises';
import { expect } from 'chai';
import { nodeConfig } from '../../src/config.js';
import { startNode } from '../../src/node/node.js';
import { startCluster, tempDir } from '../helpers/cluster.js';
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
});
