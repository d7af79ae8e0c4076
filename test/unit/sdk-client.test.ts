// The SDK's calls settle as promises: a bad argument is a rejection, never a throw at the call.

import { expect } from 'chai';
import { DfsClient } from '../../src/sdk/client.js';

describe('the SDK client', () => {
  // Port 9 (discard) answers nothing: a call that reached for the master would fail otherwise.
  const sdk = new DfsClient({ master: 'http://127.0.0.1:9' });

  it('rejects an upload, a file upload and a commit to a bad path, writing nothing', async () => {
    const calls = [
      () => sdk.upload(['bytes'], ''),
      () => sdk.uploadFile('/dev/null', '/a/../b'),
      () => sdk.commit({ size: 0, sha256: '', chunks: [], receipts: [] }, { path: '/' }),
    ];
    for (const call of calls) {
      let pending: Promise<unknown> | undefined;
      expect(() => {
        pending = call();
      }).not.to.throw();
      const err = await (pending as Promise<unknown>).then(
        () => undefined,
        (e: { code?: string }) => e,
      );
      expect(err?.code).to.equal('invalid_path');
    }
  });
});
