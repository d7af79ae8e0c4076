// A client of a single master rides through the master's restart: a call made while the master
// cannot be reached waits for it (`dfs up` starts a failed master again at once) instead of
// failing, while a master the client never reached (a mistyped URL) fails at once. A door in
// front of the master stands for the restart: while shut, it resets every connection and
// counts them; the test opens it again once the client has been turned away twice.

import net from 'node:net';
import { expect } from 'chai';
import type { DfsError } from '../../src/protocol/errors.js';
import { DfsClient } from '../../src/sdk/client.js';
import { bytes, collect, startCluster, type TestCluster } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';

/** A TCP door in front of `target`: open, it forwards; shut, it resets every connection. */
class Door {
  turnedAway = 0;
  private shut = false;
  private readonly sockets = new Set<net.Socket>();
  private readonly server: net.Server;

  private constructor(target: URL) {
    this.server = net.createServer((socket) => {
      socket.on('error', () => {});
      if (this.shut) {
        this.turnedAway++;
        socket.resetAndDestroy();
        return;
      }
      const upstream = net.connect(Number(target.port), target.hostname);
      upstream.on('error', () => socket.destroy());
      socket.on('close', () => upstream.destroy());
      upstream.on('close', () => socket.destroy());
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.pipe(upstream).pipe(socket);
    });
  }

  static async open(target: string): Promise<Door> {
    const door = new Door(new URL(target));
    await new Promise<void>((resolve) => door.server.listen(0, '127.0.0.1', resolve));
    return door;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as net.AddressInfo).port}`;
  }

  /** The master goes away: its connections drop and new ones are refused. */
  close(): void {
    this.shut = true;
    for (const socket of this.sockets) socket.destroy();
  }

  reopen(): void {
    this.shut = false;
  }

  async dispose(): Promise<void> {
    this.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

describe('a client of the only master, while it restarts', () => {
  let cluster: TestCluster;
  let door: Door;

  before(async () => {
    cluster = await startCluster({ nodes: 2 });
  });
  beforeEach(async () => {
    door = await Door.open(cluster.master.url);
  });
  afterEach(async () => {
    await door?.dispose();
  });
  after(async () => {
    await cluster?.close();
  });

  /** Runs `call` while the master is away, and lets the master back once the client was turned away twice. */
  async function acrossRestart<T>(call: () => Promise<T>): Promise<T> {
    door.close();
    const pending = call();
    let settled = false;
    const settle = () => {
      settled = true;
    };
    pending.then(settle, settle);
    await waitFor(() => settled || door.turnedAway >= 2, 'the client to be turned away twice');
    door.reopen();
    return pending;
  }

  it('waits for it: uploads, reads and removes made while it is away succeed once it is back', async () => {
    const sdk = new DfsClient({ master: door.url });
    await sdk.upload(bytes('before'), '/wait/before.txt');

    await acrossRestart(() => sdk.upload(bytes('during'), '/wait/during.txt'));
    expect((await collect(cluster.sdk.download('/wait/during.txt'))).toString()).to.equal('during');

    const read = await acrossRestart(() => collect(sdk.download('/wait/before.txt')));
    expect(read.toString()).to.equal('before');

    await acrossRestart(() => sdk.remove('/wait/before.txt'));
    const gone = await cluster.sdk.stat('/wait/before.txt').catch((err: DfsError) => err.code);
    expect(gone).to.equal('not_found');
  });

  it('does not wait for a master it never reached (a mistyped address fails at once)', async () => {
    door.close();
    const sdk = new DfsClient({ master: door.url });
    const err = (await sdk.stat('/wait/x').catch((e: DfsError) => e)) as DfsError;
    expect(err.code).to.equal('unavailable');
    expect(door.turnedAway).to.equal(1);
  });
});
