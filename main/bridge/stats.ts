/**
 * The bridge's counters: totals for the status view, and the per-window differences the metrics
 * summary (`metrics.control_center`) publishes.
 */
import type { MessageData } from '../contract/messages';
import type { EngineSnapshot } from '../engine/engine';

export interface BridgeCounters {
  received: number;
  accepted: number;
  invalid: number;
  naks: number;
  duplicates: number;
  published: number;
  failed: number;
  dropped: number;
  /** Engine outputs not made because the lease had run out (self-fencing). */
  fenced: number;
}

interface Window extends Omit<BridgeCounters, 'fenced'> {
  events: number;
  errors: number;
  at: number;
}

export class BridgeStats {
  readonly counters: BridgeCounters = {
    received: 0,
    accepted: 0,
    invalid: 0,
    naks: 0,
    duplicates: 0,
    published: 0,
    failed: 0,
    dropped: 0,
    fenced: 0
  };
  private readonly invalidByReason: Record<string, number> = {};
  /** Counters at the last metrics summary, for per-window figures. */
  private lastWindow: Window;
  private readonly invalidWindow: Record<string, number> = {};

  constructor(startedAt: number) {
    this.lastWindow = {
      received: 0,
      accepted: 0,
      invalid: 0,
      naks: 0,
      duplicates: 0,
      published: 0,
      failed: 0,
      dropped: 0,
      events: 0,
      errors: 0,
      at: startedAt
    };
  }

  /** An invalid message's record committed: count it by reason. */
  countInvalid(reason: string): void {
    this.counters.invalid++;
    this.invalidByReason[reason] = (this.invalidByReason[reason] ?? 0) + 1;
    this.invalidWindow[reason] = (this.invalidWindow[reason] ?? 0) + 1;
  }

  /** The inbound totals as the status view shows them. */
  inbound() {
    const c = this.counters;
    return {
      received: c.received,
      accepted: c.accepted,
      invalid: c.invalid,
      naks: c.naks,
      duplicates: c.duplicates,
      invalidByReason: { ...this.invalidByReason }
    };
  }

  /** The metrics summary of the window since the last one; starts the next window. */
  summary(now: number, snap: EngineSnapshot, instance: string): MessageData<'metrics.summary'> {
    const w = this.lastWindow;
    const c = this.counters;
    const windowS = Math.max(0.001, (now - w.at) / 1000);
    const data: MessageData<'metrics.summary'> = {
      service: 'control_center',
      instance,
      window_s: Math.round(windowS * 1000) / 1000,
      inbound: {
        received: c.received - w.received,
        accepted: c.accepted - w.accepted,
        invalid: c.invalid - w.invalid,
        invalid_by_reason: { ...this.invalidWindow },
        naks: c.naks - w.naks,
        rate_per_s: Math.round(((c.received - w.received) / windowS) * 100) / 100
      },
      outbound: { published: c.published - w.published, failed: c.failed - w.failed, dropped: c.dropped - w.dropped },
      engine: {
        ...snap.state,
        events_emitted: snap.counters.events - w.events,
        errors: snap.counters.errors - w.errors
      },
      rss_bytes: process.memoryUsage.rss()
    };
    this.lastWindow = { ...c, events: snap.counters.events, errors: snap.counters.errors, at: now };
    for (const key of Object.keys(this.invalidWindow)) delete this.invalidWindow[key];
    return data;
  }
}
