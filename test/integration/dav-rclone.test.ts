// rclone's webdav backend (vendor "other") against a cluster with an access token: a tree of
// awkward names copied up, `rclone check --download` comparing every byte, and the SDK agreeing.

import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { collect, randomData, sha256, startCluster, type TestCluster, tempDir } from '../helpers/cluster.js';
import { haveTool } from '../helpers/dav-http.js';

const run = promisify(execFile);
const TOKEN = 'rclone-token';

// Spaces, unicode (composed and not), URL and shell characters, a leading dot.
const FILES: Record<string, number> = {
  'a b.txt': 10,
  'sub dir/100% #1 ?&+;=.txt': 1_000,
  "sub dir/ünï cödé/[brackets] {curly} 'q' (p).txt": 5,
  'sub dir/ünï cödé/bin.dat': 300_000,
  'e\u0301t\u00e9/caf\u00e9.txt': 7,
  '.hidden/日本語 ファイル.txt': 64,
  'empty.txt': 0,
};

describe('dav: rclone', function () {
  this.timeout(60_000);
  let cluster: TestCluster;
  let dir: string;
  let env: NodeJS.ProcessEnv;

  before(async function () {
    if (!haveTool('rclone', 'rclone', 'the rclone webdav tests')) this.skip();
    cluster = await startCluster({ nodes: 2, webClient: true, token: TOKEN });
    dir = await tempDir('dfs-rclone-');
    const obscured = (await run('rclone', ['obscure', TOKEN])).stdout.trim();
    // A remote named dfs, configured as `rclone config create dfs webdav url=… vendor=other` would.
    env = {
      ...process.env,
      RCLONE_CONFIG: path.join(dir, 'rclone.conf'),
      RCLONE_CONFIG_DFS_TYPE: 'webdav',
      RCLONE_CONFIG_DFS_URL: `${cluster.client?.url}/dav/`,
      RCLONE_CONFIG_DFS_VENDOR: 'other',
      RCLONE_CONFIG_DFS_USER: 'rclone',
      RCLONE_CONFIG_DFS_PASS: obscured,
    };
  });

  after(async () => {
    await cluster?.close();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  // Asynchronously: the web client answering rclone runs in this process.
  const rclone = (...args: string[]) => run('rclone', args, { env, timeout: 50_000 });

  it('copies a tree with awkward names and checks every byte', async () => {
    const tree = path.join(dir, 'tree');
    const data = new Map<string, Buffer>();
    for (const [name, size] of Object.entries(FILES)) {
      const file = path.join(tree, name);
      await fs.mkdir(path.dirname(file), { recursive: true });
      const bytes = randomData(size);
      data.set(name, bytes);
      await fs.writeFile(file, bytes);
    }
    await rclone('copy', tree, 'dfs:backup');
    const check = await rclone('check', '--download', tree, 'dfs:backup');
    expect(`${check.stdout}${check.stderr}`).to.match(/0 differences found/);
    expect(`${check.stdout}${check.stderr}`).to.match(new RegExp(`${data.size} matching files`));
    for (const [name, bytes] of data) {
      const stored = await collect(cluster.sdk.download(`/backup/${name.normalize('NFC')}`));
      expect(sha256(stored), name).to.equal(sha256(bytes));
    }
    // A second sync has nothing to do; one changed file is found and sent again.
    await fs.writeFile(path.join(tree, 'a b.txt'), 'changed');
    const sync = await rclone('sync', '-v', tree, 'dfs:backup');
    expect(sync.stderr.match(/: Copied/g) ?? []).to.have.length(1);
    expect((await collect(cluster.sdk.download('/backup/a b.txt'))).toString()).to.equal('changed');
  });
});
