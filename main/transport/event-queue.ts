/**
 * Per-client coalescing of pushed events: payloads are queued per channel and flushed together at
 * most every EVENT_FLUSH_INTERVAL_MS. Each channel's queue is bounded (drop oldest, count drops),
 * so a slow renderer never grows main's memory without bound.
 */
import { EVENT_FLUSH_INTERVAL_MS, events, type EventBatch, type EventChannel } from '../contract';
import { RingBuffer } from '../core/ring-buffer';

interface ChannelQueue {
  /** The newest `maxQueued` payloads (one for a latest-only channel), oldest first. */
  payloads: RingBuffer<unknown>;
  dropped: number;
}

export class EventQueue {
  private readonly queues = new Map<EventChannel, ChannelQueue>();
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly send: (batch: EventBatch) => void,
    private readonly intervalMs: number = EVENT_FLUSH_INTERVAL_MS,
    /** False while the client's pipe is congested: the flush waits and the bounded queues absorb (and count) the excess. */
    private readonly canSend: () => boolean = () => true
  ) {}

  push(channel: EventChannel, payload: unknown): void {
    if (this.closed) return;
    const def = events[channel];
    let queue = this.queues.get(channel);
    if (!queue) {
      queue = { payloads: new RingBuffer<unknown>(def.latestOnly ? 1 : def.maxQueued), dropped: 0 };
      this.queues.set(channel, queue);
    }
    // A latest-only payload replaces the one queued before it; that is not a drop.
    if (queue.payloads.push(payload) !== undefined && !def.latestOnly) queue.dropped++;
    if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.intervalMs);
    }
  }

  /** Sends everything queued now. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.queues.size === 0 || this.closed) return;
    if (!this.canSend()) {
      this.timer = setTimeout(() => this.flush(), this.intervalMs);
      return;
    }
    const batch: EventBatch = { kind: 'events', entries: [] };
    for (const [channel, queue] of this.queues) {
      batch.entries.push({ channel, payloads: [...queue.payloads], dropped: queue.dropped });
    }
    this.queues.clear();
    this.send(batch);
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.queues.clear();
  }
}
