/**
 * Live watches of key-value buckets and object stores: each watch drains its kv/obj iterator into
 * a bounded queue that is delivered in batches at most every {@link WATCH_FLUSH_MS}, only to the
 * session that started it. When delivery cannot keep up the oldest undelivered changes are dropped
 * and counted, so memory stays bounded whatever the write rate.
 */
import { randomUUID } from 'node:crypto';
import { ContractError } from '../../contract';
import type { Logger } from '../../core/logger';
import { RingBuffer } from '../../core/ring-buffer';

export const WATCH_FLUSH_MS = 50;
export const MAX_WATCHES = 100;
export const MAX_WATCHES_PER_SESSION = 10;

/** What a watch reads from: an async iterator that ends when stopped. */
export interface WatchSource<T> {
  iterator: AsyncIterable<T>;
  stop(): void;
}

export interface WatchBatch<T> {
  watchId: string;
  entries: T[];
  received: number;
  dropped: number;
  /** On the last batch of a watch that ended by itself (not stopped): why. */
  ended?: { reason: string };
}

export interface WatchInfo {
  id: string;
  bucket: string;
  key: string;
  received: number;
  dropped: number;
  startedAt: string;
}

class Watch<T> {
  readonly id = randomUUID();
  readonly startedAt = new Date().toISOString();
  /** The undelivered changes, the newest `capacity`. */
  private readonly queue: RingBuffer<T>;
  received = 0;
  dropped = 0;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    readonly bucket: string,
    readonly key: string,
    readonly capacity: number,
    readonly sessionId: string | undefined,
    private readonly source: WatchSource<T>,
    private readonly emit: (batch: WatchBatch<T>, sessionId: string | undefined) => void
  ) {
    this.queue = new RingBuffer<T>(capacity);
  }

  run(onEnd: (error: unknown) => void): void {
    void (async () => {
      try {
        for await (const entry of this.source.iterator) {
          if (this.stopped) break;
          this.push(entry);
        }
        onEnd(null);
      } catch (error) {
        onEnd(error);
      }
    })();
  }

  private push(entry: T): void {
    this.received++;
    if (this.queue.full) this.dropped++;
    this.queue.push(entry);
    if (!this.timer) this.timer = setTimeout(() => this.flush(), WATCH_FLUSH_MS);
  }

  flush(): void {
    this.timer = null;
    if (this.stopped || this.queue.size === 0) return;
    const entries = [...this.queue];
    this.queue.clear();
    this.emit({ watchId: this.id, entries, received: this.received, dropped: this.dropped }, this.sessionId);
  }

  /** Tells the client that this watch is over although nobody stopped it, and why. */
  end(reason: string): void {
    if (this.stopped) return;
    this.flush();
    this.stopped = true;
    this.emit(
      { watchId: this.id, entries: [], received: this.received, dropped: this.dropped, ended: { reason } },
      this.sessionId
    );
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.queue.clear();
    try {
      this.source.stop();
    } catch {
      // its connection is already closed
    }
  }

  info(): WatchInfo {
    return {
      id: this.id,
      bucket: this.bucket,
      key: this.key,
      received: this.received,
      dropped: this.dropped,
      startedAt: this.startedAt
    };
  }
}

/** Every watch of one kind (kv or object), per caller session. */
export class WatchService<T> {
  private readonly watches = new Map<string, Watch<T>>();

  constructor(
    private readonly emit: (batch: WatchBatch<T>, sessionId: string | undefined) => void,
    private readonly logger: Logger
  ) {}

  start(options: {
    bucket: string;
    key: string;
    capacity: number;
    sessionId?: string | undefined;
    signal?: AbortSignal | undefined;
    source: WatchSource<T>;
  }): WatchInfo {
    const own = [...this.watches.values()].filter((w) => w.sessionId === options.sessionId).length;
    if (this.watches.size >= MAX_WATCHES || own >= MAX_WATCHES_PER_SESSION) {
      options.source.stop();
      throw new ContractError('CONFLICT', `too many watches (${own} of this client, ${this.watches.size} in all)`, {
        hint: 'Stop a watch first.'
      });
    }
    const watch = new Watch(
      options.bucket,
      options.key,
      options.capacity,
      options.sessionId,
      options.source,
      this.emit
    );
    this.watches.set(watch.id, watch);
    watch.run((error) => {
      if (error) this.logger.warn('a watch ended', { bucket: watch.bucket, key: watch.key, error });
      // Ended by itself (its connection closed or was replaced, or the server ended it): the client
      // hears so instead of showing "watching" over a watch that delivers nothing any more.
      if (!watch.isStopped)
        watch.end(
          error
            ? `the server ended it (${error instanceof Error ? error.message : String(error)})`
            : 'the connection to NATS closed or changed'
        );
      this.watches.delete(watch.id);
    });
    if (options.signal) {
      if (options.signal.aborted) this.stop(watch.id);
      else options.signal.addEventListener('abort', () => this.stop(watch.id), { once: true });
    }
    return watch.info();
  }

  stop(id: string, sessionId?: string): boolean {
    const watch = this.watches.get(id);
    if (!watch || (sessionId !== undefined && watch.sessionId !== sessionId)) return false;
    watch.stop();
    this.watches.delete(id);
    return true;
  }

  close(): void {
    for (const watch of this.watches.values()) watch.stop();
    this.watches.clear();
  }
}
