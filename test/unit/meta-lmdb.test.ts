// The metadata conformance suite against LMDB in a temporary folder.

import fs from 'node:fs/promises';
import { KvStore } from '../../src/meta/kv-store.js';
import { LmdbEngine } from '../../src/meta/lmdb-engine.js';
import { tempDir } from '../helpers/cluster.js';
import { metaStoreConformance } from '../meta/conformance.js';

metaStoreConformance('lmdb', async () => {
  const dir = await tempDir('dfs-meta-');
  const store = new KvStore(await LmdbEngine.open(dir));
  return {
    store,
    async close() {
      await store.close();
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
});
