/**
 * Outputs of a core without the durability area (no outbox): once their input's batch committed
 * they go to the registered publisher at once, at most `limit` of them waiting for it; beyond that
 * they are dropped and counted.
 */
import type { Logger } from '../core/logger';
import type { OutboundMessage, OutboundPublisher } from '../core/outbound';
import type { BridgeCounters } from './stats';

export class DirectOutputs {
  private readonly sending = new Set<Promise<void>>();
  private queued = 0;

  constructor(
    private readonly counters: BridgeCounters,
    private readonly limit: number,
    private readonly logger: Logger
  ) {}

  /** Messages handed to the publisher and not yet accepted by it. */
  get waiting(): number {
    return this.queued;
  }

  publish(publisher: OutboundPublisher, messages: OutboundMessage[]): void {
    const room = this.limit - this.queued;
    if (room <= 0) {
      this.counters.dropped += messages.length;
      return;
    }
    const batch = room < messages.length ? messages.slice(0, room) : messages;
    this.counters.dropped += messages.length - batch.length;
    this.queued += batch.length;
    const sent = publisher.publishMany(batch).then(
      () => {
        this.counters.published += batch.length;
      },
      (error: unknown) => {
        const failed = (error as { failedCount?: number }).failedCount ?? batch.length;
        this.counters.failed += failed;
        this.counters.published += batch.length - failed;
        this.logger.warn('publishing engine events failed', { count: failed, error });
      }
    );
    const settled = sent.finally(() => {
      this.queued -= batch.length;
      this.sending.delete(settled);
    });
    this.sending.add(settled);
  }

  /** Resolves once everything handed over is accepted (or failed). */
  async flush(): Promise<void> {
    while (this.sending.size > 0) await Promise.all([...this.sending]);
  }
}
