/**
 * JetStream publishing with many PubAcks in flight, the way the Go client's PublishAsync works:
 * every publish is a plain core publish whose reply subject is `<inbox>.<token>` under one wildcard
 * subscription, and the PubAck (or the JetStream error, or a no-responders status) is matched to
 * its publish by the token.
 *
 * nats.js's `js.publish()` makes a full request per message instead (a mux entry, a timer, a
 * deferred and an Error object for every publish, even a successful one), which made the client,
 * not the server, the limit of the outbox drain. The results are the same: the same headers
 * (Nats-Msg-Id), the same PubAck fields, the same error classes for a JetStream API error
 * (JetStreamApiError) and for a subject no stream takes (NoRespondersError); a publish that gets no
 * answer within the timeout is rejected with TimeoutError and may or may not have been stored —
 * callers re-publish with the same Nats-Msg-Id, which the stream deduplicates.
 */
import { JetStreamApiError, JetStreamError } from '@nats-io/jetstream';
import {
  ClosedConnectionError,
  createInbox,
  headers as natsHeaders,
  NoRespondersError,
  TimeoutError,
  type Msg,
  type NatsConnection,
  type Subscription
} from '@nats-io/transport-node';

/** What a stream answered for one stored message. */
export interface PubAckInfo {
  stream: string;
  seq: number;
  duplicate: boolean;
  domain?: string;
}

export interface AsyncPublishOptions {
  /** Becomes the Nats-Msg-Id header: the stream stores a message with a known id only once. */
  msgID?: string;
  headers?: Record<string, string> | null;
}

/** Called once per publish with its PubAck or its error (never both). */
export type PubAckCallback = (error: Error | null, ack: PubAckInfo | null) => void;

interface Pending {
  subject: string;
  deadline: number;
  done: PubAckCallback;
}

interface RawPubAck {
  stream?: string;
  seq?: number;
  duplicate?: boolean;
  domain?: string;
  error?: { code: number; err_code: number; description: string };
}

const decoder = new TextDecoder();

export class AsyncJetStreamPublisher {
  private readonly nc: NatsConnection;
  private readonly timeoutMs: number;
  private readonly prefix: string;
  private readonly sub: Subscription;
  private readonly pending = new Map<string, Pending>();
  private next = 0;
  private sweeper: NodeJS.Timeout | null = null;
  private closedWith: Error | null = null;

  constructor(nc: NatsConnection, options: { timeoutMs?: number } = {}) {
    this.nc = nc;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.prefix = createInbox();
    this.sub = nc.subscribe(`${this.prefix}.*`, {
      callback: (error, msg) => {
        if (error) this.close(error);
        else this.onReply(msg);
      }
    });
    nc.closed()
      .then((error) => this.close(error ?? new ClosedConnectionError()))
      .catch(() => undefined);
  }

  /** Closed (by close(), its connection closing, or its reply subscription failing): it publishes no more. */
  get closed(): boolean {
    return this.closedWith !== null;
  }

  /** Publishes waiting for their PubAck. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Publishes one message to JetStream; resolves with its PubAck. */
  publish(subject: string, payload: Uint8Array, options: AsyncPublishOptions = {}): Promise<PubAckInfo> {
    return new Promise<PubAckInfo>((resolve, reject) => {
      this.send(subject, payload, options.msgID, options.headers ?? null, (error, ack) => {
        if (error) reject(error);
        else resolve(ack as PubAckInfo);
      });
    });
  }

  /**
   * Publishes one message and calls `done` with its PubAck or error — without a promise, a
   * closure per publish beyond `done`, or a timer: the outbox drain sends thousands a second.
   * `done` may be called before send returns (the publisher is closed, the write failed).
   */
  send(
    subject: string,
    payload: Uint8Array,
    msgID: string | undefined,
    headers: Record<string, string> | null,
    done: PubAckCallback
  ): void {
    if (this.closedWith) {
      done(this.closedWith, null);
      return;
    }
    const token = (this.next++).toString(36);
    const reply = `${this.prefix}.${token}`;
    try {
      if (msgID || headers) {
        const h = natsHeaders();
        if (headers) for (const key of Object.keys(headers)) h.set(key, headers[key] as string);
        if (msgID) h.set('Nats-Msg-Id', msgID);
        this.nc.publish(subject, payload, { reply, headers: h });
      } else {
        this.nc.publish(subject, payload, { reply });
      }
    } catch (error) {
      done(error as Error, null);
      return;
    }
    this.pending.set(token, { subject, deadline: Date.now() + this.timeoutMs, done });
    if (!this.sweeper) {
      this.sweeper = setInterval(() => this.sweep(), Math.max(10, Math.min(250, this.timeoutMs / 4)));
      this.sweeper.unref();
    }
  }

  /** Rejects everything in flight with `error` and stops listening for PubAcks. */
  close(error: Error = new ClosedConnectionError()): void {
    if (this.closedWith) return;
    this.closedWith = error;
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
    try {
      this.sub.unsubscribe();
    } catch {
      // The connection is closed already: nothing to unsubscribe from.
    }
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const p of waiting) p.done(error, null);
  }

  private onReply(msg: Msg): void {
    const token = msg.subject.slice(this.prefix.length + 1);
    const entry = this.pending.get(token);
    if (!entry) return; // timed out already: the caller re-publishes with the same id
    this.pending.delete(token);
    if (msg.data.length === 0 && msg.headers?.code === 503) {
      entry.done(new NoRespondersError(entry.subject), null);
      return;
    }
    let ack: RawPubAck;
    try {
      ack = JSON.parse(decoder.decode(msg.data)) as RawPubAck;
    } catch {
      entry.done(new JetStreamError(`invalid PubAck for ${entry.subject}: not JSON`), null);
      return;
    }
    if (ack.error) {
      entry.done(new JetStreamApiError(ack.error), null);
      return;
    }
    if (typeof ack.stream !== 'string' || ack.stream === '' || typeof ack.seq !== 'number') {
      entry.done(new JetStreamError(`invalid PubAck for ${entry.subject}: no stream or sequence`), null);
      return;
    }
    const info: PubAckInfo = { stream: ack.stream, seq: ack.seq, duplicate: ack.duplicate === true };
    if (ack.domain) info.domain = ack.domain;
    entry.done(null, info);
  }

  /** Rejects publishes past their deadline (entries are in publish order, so the scan stops early). */
  private sweep(): void {
    const now = Date.now();
    for (const [token, entry] of this.pending) {
      if (entry.deadline > now) break;
      this.pending.delete(token);
      entry.done(new TimeoutError(), null);
    }
    if (this.pending.size === 0 && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = null;
    }
  }
}
