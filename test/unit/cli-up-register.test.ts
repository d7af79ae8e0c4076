// `dfs up` says it is ready once the master counts every node it started; a node that has not
// registered in time is named (a fake master here: it lists what each test says).

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { unregistered } from '../../src/cli/up.js';

describe('dfs up: waiting for its nodes to register', () => {
  let server: http.Server;
  let master: string;
  // What the fake master lists: each answer takes the next list, the last one repeated.
  let lists: { url: string; state: string; capacity: number }[][] = [];
  let asked = 0;

  before(async () => {
    server = http.createServer((req, res) => {
      if (req.url !== '/api/nodes') {
        res.writeHead(404).end();
        return;
      }
      const nodes = lists[Math.min(asked++, lists.length - 1)];
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ nodes }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    master = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise((resolve) => server.close(resolve)));
  beforeEach(() => {
    asked = 0;
  });

  const node = (port: number, state = 'alive', capacity = 1000) => ({
    url: `http://192.0.2.7:${port}`,
    state,
    capacity,
  });
  // Started on 127.0.0.1; the master lists them under their advertised address, same port.
  const started = [
    { name: 'node1', url: 'http://127.0.0.1:7101' },
    { name: 'node2', url: 'http://127.0.0.1:7102' },
  ];

  it('waits until every node is alive and registered', async () => {
    lists = [[], [node(7101)], [node(7101), node(7102, 'dead')], [node(7102), node(7101)]];
    expect(await unregistered(master, started, 60_000)).to.deep.equal([]);
    expect(asked).to.equal(4);
  });

  it('names the nodes not registered once the wait is over', async () => {
    // node2 listed without capacity: it has not reported its disk yet.
    lists = [[node(7101), node(7102, 'alive', 0), node(7103)]];
    const t0 = Date.now();
    expect(await unregistered(master, started, 300)).to.deep.equal(['node2']);
    expect(Date.now() - t0).to.be.at.least(300);
  });

  it('a master that does not answer leaves every node unregistered', async () => {
    expect(await unregistered('http://127.0.0.1:1', started, 200)).to.deep.equal(['node1', 'node2']);
  });
});
