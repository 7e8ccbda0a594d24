/**
 * Acks held for the shared engine state (the leadership seam, main/leadership/shared-state.ts).
 *
 * Under a lease, the next leader continues from the state this leader last wrote to the bucket, not
 * from this core's SQLite. An input acked once its batch committed, but whose effect on the engine
 * (a problem opened or closed, a strategy weight moved) had not reached the bucket yet, would be
 * lost for the next leader if this one died in between: JetStream never redelivers it, and the
 * restored state lacks it (a second decision for the same failure, or a closed problem open again).
 * So while a holder is installed, the acks of such inputs wait here until a bucket write that read
 * the engine after their commit has landed; the holder then releases them up to the mark it took
 * when it read the engine. Given back (nak'ed) when the lease is lost or the holder goes, so
 * JetStream redelivers them to whoever leads. Held messages count toward the consumer's
 * max_ack_pending, which bounds them.
 *
 * Without a holder (no lease: a single core, the benchmarks) nothing is held.
 */
import type { Settlement } from './inbound-batch';

export interface HeldAcksOptions {
  /** Acks one settlement and tells the bus (as at once, without a holder). */
  ack: (s: Settlement) => void;
  /** Gives a message back for redelivery (nak with back-off). */
  giveBack: (s: Settlement) => void;
  /**
   * How often held messages are reported in progress (`msg.working()`), which restarts their
   * ack_wait; shorter than the inbound durables' ack_wait (30 s). Default 10 s.
   */
  progressEveryMs?: number;
}

/** Default of {@link HeldAcksOptions.progressEveryMs}: a third of the product durables' ack_wait. */
export const HELD_ACK_PROGRESS_MS = 10_000;

export class HeldAcks {
  private readonly held: Settlement[] = [];
  /** Sequence number of held[0]: marks count every settlement ever held. */
  private base = 0;
  private onHeld: (() => void) | null = null;
  private progressTimer: NodeJS.Timeout | null = null;

  constructor(private readonly options: HeldAcksOptions) {}

  /** Whether a holder is installed (acks of inputs that changed the shared state wait). */
  get holding(): boolean {
    return this.onHeld !== null;
  }

  /** Messages whose ack waits for the shared state. */
  get size(): number {
    return this.held.length;
  }

  /**
   * Installs the holder: `onHeld` is called whenever a settlement is held (it should write the
   * shared state soon). Leadership seam.
   */
  enable(onHeld: () => void): void {
    this.onHeld = onHeld;
    if (!this.progressTimer) {
      this.progressTimer = setInterval(() => this.progress(), this.options.progressEveryMs ?? HELD_ACK_PROGRESS_MS);
      this.progressTimer.unref();
    }
  }

  /** Removes the holder and gives back what is still held. */
  disable(): void {
    this.onHeld = null;
    if (this.progressTimer) clearInterval(this.progressTimer);
    this.progressTimer = null;
    this.giveBack();
  }

  /**
   * Tells JetStream that every held message is still being worked on (`msg.working()`), so it is
   * not redelivered after ack_wait while the bucket cannot be written: a redelivery would only be
   * held again here, and each one uses up one of the durable's `max_deliver` attempts, after which
   * JetStream drops the message and no next leader could get it back. A lost lease still gives
   * them back at once (nak). The number held stays bounded by the durable's `max_ack_pending`.
   */
  progress(): void {
    for (const s of this.held) {
      try {
        s.msg.working();
      } catch {
        // The connection is gone: the message comes back after ack_wait and is held again.
      }
    }
  }

  /** Holds a committed input's ack (the settler calls this only while {@link holding}). */
  hold(s: Settlement): void {
    this.held.push(s);
  }

  /** Tells the holder that something was held (once per settled batch). */
  heldSome(): void {
    this.onHeld?.();
  }

  /**
   * Everything held so far. Taken at the moment the engine's state is read for a write: that
   * state holds the effects of every input held before the mark (each was held right after its
   * commit, synchronously).
   */
  mark(): number {
    return this.base + this.held.length;
  }

  /** The write that took `mark` landed: acks what was held before it. */
  release(mark: number): void {
    const n = Math.min(mark - this.base, this.held.length);
    if (n <= 0) return;
    const released = this.held.splice(0, n);
    this.base += n;
    for (const s of released) this.options.ack(s);
  }

  /**
   * The lease is lost (or the holder goes): nothing held is acked here any more; JetStream
   * redelivers it to whoever leads, which steps it again (the derived output ids make any copy
   * of its outputs a duplicate the stream drops).
   */
  giveBack(): void {
    if (this.held.length === 0) return;
    const given = this.held.splice(0);
    this.base += given.length;
    for (const s of given) this.options.giveBack(s);
  }
}
