/**
 * Working memory (bounded, least recently touched evicted first) and long-term memory (items
 * touched often enough are promoted; the least recently seen is forgotten when full), with what
 * changed since the last persistence.
 */
import type { EngineConfig } from './config';
import { emitEvent } from './events';
import type { EngineCounters, EngineEvent, LongTermItem, WorkingMemoryItem } from './types';

export class Memory {
  /** Map order is LRU order: first = least recently touched. */
  readonly working = new Map<string, WorkingMemoryItem>();
  readonly longTerm = new Map<string, LongTermItem>();
  private readonly dirtyLongTerm = new Set<string>();
  private readonly forgotten = new Set<string>();

  constructor(
    private readonly config: EngineConfig,
    private readonly counters: EngineCounters,
    initial: readonly LongTermItem[]
  ) {
    const items = [...initial].sort((a, b) => a.lastSeen - b.lastSeen);
    for (const item of items.slice(-config.memory.longTermCapacity)) this.longTerm.set(item.key, { ...item });
  }

  /** Long-term items changed (or forgotten) since the last call, for persistence. */
  takeLongTermChanges(): { upserts: LongTermItem[]; removed: string[] } {
    const upserts: LongTermItem[] = [];
    for (const key of this.dirtyLongTerm) {
      const item = this.longTerm.get(key);
      if (item) upserts.push({ ...item });
    }
    const removed = [...this.forgotten];
    this.dirtyLongTerm.clear();
    this.forgotten.clear();
    return { upserts, removed };
  }

  /** Touches `key` in working memory (LRU), promoting it to long-term memory after enough touches. */
  touch(key: string, summary: string, t: number, out: EngineEvent[], cause: string | undefined): void {
    const m = this.config.memory;
    let item = this.working.get(key);
    if (item) {
      item.touches++;
      item.lastTouched = t;
      this.working.delete(key);
      this.working.set(key, item);
    } else {
      if (this.working.size >= m.workingCapacity) {
        const lru = this.working.keys().next().value;
        if (lru !== undefined) {
          this.working.delete(lru);
          emitEvent(this.counters, out, 'consciousness.memory_update', { op: 'evict', key: lru }, t, cause);
        }
      }
      item = { key, touches: 1, firstSeen: t, lastTouched: t };
      this.working.set(key, item);
      emitEvent(this.counters, out, 'consciousness.memory_update', { op: 'store', key, touches: 1 }, t, cause);
    }
    const known = this.longTerm.get(key);
    if (known) {
      known.lastSeen = t;
      known.touches++;
      known.summary = summary;
      this.dirtyLongTerm.add(key);
      return;
    }
    if (item.touches >= m.promoteAfterTouches) {
      if (this.longTerm.size >= m.longTermCapacity) this.forgetOldest(t, out, cause);
      const kind: LongTermItem['kind'] = key === 'system' ? 'system' : key.startsWith('user:') ? 'user' : 'service';
      this.longTerm.set(key, {
        key,
        kind,
        firstSeen: item.firstSeen,
        promotedAt: t,
        lastSeen: t,
        touches: item.touches,
        summary
      });
      this.dirtyLongTerm.add(key);
      this.forgotten.delete(key);
      emitEvent(
        this.counters,
        out,
        'consciousness.memory_update',
        { op: 'promote', key, touches: item.touches },
        t,
        cause
      );
    }
  }

  private forgetOldest(t: number, out: EngineEvent[], cause: string | undefined): void {
    let oldest: LongTermItem | null = null;
    for (const item of this.longTerm.values()) if (!oldest || item.lastSeen < oldest.lastSeen) oldest = item;
    if (!oldest) return;
    this.longTerm.delete(oldest.key);
    this.dirtyLongTerm.delete(oldest.key);
    this.forgotten.add(oldest.key);
    emitEvent(this.counters, out, 'consciousness.memory_update', { op: 'forget', key: oldest.key }, t, cause);
  }
}
