/**
 * The OutboundPublisher the whole core uses (main/app/compose.ts hands it over): the one way in to
 * the outbox. Every message becomes a row in the SQLite outbox, nothing is sent from here: the
 * replay manager (the one drain loop) publishes committed rows — written already claimed by it
 * when it is caught up and has room (ReplayManager.writeWithin), else claimed by its loop. Writes are
 * group-committed — messages handed over within a few milliseconds share one transaction, and the
 * queue in front of that transaction is bounded (it commits at once when `maxBatch` rows wait) —
 * and each publish() resolves only after the transaction holding its row has committed. A caller
 * with its own transaction (the bridge's inbound commit) writes its rows inside it instead.
 * After every commit the claimed rows are published and the drain woken for the rest.
 */
import { ContractError } from '../contract';
import type { OutboundMessage, OutboundPublisher } from '../core/outbound';
import type { OutboxStore } from './outbox-store';

const PRIORITIES = new Set(['low', 'normal', 'high', 'critical']);
/** A NATS subject to publish on: tokens separated by dots, no wildcards, no whitespace. */
const SUBJECT = /^[^\s.*>]+(\.[^\s.*>]+)*$/;

/** Checks one message; a bad one is rejected alone, never the batch it arrived with. */
export function checkOutboundMessage(message: OutboundMessage): void {
  if (typeof message.id !== 'string' || message.id.length === 0 || message.id.length > 200) {
    throw new ContractError(
      'INVALID_INPUT',
      'an outbound message needs an id of 1–200 characters (it becomes Nats-Msg-Id)'
    );
  }
  if (typeof message.subject !== 'string' || !SUBJECT.test(message.subject)) {
    throw new ContractError(
      'INVALID_INPUT',
      `"${String(message.subject)}" is not a subject to publish on (no wildcards or spaces)`,
      {
        id: message.id
      }
    );
  }
  if (!(message.payload instanceof Uint8Array)) {
    throw new ContractError('INVALID_INPUT', `message ${message.id}: the payload must be bytes (Uint8Array)`);
  }
  if (!PRIORITIES.has(message.priority)) {
    throw new ContractError('INVALID_INPUT', `message ${message.id}: priority must be low, normal, high or critical`);
  }
}

interface Waiter {
  messages: OutboundMessage[];
  resolve: () => void;
  reject: (error: unknown) => void;
}

export interface OutboxPublisherOptions {
  /** Commit after this many ms … */
  maxDelayMs?: number;
  /** … or as soon as this many rows are waiting. */
  maxBatch?: number;
  /** Called after each commit (wakes the drain). */
  onCommitted?: (rows: number) => void;
  /**
   * Writes a caller's rows inside its transaction in place of a plain insert — the drain writes
   * them already claimed when it can (see ReplayManager.writeWithin); what it returns runs once
   * that transaction has committed, instead of onCommitted.
   */
  writeWithin?: (messages: readonly OutboundMessage[]) => () => void;
}

export class OutboxPublisher implements OutboundPublisher {
  private readonly store: OutboxStore;
  private readonly maxDelayMs: number;
  private readonly maxBatch: number;
  private readonly onCommitted: (rows: number) => void;
  private readonly writeWithin: ((messages: readonly OutboundMessage[]) => () => void) | null;
  private queue: Waiter[] = [];
  private queuedRows = 0;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(store: OutboxStore, options: OutboxPublisherOptions = {}) {
    this.store = store;
    this.maxDelayMs = options.maxDelayMs ?? 2;
    this.maxBatch = options.maxBatch ?? 1000;
    this.onCommitted = options.onCommitted ?? (() => undefined);
    this.writeWithin = options.writeWithin ?? null;
  }

  publish(message: OutboundMessage): Promise<void> {
    return this.publishMany([message]);
  }

  publishMany(messages: OutboundMessage[]): Promise<void> {
    if (this.closed) {
      return Promise.reject(
        new ContractError('UNAVAILABLE', 'the outbox is closed (the core is stopping); the message was not stored')
      );
    }
    try {
      for (const m of messages) checkOutboundMessage(m);
    } catch (error) {
      return Promise.reject(error);
    }
    if (messages.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ messages, resolve, reject });
      this.queuedRows += messages.length;
      if (this.queuedRows >= this.maxBatch) this.flush();
      else if (!this.timer) this.timer = setTimeout(() => this.flush(), this.maxDelayMs);
    });
  }

  /** Commits everything waiting, in one transaction. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    this.queuedRows = 0;
    const all: OutboundMessage[] = [];
    for (const w of batch) for (const m of w.messages) all.push(m);
    let after: (() => void) | null = null;
    try {
      // The drain writes the rows already claimed when it can (as for the bridge's inbound commit).
      const write = this.writeWithin;
      if (write) after = this.store.inTransaction(() => write(all));
      else this.store.enqueue(all);
    } catch (error) {
      const failure = new ContractError(
        'DATABASE',
        `could not write ${all.length === 1 ? 'a message' : `${all.length} messages`} to the outbox: ${(error as Error).message}. Check free disk space and the data directory's permissions.`,
        undefined,
        { cause: error }
      );
      for (const w of batch) w.reject(failure);
      return;
    }
    for (const w of batch) w.resolve();
    if (after) (after as () => void)();
    else this.onCommitted(all.length);
  }

  /**
   * Writes messages to the outbox inside the caller's open transaction (the bridge's inbound
   * commit: the outputs of an input commit with its inbox id). Returns what to call once that
   * transaction has committed: it publishes the rows the drain claimed as they were written, or
   * wakes the drain. If the transaction rolls back, drop it.
   */
  writeInTransaction(messages: readonly OutboundMessage[]): () => void {
    if (this.closed) {
      throw new ContractError('UNAVAILABLE', 'the outbox is closed (the core is stopping); the message was not stored');
    }
    if (messages.length === 0) return () => undefined;
    if (this.writeWithin) return this.writeWithin(messages);
    this.store.enqueue(messages);
    return () => this.onCommitted(messages.length);
  }

  /** Commits what is waiting and refuses new messages. */
  close(): void {
    this.flush();
    this.closed = true;
  }
}
