// A node's page says why it is not registered with a master, not only that it is not.

import fs from 'node:fs/promises';
import { expect } from 'chai';
import { nodeConfig } from '../../src/config.js';
import { startNode } from '../../src/node/node.js';
import { tempDir } from '../helpers/cluster.js';
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
});
