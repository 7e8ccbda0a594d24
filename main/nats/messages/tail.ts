/**
 * Live tails: a core NATS subscription per tail, its newest messages kept in a bounded ring and
 * delivered in batches at most every {@link TAIL_FLUSH_MS}. While paused (or when a burst
 * outruns delivery) the ring keeps the newest `capacity` messages; older undelivered ones are
 * dropped and counted, so memory stays bounded whatever the subject's rate.
 */
import { randomUUID } from 'node:crypto';
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { ContractError, type TailBatch, type TailInfo, type TailMessage } from '../../contract';
import type { Logger } from '../../core/logger';
import { type ConnectionManager, toNatsContractError } from '../connection';
import { headersOf, previewPayload } from './payload';
import { RingBuffer } from '../../core/ring-buffer';

/** How often a running tail delivers (the transports coalesce at ~20/s too). */
export const TAIL_FLUSH_MS = 50;
/** At most this many tails per caller session, and in all. */
export const MAX_TAILS_PER_SESSION = 20;
export const MAX_TAILS = 200;
/** At most this many bytes of payload kept per tail, whatever its capacity in messages. */
export const TAIL_MAX_BYTES = 64 * 1024 * 1024;

export interface TailStartOptions {
  subject: string;
  capacity: number;
  previewBytes: number;
  /** The caller's session: only it sees and controls the tail. */
  sessionId?: string;
  /** Aborted when the caller goes away: the tail stops. */
  signal?: AbortSignal;
}

/** A received message as kept in the ring: only its first previewBytes, formatted when delivered. */
interface Entry {
  seq: number;
  subject: string;
  reply: string | null;
  headers: Record<string, string[]> | null;
  /** The first previewBytes (+3, to find a character boundary) of the payload, copied. */
  head: Uint8Array;
  size: number;
  time: number;
}

class Tail {
  readonly id = randomUUID();
  readonly startedAt = new Date().toISOString();
  state: TailInfo['state'] = 'running';
  /** The kept messages, seqs oldest()…received in order. */
  private readonly ring: RingBuffer<Entry>;
  private bytes = 0;
  private received = 0;
  private dropped = 0;
  /** Highest seq delivered in a batch. */
  private delivered = 0;
  private lastMessageAt: number | null = null;
  private sub: Subscription | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    readonly subject: string,
    readonly capacity: number,
    readonly previewBytes: number,
    readonly sessionId: string | undefined,
    private readonly emit: (batch: TailBatch, sessionId: string | undefined) => void
  ) {
    this.ring = new RingBuffer<Entry>(capacity);
  }

  /** Subscribes on this connection (again after the manager made a new one). */
  attach(nc: NatsConnection): void {
    if (this.stopped) return;
    this.unsubscribe();
    this.sub = nc.subscribe(this.subject, { callback: (error, msg) => (error ? undefined : this.onMessage(msg)) });
  }

  private oldest(): number {
    return this.received - this.ring.size + 1;
  }

  /** Drops the oldest kept message, counting it when it was never delivered. */
  private evictOldest(): void {
    const seq = this.oldest();
    const entry = this.ring.shift();
    if (entry) this.bytes -= entry.head.length;
    if (seq > this.delivered) this.dropped++;
  }

  private onMessage(msg: Msg): void {
    // O(1) per message, and no formatting until delivery: a burst costs little even when dropped.
    if (this.ring.full) this.evictOldest();
    const seq = ++this.received;
    const head = msg.data.slice(0, this.previewBytes + 3);
    this.lastMessageAt = Date.now();
    this.ring.push({
      seq,
      subject: msg.subject,
      reply: msg.reply && msg.reply.length > 0 ? msg.reply : null,
      headers: headersOf(msg.headers),
      head,
      size: msg.data.length,
      time: this.lastMessageAt
    });
    this.bytes += head.length;
    while (this.bytes > TAIL_MAX_BYTES && this.ring.size > 1) this.evictOldest();
    if (this.state === 'running' && !this.timer) this.timer = setTimeout(() => this.flush(), TAIL_FLUSH_MS);
  }

  private format(entry: Entry): TailMessage {
    const preview = previewPayload(entry.head, this.previewBytes);
    return {
      seq: entry.seq,
      subject: entry.subject,
      time: new Date(entry.time).toISOString(),
      reply: entry.reply,
      headers: entry.headers,
      ...preview,
      size: entry.size,
      truncated: entry.size > this.previewBytes
    };
  }

  private collect(afterSeq: number): TailMessage[] {
    const out: TailMessage[] = [];
    const oldest = this.oldest();
    for (let seq = Math.max(afterSeq + 1, oldest); seq <= this.received; seq++) {
      const entry = this.ring.at(seq - oldest);
      if (entry && entry.seq === seq) out.push(this.format(entry));
    }
    return out;
  }

  /** Pushes everything undelivered in one batch. */
  flush(): void {
    this.timer = null;
    if (this.stopped || this.state !== 'running' || this.delivered >= this.received) return;
    const messages = this.collect(this.delivered);
    this.delivered = this.received;
    if (messages.length === 0) return;
    // Only the client that started the tail receives its messages.
    this.emit(
      { tailId: this.id, messages, received: this.received, dropped: this.dropped, state: this.state },
      this.sessionId
    );
  }

  pause(): void {
    this.state = 'paused';
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  resume(): void {
    if (this.state === 'running') return;
    this.state = 'running';
    this.flush();
  }

  read(afterSeq: number): TailMessage[] {
    return this.collect(afterSeq);
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.unsubscribe();
    this.ring.clear();
    this.bytes = 0;
  }

  private unsubscribe(): void {
    const sub = this.sub;
    this.sub = null;
    if (!sub || sub.isClosed()) return;
    try {
      sub.unsubscribe();
    } catch {
      // its connection is closed or draining: the subscription is gone with it
    }
  }

  info(): TailInfo {
    return {
      id: this.id,
      subject: this.subject,
      state: this.state,
      capacity: this.capacity,
      previewBytes: this.previewBytes,
      buffered: this.ring.size,
      received: this.received,
      dropped: this.dropped,
      startedAt: this.startedAt,
      lastMessageAt: this.lastMessageAt === null ? null : new Date(this.lastMessageAt).toISOString()
    };
  }
}

