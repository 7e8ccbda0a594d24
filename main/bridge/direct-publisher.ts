/**
 * The simplest OutboundPublisher: publish straight to JetStream, with Nats-Msg-Id = message id,
 * and resolve on the PubAck. Used when no outbox publisher is registered; the durability area
 * registers its SQLite outbox under the same interface, which then takes precedence.
 */
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import type { ConnectionManager } from '../nats/connection';
import type { OutboundMessage, OutboundPublisher, PublishReceipt } from '../core/outbound';

export interface DirectPublisherOptions {
  /** PubAck timeout per message. */
  timeoutMs?: number;
}

export class DirectJetStreamPublisher implements OutboundPublisher {
  /** Tells the status view which publisher is in use. */
  readonly kind = 'direct-jetstream';
  private js: { nc: NatsConnection; client: JetStreamClient } | null = null;
  private readonly timeoutMs: number;

  constructor(
    private readonly nats: Pick<ConnectionManager, 'requireConnection'>,
    options: DirectPublisherOptions = {}
  ) {
    this.timeoutMs = options.timeoutMs ?? 5000;
  }

  private client(): JetStreamClient {
    const nc = this.nats.requireConnection();
    if (!this.js || this.js.nc !== nc) this.js = { nc, client: jetstream(nc, { timeout: this.timeoutMs }) };
    return this.js.client;
  }

  /** Publishes one message and returns where it landed (the PubAck). */
  async publishWithReceipt(message: OutboundMessage): Promise<PublishReceipt> {
    const js = this.client();
    let h;
    if (message.headers && Object.keys(message.headers).length > 0) {
      h = natsHeaders();
      for (const [key, value] of Object.entries(message.headers)) h.set(key, value);
    }
    const ack = await js.publish(message.subject, message.payload, {
      msgID: message.id,
      timeout: this.timeoutMs,
      ...(h ? { headers: h } : {})
    });
    return { stream: ack.stream, seq: ack.seq, duplicate: ack.duplicate };
  }

  async publish(message: OutboundMessage): Promise<void> {
    await this.publishWithReceipt(message);
  }

  /** Publishes concurrently (PubAcks are pipelined) and fails if any one fails. */
  async publishMany(messages: OutboundMessage[]): Promise<void> {
    const results = await Promise.allSettled(messages.map((m) => this.publishWithReceipt(m)));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed.length > 0) {
      const first = failed[0]?.reason;
      const error = new Error(
        `${failed.length} of ${messages.length} publishes failed: ${first instanceof Error ? first.message : String(first)}`,
        { cause: first }
      );
      throw Object.assign(error, { failedCount: failed.length });
    }
  }
}
