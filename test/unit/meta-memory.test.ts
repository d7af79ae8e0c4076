// The metadata conformance suite against the in-memory store.

import { KvStore } from '../../src/meta/kv-store.js';
import { MemoryEngine } from '../../src/meta/memory-engine.js';
import { metaStoreConformance } from '../meta/conformance.js';

metaStoreConformance('memory', async () => {
  const store = new KvStore(new MemoryEngine());
  return { store, close: () => store.close() };
});
