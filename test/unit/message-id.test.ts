import { describe, expect, it } from 'vitest';
import { messageIdTime, newMessageId } from '../../main/core/message-id';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('newMessageId', () => {
  it('makes RFC 9562 UUIDv7 strings carrying the time', () => {
    const now = Date.UTC(2026, 10, 27, 9, 30);
    const id = newMessageId(now + 10_000_000);
    expect(id).toMatch(UUID_V7);
    expect(messageIdTime(id)).toBe(now + 10_000_000);
    expect(messageIdTime('4b0c5a4e-7f7e-4f44-9d0a-0d3f2f0e8c11')).toBeNull();
  });

  it('keeps ids of one burst unique and in creation order, even within a millisecond', () => {
    const ids: string[] = [];
    for (let i = 0; i < 50_000; i++) ids.push(newMessageId());
    expect(new Set(ids).size).toBe(ids.length);
    const sorted = [...ids].sort();
    expect(sorted).toEqual(ids);
  });

  it('stays in order when the clock steps back and when 4,096 ids share one millisecond', () => {
    const t = Date.now() + 20_000_000;
    const ids = [newMessageId(t)];
    for (let i = 0; i < 5000; i++) ids.push(newMessageId(t));
    ids.push(newMessageId(t - 60_000));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(UUID_V7);
    // The counter overflowed into the next millisecond rather than repeating.
    expect(messageIdTime(ids.at(-1)!)).toBeGreaterThan(t);
  });
});
