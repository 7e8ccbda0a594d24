/**
 * A bounded first-in first-out ring: O(1) push, shift and indexed read, the oldest item evicted
 * when a push finds it full. The one ring of the app: the live tail's newest messages, each
 * client's queue of pushed events, each key-value/object watch's undelivered changes, the operator
 * notices, the Metrics view's sampled series, the invalid-message readings of the last minute, the
 * lease-renew latencies, the bridge's recent engine events, the engine's resolved problems and the
 * system picture's pending samples per consumer all keep their newest items in it. Callers that
 * must account for what leaves (bytes, drop counters) get the evicted item back. A ring of
 * capacity 0 keeps nothing (a setting of 0 turns a history off): push hands the item straight back.
 * It imports nothing, so every room may use it (the engine too, which otherwise imports only
 * contract and store).
 */
export class RingBuffer<T> {
  private readonly slots: Array<T | undefined>;
  private head = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0)
      throw new RangeError(`ring capacity must be a whole number ≥ 0, got ${capacity}`);
    this.slots = new Array<T | undefined>(capacity);
  }

  get size(): number {
    return this.count;
  }

  get full(): boolean {
    return this.count === this.capacity;
  }

  /** Appends an item; when the ring was full, the oldest item leaves and is returned. */
  push(item: T): T | undefined {
    if (this.capacity === 0) return item;
    const evicted = this.full ? this.shift() : undefined;
    this.slots[(this.head + this.count) % this.capacity] = item;
    this.count++;
    return evicted;
  }

  /** Removes and returns the oldest item (undefined when empty). */
  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.slots[this.head];
    this.slots[this.head] = undefined;
    this.head = (this.head + 1) % this.capacity;
    this.count--;
    return item;
  }

  /** The item `index` places after the oldest (0 = oldest), or undefined outside 0…size-1. */
  at(index: number): T | undefined {
    if (!Number.isInteger(index) || index < 0 || index >= this.count) return undefined;
    return this.slots[(this.head + index) % this.capacity];
  }

  /** Empties the ring (touching only the occupied slots: a large ring drained often stays cheap). */
  clear(): void {
    for (let i = 0; i < this.count; i++) this.slots[(this.head + i) % this.capacity] = undefined;
    this.head = 0;
    this.count = 0;
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = 0; i < this.count; i++) yield this.slots[(this.head + i) % this.capacity] as T;
  }
}
