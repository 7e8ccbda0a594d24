/**
 * The shared JetStream sampler's scheduling, without a server: samples run one at a time, callers
 * asking while one runs share the next, the timer runs at the shortest requested interval, and a
 * failing listener or sample does not stop the others.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../main/core/logger';
import { JetStreamSampler, type JetStreamSample } from '../../main/nats/inspection/sampler';

const NC = {} as NatsConnection;

/** A sampler whose samples finish when the test says so. */
function controlled(options: { connected?: () => boolean; intervalMs?: number } = {}) {
  const gates: Array<{ resolve: (s: JetStreamSample) => void; reject: (e: Error) => void }> = [];
  let taken = 0;
  const sampler = new JetStreamSampler({
    take: () =>
      new Promise<JetStreamSample>((resolve, reject) => {
        taken++;
        gates.push({ resolve, reject });
      }),
    connection: () => ((options.connected?.() ?? true) ? NC : null),
    intervalMs: options.intervalMs ?? 15_000,
    logger: silentLogger
  });
  const finish = (n: number): void => {
    gates
      .shift()!
      .resolve({ at: n, streams: [{ name: 'S', messages: n, bytes: 0, maxMsgs: -1, maxBytes: -1 }], consumers: [] });
  };
  return { sampler, finish, gates, taken: () => taken };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('JetStreamSampler', () => {
  it('runs one sample at a time; callers asking while one runs share the next', async () => {
    const { sampler, finish, taken } = controlled();
    const seen: number[] = [];
    sampler.onSample((s) => seen.push(s.at));
    const first = sampler.sampleNow();
    const second = sampler.sampleNow();
    const third = sampler.sampleNow();
    expect(taken()).toBe(1);
    finish(1);
    expect((await first).at).toBe(1);
    await vi.waitFor(() => expect(taken()).toBe(2));
    finish(2);
    expect((await second).at).toBe(2);
    expect((await third).at).toBe(2);
    expect(seen).toEqual([1, 2]);
    expect(sampler.lastSampleAt()).toBe(2);
    expect(sampler.lastSample()?.streams[0]?.messages).toBe(2);
  });

  it('rejects with NOT_CONNECTED while there is no connection, and a failed sample reaches no listener', async () => {
    let connected = false;
    const { sampler, gates } = controlled({ connected: () => connected });
    const listener = vi.fn();
    sampler.onSample(listener);
    await expect(sampler.sampleNow()).rejects.toMatchObject({ code: 'NOT_CONNECTED' });
    connected = true;
    const failing = sampler.sampleNow();
    gates.shift()!.reject(new Error('JetStream API timeout'));
    await expect(failing).rejects.toThrow('JetStream API timeout');
    expect(listener).not.toHaveBeenCalled();
    expect(sampler.lastSampleAt()).toBeNull();
  });

  it('a listener that throws does not keep the sample from the others', async () => {
    const { sampler, finish } = controlled();
    const good = vi.fn();
    sampler.onSample(() => {
      throw new Error('broken listener');
    });
    sampler.onSample(good);
    const sample = sampler.sampleNow();
    finish(7);
    expect((await sample).at).toBe(7);
    expect(good).toHaveBeenCalledOnce();
  });

  it('runs the timer at the shortest interval asked for, and back when the request is withdrawn', async () => {
    vi.useFakeTimers();
    const { sampler, finish, taken } = controlled({ intervalMs: 15_000 });
    sampler.start();
    expect(sampler.intervalMs()).toBe(15_000);
    const release = sampler.requestInterval(300);
    sampler.requestInterval(60_000);
    expect(sampler.intervalMs()).toBe(300);
    await vi.advanceTimersByTimeAsync(300);
    expect(taken()).toBe(1);
    // The timer skips while a sample runs instead of queueing more.
    await vi.advanceTimersByTimeAsync(900);
    expect(taken()).toBe(1);
    finish(1);
    await vi.advanceTimersByTimeAsync(300);
    expect(taken()).toBe(2);
    finish(2);
    release();
    expect(sampler.intervalMs()).toBe(15_000);
    await vi.advanceTimersByTimeAsync(14_000);
    expect(taken()).toBe(2);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(taken()).toBe(3);
    finish(3);
    await sampler.stop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(taken()).toBe(3);
    expect(() => sampler.requestInterval(0)).toThrow(RangeError);
  });

  it('stop waits for a sample still running', async () => {
    const { sampler, finish } = controlled();
    sampler.start();
    const running = sampler.sampleNow();
    let stopped = false;
    const stopping = sampler.stop().then(() => {
      stopped = true;
    });
    await Promise.resolve();
    expect(stopped).toBe(false);
    finish(1);
    await running;
    await stopping;
    expect(stopped).toBe(true);
  });
});
