// Upload ids (src/sdk/upload-id.ts): version 7 UUIDs, ordered by the time they were made.

import { expect } from 'chai';
import { isUploadId } from '../../src/protocol/limits.js';
import { newUploadId } from '../../src/sdk/upload-id.js';

describe('upload ids', () => {
  it('are UUIDs of version 7: unique, and accepted by the master', () => {
    const ids = Array.from({ length: 2000 }, () => newUploadId());
    for (const id of ids) {
      expect(id).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(isUploadId(id)).to.equal(true);
    }
    expect(new Set(ids).size).to.equal(ids.length);
  });

  it('begin with the time in milliseconds, so later ids sort after earlier ones', () => {
    const t0 = 1_765_000_000_000;
    expect(newUploadId(t0).replace(/-/g, '').slice(0, 12)).to.equal(t0.toString(16).padStart(12, '0'));
    const times = [t0, t0 + 1, t0 + 999, t0 + 86_400_000, 2 ** 47];
    const ids = times.map((t) => newUploadId(t));
    expect([...ids].sort()).to.deep.equal(ids);
  });
});
