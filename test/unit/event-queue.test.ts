import { afterEach, describe, expect, it, vi } from 'vitest';
import { events, type EventBatch } from '../../main/contract';
import { EventQueue } from '../../main/transport/event-queue';

describe('EventQueue (per-client coalescing)', () => {
  afterEach(() => vi.useRealTimers());

  it('coalesces pushes into one batch per interval', () => {
    vi.useFakeTimers();
    const sent: EventBatch[] = [];
    const queue = new EventQueue((b) => sent.push(b), 50);
    for (let i = 0; i < 5; i++) queue.push('system.notice', { level: 'info', code: 'x', message: String(i), time: '' });
    expect(sent).toHaveLength(0);
    vi.advanceTimersByTime(50);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.entries[0]!.payloads).toHaveLength(5);
  });

  it('keeps only the newest payload of a latest-only channel', () => {
    vi.useFakeTimers();
    const sent: EventBatch[] = [];
    const queue = new EventQueue((b) => sent.push(b), 50);
    queue.push('connection.state', { state: 'connecting' } as never);
    queue.push('connection.state', { state: 'connected' } as never);
    vi.advanceTimersByTime(50);
    expect(sent[0]!.entries[0]!.payloads).toEqual([{ state: 'connected' }]);
    expect(sent[0]!.entries[0]!.dropped).toBe(0);
  });

  it('bounds the queue, dropping the oldest and counting them, while the client is congested', () => {
    vi.useFakeTimers();
    const sent: EventBatch[] = [];
    let congested = true;
    const queue = new EventQueue(
      (b) => sent.push(b),
      50,
      () => !congested
    );
    const max = events['system.notice'].maxQueued;
    for (let i = 0; i < max + 25; i++)
      queue.push('system.notice', { level: 'info', code: 'x', message: String(i), time: '' });
    vi.advanceTimersByTime(500);
    expect(sent).toHaveLength(0);
    congested = false;
    vi.advanceTimersByTime(50);
    const entry = sent[0]!.entries[0]!;
    expect(entry.payloads).toHaveLength(max);
    expect(entry.dropped).toBe(25);
    expect((entry.payloads[0] as { message: string }).message).toBe('25');
  });
});
