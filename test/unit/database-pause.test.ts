import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DatabasePause } from '../../main/bridge/database-pause';
import { createLogger } from '../../main/core/logger';

/** A pause over a probe that fails `failures` times, recording when each probe ran (fake clock). */
function pauseWith(failures: number, baseMs: number, maxMs: number) {
  const probedAt: number[] = [];
  const warnings: string[] = [];
  const resumed: number[] = [];
  const pause = new DatabasePause({
    probe: () => {
      probedAt.push(Date.now());
      return probedAt.length > failures
        ? { writable: true, reason: null }
        : { writable: false, reason: probedAt.length < 3 ? 'SQLITE_FULL' : 'SQLITE_READONLY' };
    },
    onWritable: (pausedMs) => resumed.push(pausedMs),
    baseMs,
    maxMs,
    logger: createLogger({ level: 'warn', write: (line) => warnings.push(line) })
  });
  return { pause, probedAt, warnings, resumed };
}

describe('DatabasePause', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('probes after baseMs, doubling per failed probe up to maxMs, and resumes on the first write that lands', () => {
    const { pause, probedAt, resumed, warnings } = pauseWith(6, 100, 1000);
    pause.start('SQLITE_FULL');
    expect(pause.active).toBe(true);
    vi.advanceTimersByTime(100 + 200 + 400 + 800 + 1000 + 1000 + 1000);
    const waits = probedAt.map((t, i) => t - (i === 0 ? 1_000_000 : probedAt[i - 1]!));
    expect(waits).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
    expect(resumed).toEqual([4500]);
    expect(pause.active).toBe(false);
    expect(pause.reason).toBeNull();
    expect(pause.failedProbes).toBe(6);
    // Only a changed reason is logged again (SQLITE_FULL was the pause's own reason).
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('SQLITE_READONLY');
    vi.advanceTimersByTime(60_000);
    expect(probedAt).toHaveLength(7);
  });

  it('starts the back-off over for a new pause, and a second start while paused changes nothing', () => {
    const first = pauseWith(2, 50, 5000);
    first.pause.start('full');
    vi.advanceTimersByTime(50 + 100 + 200);
    expect(first.resumed).toHaveLength(1);
    first.probedAt.length = 0;
    first.pause.start('full again');
    first.pause.start('ignored');
    expect(first.pause.reason).toBe('full again');
    expect(first.pause.nextDelayMs).toBe(50);
    vi.advanceTimersByTime(50);
    expect(first.probedAt).toHaveLength(1);
  });

  it('stop ends the pause without a probe or a resume', () => {
    const { pause, probedAt, resumed } = pauseWith(0, 100, 1000);
    pause.start('full');
    pause.stop();
    vi.advanceTimersByTime(10_000);
    expect(probedAt).toEqual([]);
    expect(resumed).toEqual([]);
    expect(pause.active).toBe(false);
  });
});
