import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { describe, expect, it } from 'vitest';
import type { Monitoring } from '../../main/monitoring/module';
import { useServerAndCore } from '../harness/server-and-core';

const FAST = { evaluateIntervalMs: 150, sampleIntervalMs: 200, snapshotIntervalMs: 300, p99MinSamples: 1 };

describe('alert rule kv.usage on a real server', () => {
  const env = useServerAndCore({ core: { monitoring: FAST, overrides: { provision: false } } });
  const monitoring = (): Monitoring => env.core.app.monitoring.monitoring;

  async function active(target: string) {
    const { alerts } = await env.core.api.invoke('alerts.list', { state: 'all', rule: 'kv.usage', target });
    return alerts.find((a) => a.state !== 'resolved') ?? null;
  }
  async function evaluateNow(): Promise<void> {
    await monitoring().sampleJetStream();
    monitoring().evaluate();
  }

  it('warns at 80 % of a bucket max bytes, escalates at 95 %, resolves after a purge; unlimited buckets never fire', async () => {
    await env.core.api.invoke('kv.add', { bucket: 'SMALL', maxBytes: 20_000, history: 1 });
    await env.core.api.invoke('kv.add', { bucket: 'UNLIMITED' });
    const small = await new Kvm(env.nc).open('SMALL');
    const free = await new Kvm(env.nc).open('UNLIMITED');
    const value = 'x'.repeat(1000);
    let i = 0;
    const fillTo = async (ratio: number): Promise<void> => {
      for (;;) {
        const status = await small.status();
        if (status.size / 20_000 >= ratio) return;
        await small.put(`k${i++}`, value);
      }
    };
    for (let n = 0; n < 30; n++) await free.put(`k${n}`, value);

    await fillTo(0.8);
    await evaluateNow();
    const warn = await active('kv:SMALL');
    expect(warn).toMatchObject({ severity: 'WARNING' });
    expect(warn!.message).toMatch(/key-value bucket SMALL is at \d+\.\d % of its max bytes/);
    expect(await active('kv:UNLIMITED')).toBeNull();

    await fillTo(0.95);
    await evaluateNow();
    expect(await active('kv:SMALL')).toMatchObject({ id: warn!.id, severity: 'CRITICAL' });

    const jsm = await jetstreamManager(env.nc);
    await jsm.streams.purge('KV_SMALL');
    await evaluateNow();
    expect(await active('kv:SMALL')).toBeNull();
  });
});