/** The live tails of every caller, bound to the manager's current connection. */
export class TailService {
  private readonly tails = new Map<string, Tail>();
  private readonly offConnect: () => void;

  constructor(
    private readonly nats: ConnectionManager,
    private readonly emit: (batch: TailBatch, sessionId: string | undefined) => void,
    private readonly logger: Logger
  ) {
    // A new connection (after a profile switch or a lost one) gets every tail's subscription again.
    this.offConnect = nats.onConnect((nc) => {
      for (const tail of this.tails.values()) {
        try {
          tail.attach(nc);
        } catch (error) {
          this.logger.warn('could not resubscribe a live tail', { subject: tail.subject, error });
        }
      }
    });
  }

  /**
   * Starts a tail on the live connection; answers once the server has the subscription, so
   * nothing published after the answer is missed. NOT_CONNECTED while offline.
   */
  async start(options: TailStartOptions): Promise<TailInfo> {
    const nc = this.nats.requireConnection();
    if (this.tails.size >= MAX_TAILS) {
      throw new ContractError('CONFLICT', `too many live tails (${MAX_TAILS}); stop some first`);
    }
    const own = [...this.tails.values()].filter((t) => t.sessionId === options.sessionId).length;
    if (own >= MAX_TAILS_PER_SESSION) {
      throw new ContractError('CONFLICT', `this client already has ${own} live tails; stop one first`);
    }
    const tail = new Tail(options.subject, options.capacity, options.previewBytes, options.sessionId, this.emit);
    try {
      tail.attach(nc);
      // Make sure the server has the subscription before answering, so nothing published after
      // the answer is missed, and a permissions error surfaces here.
      await nc.flush();
    } catch (error) {
      tail.stop();
      throw toNatsContractError(error, this.nats.status().servers);
    }
    this.tails.set(tail.id, tail);
    if (options.signal) {
      if (options.signal.aborted) this.stop(tail.id);
      else options.signal.addEventListener('abort', () => this.stop(tail.id), { once: true });
    }
    return tail.info();
  }

  /** Tails visible to a session (all of them for in-process callers without one). */
  list(sessionId?: string): TailInfo[] {
    return [...this.tails.values()].filter((t) => this.visible(t, sessionId)).map((t) => t.info());
  }

  pause(id: string, sessionId?: string): TailInfo {
    const tail = this.require(id, sessionId);
    tail.pause();
    return tail.info();
  }

  resume(id: string, sessionId?: string): TailInfo {
    const tail = this.require(id, sessionId);
    tail.resume();
    return tail.info();
  }

  read(id: string, afterSeq: number, sessionId?: string): { tail: TailInfo; messages: TailMessage[] } {
    const tail = this.require(id, sessionId);
    return { tail: tail.info(), messages: tail.read(afterSeq) };
  }

  /** Stops a tail; false when there is none (already stopped). */
  stop(id: string, sessionId?: string): boolean {
    const tail = this.tails.get(id);
    if (!tail || !this.visible(tail, sessionId)) return false;
    tail.stop();
    this.tails.delete(id);
    return true;
  }

  /** Stops every tail (core stop). */
  close(): void {
    this.offConnect();
    for (const tail of this.tails.values()) tail.stop();
    this.tails.clear();
  }

  private visible(tail: Tail, sessionId: string | undefined): boolean {
    return sessionId === undefined || tail.sessionId === sessionId;
  }

  private require(id: string, sessionId: string | undefined): Tail {
    const tail = this.tails.get(id);
    if (!tail || !this.visible(tail, sessionId)) {
      throw new ContractError('NOT_FOUND', `no live tail ${id}`, { hint: 'It was stopped; start a new one.' });
    }
    return tail;
  }
}
