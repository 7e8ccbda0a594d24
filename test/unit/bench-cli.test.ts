import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { paramsFrom, parseSize } from '../../main/cli/commands/bench';
import { BenchParamsSchema } from '../../main/contract';

const defaults = {
  msgs: 1000,
  size: 128,
  rate: 1000,
  storage: 'file' as const,
  window: 256,
  consumer: 'ordered' as const,
  batch: 500,
  progress: true
};

describe('synos-cc bench flags', () => {
  it('reads sizes as nats bench spells them', () => {
    expect(parseSize('128')).toBe(128);
    expect(parseSize('1KB')).toBe(1024);
    expect(parseSize('64KiB')).toBe(65_536);
    expect(parseSize('1MB')).toBe(1_048_576);
    expect(parseSize('0')).toBe(0);
    expect(() => parseSize('big')).toThrow(InvalidArgumentError);
    expect(() => parseSize('9MB')).toThrow(/at most/);
  });

  it('maps --clients onto the measured role, and --pub/--sub win', () => {
    expect(paramsFrom('js-pub-async', { ...defaults, clients: 4 })).toMatchObject({ mode: 'js-pub-async', pub: 4 });
    expect(paramsFrom('js-consume', { ...defaults, clients: 3 })).toMatchObject({ sub: 3 });
    expect(paramsFrom('js-consume', { ...defaults, clients: 3 }).pub).toBeUndefined();
    expect(paramsFrom('reqrep', { ...defaults, clients: 2, sub: 5 })).toMatchObject({ pub: 2, sub: 5 });
    expect(paramsFrom('pubsub', { ...defaults, clients: 2, pub: 1 })).toMatchObject({ pub: 1 });
    const parsed = BenchParamsSchema.parse(paramsFrom('pub', { ...defaults, label: 'x' }));
    expect(parsed).toMatchObject({ mode: 'pub', msgs: 1000, pub: 1, sub: 1, label: 'x' });
  });
});
