// Opening the metadata store: a PostgreSQL that is not up yet is waited for; other failures are not.

import { expect } from 'chai';
import { waitForStore } from '../../src/meta/open.js';
import { DfsError } from '../../src/protocol/errors.js';

describe('opening the metadata store', () => {
  it('tries again while the database is unavailable, saying so, and opens once it answers', async () => {
    let tries = 0;
    const logged: string[] = [];
    const store = await waitForStore(
      async () => {
        if (++tries < 3)
          throw new DfsError('unavailable', 'the metadata database is unavailable (ECONNREFUSED)');
        return 'opened';
      },
      (m) => logged.push(m),
      60_000,
      1,
    );
    expect([store, tries]).to.deep.equal(['opened', 3]);
    expect(logged).to.deep.equal([
      'waiting for the metadata database: the metadata database is unavailable (ECONNREFUSED)',
      'waiting for the metadata database: the metadata database is unavailable (ECONNREFUSED)',
    ]);
  });

  it('gives up at once on any other failure, and after the wait on this one', async () => {
    let tries = 0;
    const wrong = await waitForStore(
      async () => {
        tries++;
        throw new DfsError('internal', 'metadata database error: password authentication failed');
      },
      () => {},
      60_000,
      1,
    ).catch((err: DfsError) => err.code);
    expect([wrong, tries]).to.deep.equal(['internal', 1]);
    const down = await waitForStore(
      async () => {
        throw new DfsError('unavailable', 'down');
      },
      () => {},
      0,
      1,
    ).catch((err: DfsError) => err.code);
    expect(down).to.equal('unavailable');
  });
});
