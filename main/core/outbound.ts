/**
 * The one way the core publishes application messages. The engine bridge, heartbeats and alerts
 * hand messages to the OutboundPublisher they are given as a constructor parameter; the
 * composition root (main/app/compose.ts) gives every one of them the durability area's SQLite
 * outbox, and there is no other implementation in the core.
 */

export type MessagePriority = 'low' | 'normal' | 'high' | 'critical';

export interface OutboundMessage {
  /** Unique; sent as Nats-Msg-Id so JetStream drops re-publishes inside the duplicate window. */
  id: string;
  subject: string;
  payload: Uint8Array;
  headers?: Record<string, string>;
  priority: MessagePriority;
}

/** Where a message landed, from the JetStream PubAck. */
export interface PublishReceipt {
  stream: string;
  seq: number;
  duplicate: boolean;
}

export interface OutboundPublisher {
  /**
   * Accepts a message for delivery. Resolves once it is durably accepted (written to the outbox,
   * or acknowledged by JetStream for a publisher without a store); delivery may happen later.
   */
  publish(message: OutboundMessage): Promise<void>;
  /** Same for many at once (one transaction for the outbox). */
  publishMany(messages: OutboundMessage[]): Promise<void>;
}

/**
 * A publisher backed by the SQLite database the caller writes to: it can write messages inside the
 * caller's transaction, so they commit (or roll back) together with the caller's own rows.
 */
export interface TransactionalPublisher extends OutboundPublisher {
  /** Writes inside the open transaction; call the result after it committed. */
  writeInTransaction(messages: readonly OutboundMessage[]): () => void;
}

export function isTransactional(publisher: OutboundPublisher | null | undefined): publisher is TransactionalPublisher {
  return typeof (publisher as Partial<TransactionalPublisher> | null | undefined)?.writeInTransaction === 'function';
}
