// Leadership: one master at a time repairs, trims and collects. It holds a lease in the
// metadata store that carries an epoch (bumped at each takeover); a master that cannot renew
// stops leader work on its own clock, before the lease can pass to another.

import { randomUUID } from 'node:crypto';
import type { MetaStore } from '../meta/store.js';
import type { MasterRecord } from '../meta/types.js';
import type { EventLog } from './events.js';

// A master silent this long is forgotten (until then it is listed, not answering): one that is
// down is for its operator to see, not to vanish from the list a minute later.
const FORGET_SILENT = 24 * 3600_000;

/** The leadership lease of this master. */
export class Leader {
  /** This master's id in the store (new at every start). */
  readonly id = randomUUID();
  private epochValue = 0;
  /** Until when (this master's monotonic clock) it may act as leader: set only from a successful claim. */
  private until = 0;
  private holder = '';
  /** The epoch of the lease as last read, whoever holds it (0 before any read). */
  leaseEpoch = 0;
  /** Every master in the store, this one included; those silent for a day are forgotten. */
  masters: MasterRecord[] = [];
  /** This master's URL, as others reach it. */
  url = '';

  constructor(
    private readonly store: MetaStore,
    private readonly events: EventLog,
    private readonly ttl: number,
    /** A monotonic clock (ms): a wall clock stepped back by NTP must not stretch a lease. */
    private readonly clock: () => number = () => performance.now(),
    /** Whether this master can do leader work (it hears from the storage nodes). */
    private readonly canLead: () => boolean = () => true,
  ) {}

  /** How many other masters were heard from within three leases (by the store's clock). */
  get others(): number {
    const now = this.masters.find((m) => m.id === this.id)?.lastSeen ?? 0;
    return this.masters.filter((m) => m.id !== this.id && now - m.lastSeen <= 3 * this.ttl).length;
  }

  /** True while this master holds a lease it renewed in time. */
  get isLeader(): boolean {
    return this.clock() < this.until;
  }

  /** The epoch this master leads with (0 when it does not lead). */
  get epoch(): number {
    return this.isLeader ? this.epochValue : 0;
  }

  /** The id of the master the store last named leader. */
  get current(): string {
    return this.holder;
  }

  /**
   * Claims or renews the lease. The local deadline is counted from before the call, and a
   * margin short of the store's: a renewal that takes long never extends leadership past it.
   */
  async claim(): Promise<boolean> {
    const started = this.clock();
    const was = this.isLeader;
    try {
      // Stamped by the store's clock, as the lease is judged: masters' clocks may drift apart.
      const masters = await this.store.heartbeatMaster({ id: this.id, url: this.url }, FORGET_SILENT);
      // An earlier run of this master at its URL, killed (silent a lease long): gone for good, not
      // a master not answering.
      const now = masters.find((m) => m.id === this.id)?.lastSeen ?? 0;
      const earlier = masters.filter(
        (m) => this.url !== '' && m.url === this.url && m.id !== this.id && now - m.lastSeen > this.ttl,
      );
      for (const m of earlier) await this.store.leaveCluster(m.id);
      this.masters = masters.filter((m) => !earlier.includes(m));
      // Cut off from the nodes (while another master is there to lead): no repair, trim or
      // collection could happen under this lease, so it is neither taken nor renewed.
      if (!this.canLead() && this.others > 0) {
        this.until = 0;
        if (was)
          this.events.add('standby', 'this master hears from no storage node: it leaves leading to another');
        return false;
      }
      const lease = await this.store.claimLeadership(this.id, this.ttl);
      this.holder = lease.holder;
      this.leaseEpoch = lease.epoch;
      if (lease.holder === this.id) {
        if (!was || lease.epoch !== this.epochValue)
          this.events.add('leader', `this master leads the cluster (epoch ${lease.epoch})`);
        this.epochValue = lease.epoch;
        this.until = started + Math.floor(this.ttl * 0.8);
        return true;
      }
      // Another master holds it (clocks may differ): stop at once.
      this.until = 0;
    } catch {
      // The store is unreachable: leadership lapses on our clock below.
    }
    if (was && !this.isLeader) this.events.add('standby', 'this master no longer leads the cluster');
    return this.isLeader;
  }

  /** Gives the lease up at once (on stop): leader work ends now. */
  resign(): void {
    this.until = 0;
  }

  /**
   * Leaves the cluster (on a clean stop, once leader work has ended): the store forgets this
   * master and lets its lease lapse, so another master, or this one restarted, leads at once.
   */
  async leave(): Promise<void> {
    this.resign();
    await this.store.leaveCluster(this.id).catch(() => {
      // The store is unreachable: the record and the lease time out as after a crash.
    });
  }
}
