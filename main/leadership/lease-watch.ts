/**
 * How an instance judges the holder of the lease gone: it reads the key from the stream leader and
 * watches its revision stand still on its own monotonic clock.
 *
 * Expiry is judged by the contenders, not by the bucket: a contender takes the lease over only
 * after it has read the same revision for the holder's TTL (written in the lease value) plus a
 * small grace, with every read in that window answered; a failed read starts the window again. It
 * starts counting when the answer arrives, which is after the holder sent that write, so the
 * holder (which counts from before it sent it) has fenced itself before anyone else can write.
 * Safety so depends on no clock shared between workstations.
 */
import type { KV, KvEntry } from '@nats-io/kv';
import { decodeLease, leaderOf, leaseKey, takeoverGraceMs, type LeaderInfo } from './lease-record';

export class LeaseWatch {
  /**
   * The lease revision this instance has read, and since when (monotonic, when the read's answer
   * arrived, so never before the holder sent that write). Cleared by any failed read: a contender
   * must watch a revision stand still with every read answered before it judges the holder gone.
   */
  private seen: { revision: number; at: number; lapseMs: number } | null = null;
  private lastLeader: LeaderInfo | null = null;
  /** Monotonic time a holder of the lease (this core or another) was last seen. */
  private leaderSeenAt: number | null = null;
  private readonly createdAt: number;

  /** `ttlMs`: this instance's TTL, assumed for a lease value that does not name its own. */
  constructor(
    private readonly group: string,
    private readonly ttlMs: number,
    private readonly now: () => number
  ) {
    this.createdAt = now();
  }

  /** Reads the lease from the stream leader and keeps watch on how long its revision stands still. */
  async read(kv: KV): Promise<KvEntry | null> {
    let entry: KvEntry | null;
    try {
      entry = await kv.get(leaseKey(this.group));
    } catch (error) {
      this.seen = null;
      throw error;
    }
    const at = this.now();
    if (!entry || entry.operation !== 'PUT') this.seen = null;
    else if (this.seen?.revision !== entry.revision) {
      const ttl = decodeLease(entry)?.ttlMs ?? this.ttlMs;
      this.seen = { revision: entry.revision, at, lapseMs: ttl + takeoverGraceMs(ttl) };
    }
    const leader = leaderOf(entry);
    this.lastLeader = leader && entry && !this.lapsed(entry) ? leader : null;
    if (this.lastLeader) this.leaderSeenAt = at;
    return entry;
  }

  /**
   * True when this instance has read the entry's revision unchanged, every read answered, for the
   * holder's TTL plus the grace: the holder (which counts from before it sent that write) has
   * fenced itself by then, so a compare-and-set on this revision may start a new term.
   */
  lapsed(entry: KvEntry): boolean {
    return (
      this.seen !== null && this.seen.revision === entry.revision && this.now() - this.seen.at >= this.seen.lapseMs
    );
  }

  /** Nothing is watched while disconnected: the window starts again with the next answered read. */
  forget(): void {
    this.seen = null;
  }

  /** How long until the watched revision would lapse (infinite when none is watched). */
  lapsesInMs(): number {
    return this.seen ? this.seen.at + this.seen.lapseMs - this.now() : Number.POSITIVE_INFINITY;
  }

  /** The leader of the last read, unless it had lapsed by then. */
  lastSeenLeader(): LeaderInfo | null {
    return this.lastLeader;
  }

  /** A holder of the lease (this instance's own renewal) was seen at `at`. */
  sawLeader(at: number): void {
    this.leaderSeenAt = at;
  }

  /** How long since a holder of the lease was last seen (since this watch began if never). */
  unseenForMs(): number {
    return Math.max(0, this.now() - (this.leaderSeenAt ?? this.createdAt));
  }
}
