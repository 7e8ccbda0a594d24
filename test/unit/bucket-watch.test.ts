import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../main/core/logger';
import { WatchService, type WatchBatch } from '../../main/nats/buckets/bucket-watch';

/** A source that yields `n` numbers at once, then waits until stopped (as a watch iterator does). */
function burst(n: number): { iterator: AsyncIterable<number>; stop(): void; stopped: () => boolean } {
  let stop: () => void = () => undefined;
  let stopped = false;
  const ended = new Promise<void>((resolve) => (stop = resolve));
  return {
    iterator: (async function* () {
      for (let i = 1; i <= n; i++) yield i;
      await ended;
    })(),
    stop: () => {
      stopped = true;
      stop();
    },
    stopped: () => stopped
  };
}

describe('WatchService', () => {
  it('delivers in coalesced batches, keeps the newest `capacity` and counts the dropped', async () => {
    const batches: Array<{ batch: WatchBatch<number>; session: string | undefined }> = [];
    const service = new WatchService<number>((batch, session) => batches.push({ batch, session }), silentLogger);
    const source = burst(1000);
    const info = service.start({ bucket: 'B', key: '>', capacity: 10, sessionId: 's1', source });
    await new Promise((r) => setTimeout(r, 200));
    const entries = batches.flatMap((b) => b.batch.entries);
    expect(entries).toEqual([991, 992, 993, 994, 995, 996, 997, 998, 999, 1000]);
    expect(batches.at(-1)!.batch).toMatchObject({ watchId: info.id, received: 1000, dropped: 990 });
    expect(batches.every((b) => b.session === 's1')).toBe(true);
    expect(service.stop(info.id, 'another session')).toBe(false);
    expect(service.stop(info.id, 's1')).toBe(true);
    expect(source.stopped()).toBe(true);
  });

  it('refuses more than its per-session limit and stops the refused source', () => {
    const service = new WatchService<number>(() => undefined, silentLogger);
    const sources = Array.from({ length: 11 }, () => burst(0));
    for (const s of sources.slice(0, 10))
      service.start({ bucket: 'B', key: '>', capacity: 10, sessionId: 'x', source: s });
    expect(() => service.start({ bucket: 'B', key: '>', capacity: 10, sessionId: 'x', source: sources[10]! })).toThrow(
      /too many watches/
    );
    expect(sources[10]!.stopped()).toBe(true);
    service.close();
    expect(sources.slice(0, 10).every((s) => s.stopped())).toBe(true);
  });
});
