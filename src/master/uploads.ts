// Uploads in progress: the chunks they have been allocated are pinned so that garbage
// collection never removes a chunk a commit is about to reference.

// Most expired uploads remembered.
const MAX_LAPSED = 100_000;

/** Tracks each open upload's chunks and when it was last active. */
export class UploadTracker {
  private readonly uploads = new Map<string, { lastActive: number; chunks: Set<string> }>();
  /** How often each chunk is pinned by an open upload. */
  private readonly pins = new Map<string, number>();
  /** Uploads that expired, oldest first, so a late commit can be refused. */
  private readonly lapsed = new Map<string, number>();

  constructor(private readonly idleExpiry: number) {}

  /** Records that upload `uploadId` was allocated `chunkIds` just now. */
  touch(uploadId: string, chunkIds: string[], now = Date.now()): void {
    let upload = this.uploads.get(uploadId);
    if (!upload) {
      upload = { lastActive: now, chunks: new Set() };
      this.uploads.set(uploadId, upload);
    }
    upload.lastActive = now;
    for (const id of chunkIds) {
      if (upload.chunks.has(id)) continue;
      upload.chunks.add(id);
      this.pins.set(id, (this.pins.get(id) ?? 0) + 1);
    }
  }

  /** Ends an upload (committed or abandoned): its pins are released. */
  finish(uploadId: string): void {
    this.lapsed.delete(uploadId);
    const upload = this.uploads.get(uploadId);
    if (!upload) return;
    this.uploads.delete(uploadId);
    for (const id of upload.chunks) {
      const n = (this.pins.get(id) ?? 1) - 1;
      if (n <= 0) this.pins.delete(id);
      else this.pins.set(id, n);
    }
  }

  /**
   * True when upload `uploadId` once went idle past the expiry: its pins were released then, so
   * chunks it wrote before may have been collected (even if it was allocated to again since).
   */
  expired(uploadId: string): boolean {
    return this.lapsed.has(uploadId);
  }

  /** True while an open upload holds chunk `id`. */
  pinned(id: string): boolean {
    return this.pins.has(id);
  }

  /** Forgets uploads idle for longer than the expiry; returns how many. */
  expire(now = Date.now()): number {
    let n = 0;
    for (const [id, upload] of this.uploads) {
      if (now - upload.lastActive > this.idleExpiry) {
        this.finish(id);
        this.lapsed.set(id, now);
        n++;
      }
    }
    // Remembered for a long while, but not forever.
    for (const [id, when] of this.lapsed) {
      if (now - when <= 10 * this.idleExpiry && this.lapsed.size <= MAX_LAPSED) break;
      this.lapsed.delete(id);
    }
    return n;
  }

  /** How many uploads are open. */
  get open(): number {
    return this.uploads.size;
  }
}
