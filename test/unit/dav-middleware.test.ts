// The /dav/ middleware over a stub SDK (no cluster): how its failures reach the daemon's log.

import { expect } from 'chai';
import { MemoryLockStore } from '../../src/dav/lock-store.js';
import type { LogFields } from '../../src/http/errors.js';
import type { Listening } from '../../src/http/serve.js';
import { DfsError } from '../../src/protocol/errors.js';
import type { DfsClient } from '../../src/sdk/client.js';
import { send } from '../helpers/adversary.js';
import { startDavServer } from '../helpers/dav-server.js';

describe('dav middleware', () => {
  const logged: { message: string; fields?: LogFields }[] = [];
  let server: Listening;

  before(async () => {
    // A GET stats the file first: a stat that fails as a bug, or as a cluster outage.
    const sdk = {
      stat: async (path: string) => {
        if (path === '/down') throw new DfsError('unavailable', 'no master answers');
        throw new Error('boom');
      },
    } as unknown as DfsClient;
    server = await startDavServer({
      sdk,
      token: '',
      log: (message, fields) => logged.push({ message, fields }),
      locks: new MemoryLockStore(),
    });
  });

  after(async () => {
    await server.close();
  });

  it('logs a 5xx at error level with the method, path and status', async () => {
    expect((await send(server.url, 'GET', '/dav/bug')).status).to.equal(500);
    expect((await send(server.url, 'GET', '/dav/down')).status).to.equal(503);
    expect(logged.map((line) => line.fields)).to.deep.equal([
      { level: 'error', method: 'GET', path: '/dav/bug', status: 500 },
      { level: 'error', method: 'GET', path: '/dav/down', status: 503 },
    ]);
    expect(logged[0]?.message).to.include('boom');
  });
});
