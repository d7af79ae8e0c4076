// Small files replaced atomically and durably (a node's id, the leader epoch it obeys).

import fs from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { replaceFile } from '../../src/storage/disk-io.js';
import { tempDir } from '../helpers/cluster.js';

describe('replaceFile', () => {
  it('fsyncs the new text and its folder, and leaves no temporary behind', async () => {
    const dir = await tempDir('dfs-disk-io-');
    try {
      const file = path.join(dir, 'epoch');
      await fs.writeFile(file, '3\n');
      // Every FileHandle shares one prototype: count the fsyncs made through it.
      const probe = await fs.open(file, 'r');
      const proto = Object.getPrototypeOf(probe) as { sync: () => Promise<void> };
      await probe.close();
      const sync = proto.sync;
      let syncs = 0;
      proto.sync = function (this: unknown) {
        syncs++;
        return sync.call(this);
      };
      try {
        await replaceFile(file, '4\n');
      } finally {
        proto.sync = sync;
      }
      expect(await fs.readFile(file, 'utf8')).to.equal('4\n');
      expect(await fs.readdir(dir)).to.deep.equal(['epoch']);
      expect(syncs).to.equal(2);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
