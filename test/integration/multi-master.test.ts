// Several masters on one PostgreSQL, as real processes: any master serves, one leads; the leader
// killed mid-upload, frozen past its lease (a zombie), every master restarted in turn under load,
// PostgreSQL stopped and frozen — nothing acknowledged is lost, and uploads go on through the
// masters left. Skipped (loudly) only where PostgreSQL 15 is not installed; CI installs it.

import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import type { DfsError } from '../../src/protocol/errors.js';
import type { ClusterStatus } from '../../src/protocol/types.js';
import { DfsClient } from '../../src/sdk/client.js';
import { bytes, collect, pieces, randomData, sha256 } from '../helpers/cluster.js';
import { PostgresServer, postgresAvailable } from '../helpers/postgres.js';
import {
  ProcCluster as Cluster,
  type Daemon,
  type ProcCluster,
  report,
  runCli,
  seconds,
} from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';

const CHUNK = 64 * 1024;

describe('several masters on PostgreSQL', function () {
  this.timeout(240_000);
  let pg: PostgresServer | undefined;
  let cluster: ProcCluster | undefined;
  let databases = 0;

  before(async function () {
    if (!postgresAvailable('the multi-master tests')) this.skip();
    pg = await PostgresServer.start();
  });
  after(async () => {
    await pg?.close();
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && cluster) process.stderr.write(`${cluster.logs(80)}\n`);
    await cluster?.close();
    cluster = undefined;
  });

  /** Two masters on a fresh database, three nodes reporting to both. */
  async function twoMasters(gcGrace = 600): Promise<ProcCluster> {
    const url = await (pg as PostgresServer).createDatabase(`mm${++databases}`);
    cluster = await Cluster.start({ nodes: 3, meta: url, masters: 2, leaseTimeout: 2, gcGrace });
    return cluster;
  }

  const statusOf = (m: Daemon) => new DfsClient({ master: m.url }).status();
  async function leaderOf(
    k: ProcCluster,
    among = k.masters,
  ): Promise<{ leader: Daemon; status: ClusterStatus }> {
    let found: { leader: Daemon; status: ClusterStatus } | undefined;
    await waitFor(async () => {
      for (const m of among.filter((d) => d.running)) {
        const status = await statusOf(m).catch(() => undefined);
        if (status?.role === 'leader') found = { leader: m, status };
      }
      return found !== undefined;
    }, 'a leader');
    return found as { leader: Daemon; status: ClusterStatus };
  }

  it('serves from any master: written through one, read through the other at once; one leads', async () => {
    const k = await twoMasters();
    const [m1, m2] = k.masters as [Daemon, Daemon];
    const data = randomData(3 * CHUNK + 5);
    await new DfsClient({ master: m1.url }).upload(pieces(data), '/both/f.bin');
    expect((await collect(new DfsClient({ master: m2.url }).download('/both/f.bin'))).equals(data)).to.equal(
      true,
    );
    // One leads and the other stands by, seen at one moment (a loaded machine may move the lease).
    const status = (await waitFor(async () => {
      const roles = await Promise.all([statusOf(m1), statusOf(m2)]);
      const leading = roles.filter((r) => r.role === 'leader');
      return leading.length === 1 && roles.some((r) => r.role === 'standby') ? leading[0] : false;
    }, 'one leader and one standby')) as ClusterStatus;
    expect(status.masters.map((m) => m.url).sort()).to.deep.equal([m1.url, m2.url].sort());
    expect(status.masters.filter((m) => m.leader)).to.have.length(1);
    const cli = await runCli(['status', '--master', k.masterList]);
    expect(cli.stdout).to.match(/leader/);
    expect(cli.stdout).to.include(m1.url);
    expect(cli.stdout).to.include(m2.url);
  });

  it('never commits both /a and /a/b through two masters at once', async () => {
    const k = await twoMasters();
    const [one, two] = k.masters.map((m) => new DfsClient({ master: m.url })) as [DfsClient, DfsClient];
    for (let round = 0; round < 10; round++) {
      const results = await Promise.allSettled([
        one.upload(bytes(`a${round}`), `/race${round}/a`),
        two.upload(bytes(`b${round}`), `/race${round}/a/b`),
      ]);
      expect(
        results.filter((r) => r.status === 'fulfilled'),
        `round ${round}`,
      ).to.have.length(1);
    }
  });

  it('keeps every acknowledged upload when the leader is killed -9 mid-upload; another leads in time', async () => {
    const k = await twoMasters();
    const { leader } = await leaderOf(k);
    const acked = new Map<string, Buffer>();
    let stop = false;
    const writer = async (w: number) => {
      for (let n = 0; !stop; n++) {
        const data = randomData(CHUNK * (1 + (n % 3)) + n);
        const path = `/ha/w${w}/f${n}`;
        await k.sdk.upload(pieces(data), path).then(
          () => acked.set(path, data),
          () => {},
        );
      }
    };
    const writers = Array.from({ length: 4 }, (_, w) => writer(w));
    await waitFor(() => acked.size >= 10, 'ten acknowledged uploads');
    await leader.kill();
    const killed = Date.now();
    const before = acked.size;
    const { leader: next, status } = await leaderOf(k);
    expect(next).to.not.equal(leader);
    report('a new leader after the kill in', seconds(killed));
    await waitFor(() => acked.size >= before + 10, 'uploads to go on through the master left');
    stop = true;
    await Promise.all(writers);
    expect(status.epoch).to.be.greaterThan(0);
    for (const [path, data] of acked)
      expect((await collect(k.sdk.download(path))).equals(data), path).to.equal(true);
    // A commit whose answer was lost is whole all the same.
    for await (const entry of k.sdk.listAll('/ha/')) {
      const info = await k.sdk.stat(entry.path);
      expect(sha256(await collect(k.sdk.download(entry.path, { info }))), entry.path).to.equal(info.sha256);
    }
  });

  it('a leader frozen past its lease does no harm when it thaws', async () => {
    // A short grace: collection (deletes handed out by the leader) runs during the test.
    const k = await twoMasters(1.5);
    const files = new Map<string, Buffer>();
    for (let i = 0; i < 6; i++) {
      const data = randomData(CHUNK + i);
      await k.sdk.upload(pieces(data), `/zombie/f${i}`);
      files.set(`/zombie/f${i}`, data);
    }
    const garbage: string[] = [];
    for (let i = 0; i < 4; i++) {
      const data = randomData(CHUNK);
      await k.sdk.upload(pieces(data), `/zombie/gone${i}`);
      garbage.push(sha256(data));
    }
    const { leader: zombie, status: old } = await leaderOf(k);
    // Frozen with collection about to run: whatever it had planned must never be carried out.
    for (let i = 0; i < 4; i++) await k.sdk.remove(`/zombie/gone${i}`);
    zombie.signal('SIGSTOP');
    try {
      const next = await leaderOf(
        k,
        k.masters.filter((m) => m !== zombie),
      );
      expect(next.status.epoch).to.be.greaterThan(old.epoch);
      // The new leader collects the garbage: its copies leave every disk.
      await waitFor(async () => {
        for (const id of garbage)
          for (const node of k.nodes) if ((await node.chunkIds()).includes(id)) return false;
        return true;
      }, 'the new leader to collect the garbage');
    } finally {
      zombie.signal('SIGCONT');
    }
    await waitFor(async () => (await statusOf(zombie)).role === 'standby', 'the thawed master to stand by');
    // Whatever the zombie sends now comes from an old epoch: nothing live is touched.
    await k.sdk.upload(pieces(randomData(CHUNK)), '/zombie/after');
    for (const [path, data] of files)
      expect((await collect(k.sdk.download(path))).equals(data), path).to.equal(true);
    const fsck = await runCli(['fsck', '/zombie/', '--json', '--master', k.masterList]);
    expect(fsck.code, fsck.stderr).to.equal(0);
  });

  it('loses nothing through a rolling restart of every master under load', async () => {
    const k = await twoMasters();
    const acked = new Map<string, Buffer>();
    const failures: unknown[] = [];
    let stop = false;
    const writer = async (w: number) => {
      for (let n = 0; !stop; n++) {
        const data = randomData(CHUNK + n);
        const path = `/roll/w${w}/f${n}`;
        await k.sdk.upload(pieces(data), path).then(
          () => acked.set(path, data),
          (err) => failures.push(err),
        );
      }
    };
    const writers = Array.from({ length: 3 }, (_, w) => writer(w));
    for (const master of k.masters) {
      const count = acked.size;
      await waitFor(() => acked.size >= count + 5, 'uploads before the restart');
      await master.restart();
    }
    const count = acked.size;
    await waitFor(() => acked.size >= count + 5, 'uploads after every master restarted');
    stop = true;
    await Promise.all(writers);
    report(
      `acknowledged uploads through the restarts (${failures.length} failed and retried by no one)`,
      String(acked.size),
    );
    for (const [path, data] of acked)
      expect((await collect(k.sdk.download(path))).equals(data), path).to.equal(true);
  });

  it('answers 503 while PostgreSQL is down or frozen, recovers on its own, and loses nothing', async () => {
    const k = await twoMasters();
    const before = randomData(2 * CHUNK);
    await k.sdk.upload(pieces(before), '/pg/before.bin');
    const one = new DfsClient({ master: k.master.url });
    await (pg as PostgresServer).stop();
    const down = (await one.stat('/pg/before.bin').catch((e) => e)) as DfsError;
    expect(down.code).to.equal('unavailable');
    expect(down.status).to.equal(503);
    await (pg as PostgresServer).restart();
    await waitFor(
      async () => (await one.stat('/pg/before.bin').catch(() => undefined)) !== undefined,
      'recovery',
    );
    expect((await collect(k.sdk.download('/pg/before.bin'))).equals(before)).to.equal(true);
    // Frozen for a few seconds: an upload started meanwhile either waits it out or fails clearly.
    (pg as PostgresServer).freeze();
    const during = one.upload(bytes('frozen'), '/pg/frozen.txt').then(
      () => 'ok',
      (e: DfsError) => e.code,
    );
    try {
      await sleep(3000);
    } finally {
      (pg as PostgresServer).thaw();
    }
    expect(['ok', 'unavailable', 'timeout']).to.include(await during);
    const after = randomData(2 * CHUNK);
    await waitFor(async () => {
      try {
        await k.sdk.upload(pieces(after), '/pg/after.bin');
        return true;
      } catch {
        return false;
      }
    }, 'uploads to work again');
    expect((await collect(k.sdk.download('/pg/after.bin'))).equals(after)).to.equal(true);
    expect((await collect(k.sdk.download('/pg/before.bin'))).equals(before)).to.equal(true);
  });
});
