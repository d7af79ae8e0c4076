// The SDK's HTTP transport: an answer that has no body (HEAD) gets no buffer, whatever length it
// states.

import http from 'node:http';
import type net from 'node:net';
import { expect } from 'chai';
import { request } from '../../src/sdk/transport.js';

describe('sdk transport', () => {
  let server: http.Server;
  let base: string;
  before(async () => {
    // A node answering a chunk probe (HEAD): the length of a 64 MiB chunk, and no body.
    server = http.createServer((_req, res) => {
      res.setHeader('content-length', String(64 * 1024 * 1024));
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('allocates nothing for the body a HEAD answer states but never sends', async () => {
    const sizes: number[] = [];
    const allocUnsafe = Buffer.allocUnsafe;
    Buffer.allocUnsafe = (size: number) => {
      sizes.push(size);
      return allocUnsafe(size);
    };
    try {
      const reply = await request(new URL('/chunks/x', base), { method: 'HEAD' }, undefined);
      expect([reply.status, reply.body.length]).to.deep.equal([200, 0]);
    } finally {
      Buffer.allocUnsafe = allocUnsafe;
    }
    expect(Math.max(0, ...sizes)).to.be.lessThan(1024 * 1024);
  });
});
