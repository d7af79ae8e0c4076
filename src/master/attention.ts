// A flag the parts of the master raise when maintenance should look again soon: made first,
// handed to those who raise it and to maintenance, which takes it (no part refers to another).

/** Raised flags for maintenance. */
export class Attention {
  private dirty = true;
  private changed = false;

  /** Something changed that calls for a recount and repairs (a node came or went, a copy rotted). */
  raise(): void {
    this.dirty = true;
  }

  /** Files were committed or removed: recount within a few seconds (not on every commit). */
  note(): void {
    this.changed = true;
  }

  /** Takes the flags, clearing them. */
  take(): { dirty: boolean; changed: boolean } {
    const flags = { dirty: this.dirty, changed: this.changed };
    this.dirty = false;
    this.changed = false;
    return flags;
  }

  /** Puts flags back (a pass that did not run). */
  restore(flags: { dirty: boolean; changed: boolean }): void {
    this.dirty ||= flags.dirty;
    this.changed ||= flags.changed;
  }
}
