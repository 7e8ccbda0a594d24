/**
 * Inbound consumption paused while the database cannot write. A failed inbound commit (a full
 * disk, a read-only file) would otherwise be followed by the next pull, another failed commit and
 * another nak, over and over: every round trip counts as a delivery, and after the durables'
 * `max_deliver` (10) JetStream gives up on the messages at the head of the stream for good. So
 * the bridge stops pulling instead, and this loop probes the database with one tiny committed
 * write (main/store/write-probe.ts) after a back-off — the project's one back-off
 * (main/core/backoff.ts, no jitter): `baseMs` doubled per failed probe, capped at `maxMs` — until one
 * succeeds; then the bridge binds its durables again and the waiting messages are delivered
 * once more, in order, with deliveries to spare.
 */
import { backoffDelayMs } from '../core/backoff';
import type { Logger } from '../core/logger';
import type { DatabaseWriteReading } from '../store/write-probe';

export interface DatabasePauseOptions {
  /** One write probe; never throws. */
  probe: () => Pick<DatabaseWriteReading, 'writable' | 'reason'>;
  /** The probe succeeded: resume consumption. */
  onWritable: (pausedMs: number) => void;
  baseMs: number;
  maxMs: number;
  logger: Logger;
  clock?: () => number;
}

export class DatabasePause {
  private timer: NodeJS.Timeout | null = null;
  private since: number | null = null;
  private probes = 0;
  private lastReason: string | null = null;

  constructor(private readonly options: DatabasePauseOptions) {}

  /** True from {@link start} until a probe succeeded (or {@link stop}). */
  get active(): boolean {
    return this.since !== null;
  }

  /** Why the last probe failed (for the status view); null when not paused. */
  get reason(): string | null {
    return this.since === null ? null : this.lastReason;
  }

  /** Failed probes since the pause began. */
  get failedProbes(): number {
    return this.probes;
  }

  /** Pauses (once; a second call while paused changes nothing) and schedules the first probe. */
  start(reason: string): void {
    if (this.since !== null) return;
    this.since = (this.options.clock ?? Date.now)();
    this.probes = 0;
    this.lastReason = reason;
    this.schedule();
  }

  /** Ends the pause without resuming (the bridge stops). */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.since = null;
  }

  /** The wait before the next probe: baseMs after the pause began, doubled per failed probe, at most maxMs. */
  get nextDelayMs(): number {
    return backoffDelayMs(this.probes + 1, { initialMs: this.options.baseMs, maxMs: this.options.maxMs });
  }

  private schedule(): void {
    this.timer = setTimeout(() => this.probe(), this.nextDelayMs);
    this.timer.unref();
  }

  private probe(): void {
    this.timer = null;
    if (this.since === null) return;
    const reading = this.options.probe();
    if (reading.writable) {
      const pausedMs = (this.options.clock ?? Date.now)() - this.since;
      this.since = null;
      this.options.onWritable(pausedMs);
      return;
    }
    this.probes++;
    if (reading.reason !== this.lastReason) {
      this.options.logger.warn('the database still cannot be written; inbound consumption stays paused', {
        reason: reading.reason
      });
      this.lastReason = reading.reason;
    }
    this.schedule();
  }
}
