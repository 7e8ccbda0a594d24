import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RingBuffer } from '../../main/core/ring-buffer';

describe('RingBuffer', () => {
  it('keeps the newest `capacity` items in order and hands back the one it evicts', () => {
    const ring = new RingBuffer<number>(3);
    expect(ring.push(1)).toBeUndefined();
    expect(ring.push(2)).toBeUndefined();
    expect(ring.push(3)).toBeUndefined();
    expect(ring.full).toBe(true);
    expect(ring.push(4)).toBe(1);
    expect([...ring]).toEqual([2, 3, 4]);
    expect([ring.at(0), ring.at(2), ring.at(3), ring.at(-1)]).toEqual([2, 4, undefined, undefined]);
  });

  it('shifts the oldest, and is empty after clear', () => {
    const ring = new RingBuffer<string>(2);
    ring.push('a');
    ring.push('b');
    expect(ring.shift()).toBe('a');
    expect(ring.size).toBe(1);
    ring.clear();
    expect(ring.size).toBe(0);
    expect(ring.shift()).toBeUndefined();
    expect([...ring]).toEqual([]);
  });

  it('refuses a capacity that is not a whole number ≥ 0', () => {
    expect(() => new RingBuffer(-1)).toThrow(RangeError);
    expect(() => new RingBuffer(1.5)).toThrow(RangeError);
  });

  it('keeps nothing at capacity 0: a push hands the item straight back', () => {
    const ring = new RingBuffer<string>(0);
    expect(ring.push('a')).toBe('a');
    expect(ring.size).toBe(0);
    expect(ring.full).toBe(true);
    expect([ring.at(0), ring.shift()]).toEqual([undefined, undefined]);
    expect([...ring]).toEqual([]);
  });

  it('behaves like an array trimmed to its newest `capacity` items under any pushes, shifts and clears', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 8 }),
        fc.array(fc.oneof(fc.integer(), fc.constant(null), fc.constant('clear' as const)), { maxLength: 60 }),
        (capacity, ops) => {
          const ring = new RingBuffer<number>(capacity);
          const model: number[] = [];
          for (const op of ops) {
            if (op === 'clear') {
              ring.clear();
              model.length = 0;
            } else if (op === null) {
              expect(ring.shift()).toBe(model.shift());
            } else {
              const evicted = ring.push(op);
              model.push(op);
              expect(evicted).toBe(model.length > capacity ? model.shift() : undefined);
            }
            expect([...ring]).toEqual(model);
            expect(ring.size).toBe(model.length);
          }
        }
      )
    );
  });
});
