import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { backoffDelayMs, exponentialBackoff } from '../../main/core/backoff';

const mid = (): number => 0.5;

describe('backoffDelayMs', () => {
  it('doubles from initialMs per failed attempt and stops at maxMs', () => {
    const policy = { initialMs: 100, maxMs: 1000 };
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelayMs(n, policy))).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(backoffDelayMs(0, policy)).toBe(100);
  });

  it('spreads by ±jitter around the base and never above maxMs', () => {
    const policy = { initialMs: 500, maxMs: 60_000, jitter: 0.2 };
    expect(backoffDelayMs(1, policy, mid)).toBe(500);
    expect(backoffDelayMs(1, policy, () => 0)).toBe(400);
    expect(backoffDelayMs(1, policy, () => 1)).toBe(600);
    expect(backoffDelayMs(20, policy, () => 1)).toBe(60_000);
  });

  it('stays inside [base × (1 − jitter), min(maxMs, base × (1 + jitter))] for any attempt and draw', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 1, max: 100 }),
        (attempts, draw, initialMs, factor) => {
          const maxMs = initialMs * factor;
          const base = Math.min(maxMs, initialMs * 2 ** (attempts - 1));
          const d = backoffDelayMs(attempts, { initialMs, maxMs, jitter: 0.2 }, () => draw);
          expect(d).toBeGreaterThanOrEqual(Math.floor(base * 0.8));
          expect(d).toBeLessThanOrEqual(Math.min(maxMs, Math.ceil(base * 1.2)));
        }
      )
    );
  });
});

describe('exponentialBackoff', () => {
  it("gives cockatiel's retry policies the same sequence of delays", () => {
    const policy = { initialMs: 50, maxMs: 300, jitter: 0.2 };
    let step = exponentialBackoff(policy, mid).next();
    const seen: number[] = [];
    for (let i = 0; i < 5; i++) {
      seen.push(step.duration);
      step = step.next(undefined);
    }
    expect(seen).toEqual([50, 100, 200, 300, 300]);
    expect(seen).toEqual([1, 2, 3, 4, 5].map((n) => backoffDelayMs(n, policy, mid)));
  });
});
