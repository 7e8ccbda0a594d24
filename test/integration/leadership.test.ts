/**
 * Several workstations, one engine: three real `synos-cc run` processes on one nats-server. Exactly
 * one runs the engine; kill -9 of it hands the engine to another that continues the learning (the
 * problem opened by the first leader is judged by the second); a leader stopped (SIGSTOP) for
 * twice the TTL publishes nothing under its stale epoch when it continues, and rejoins as standby.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MessageType } from '../../main/contract/messages';
import {
  aliveCores,
  engineOutputs,
  engineStatus,
  kill9,
  leaderGauge,
  startRunCore,
  stopCore,
  type CoreProcess,
  type EngineStatusJson
} from '../harness/engine-cores';
import { startNatsServer, type NatsServerHandle } from '../harness/nats-server';
import { waitFor } from '../harness/temp';
import { encodeEnvelope } from '../harness/envelope';

const TTL = 2000;
let server: NatsServerHandle;
let nc: NatsConnection;
const cores: CoreProcess[] = [];

const envelope = (type: MessageType, data: unknown): Uint8Array => encodeEnvelope(type, data, { idPrefix: 'lead' });

async function health(service: string, status: 'healthy' | 'unhealthy'): Promise<void> {
  await jetstream(nc).publish('orchestrator.service.health', envelope('service.health.update', { service, status }));
}

const urls = (): string[] => [server.url];
const alive = (): CoreProcess[] => aliveCores(cores);
const byPid = (pid: number): CoreProcess => cores.find((c) => c.pid === pid)!;

/** A status in which a leader is named and every listed instance is one of ours. */
async function settledStatus(from: CoreProcess, expectInstances: number): Promise<EngineStatusJson> {
  return waitFor(
    () => {
      const s = engineStatus(urls(), from.dataDir);
      return s.leader && s.instances.length === expectInstances ? s : null;
    },
    { timeoutMs: 30_000, intervalMs: 200, message: `a leader and ${expectInstances} instances in the status` }
  );
}

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  // Attention fades within seconds here, so a leader that continues after a stop has outputs due at
  // once (focus lost): exactly what self-fencing must keep from being published.
  const engine = { attention: { halfLifeMs: 1000 } };
  for (let i = 0; i < 3; i++) cores.push(await startRunCore(urls(), { ttlMs: TTL, engine }));
});

afterAll(async () => {
  await Promise.all(cores.map((c) => stopCore(c)));
  await nc?.close();
  await server?.stop();
});

describe('several workstations, one engine', () => {
  it('three cores: exactly one active and two standby, in every instance’s status and gauge', async () => {
    for (const core of cores) {
      const s = await settledStatus(core, 3);
      expect(s.instances.filter((i) => i.role === 'active')).toHaveLength(1);
      expect(s.instances.filter((i) => i.role === 'standby')).toHaveLength(2);
      expect(s.instances.find((i) => i.role === 'active')?.pid).toBe(s.leader!.pid);
      expect(cores.map((c) => c.pid)).toContain(s.leader!.pid);
    }
    const gauges = await waitFor(
      async () => {
        const g = await Promise.all(cores.map((c) => leaderGauge(c)));
        return g.every((v) => v !== null) ? g : null;
      },
      { timeoutMs: 20_000, message: 'every /metrics answers' }
    );
    expect(gauges.filter((g) => g === 1)).toHaveLength(1);
    expect(gauges.filter((g) => g === 0)).toHaveLength(2);
    // The leader's renewals reach its lease-renew histogram (the samples are taken at each scrape).
    const leader = cores[gauges.indexOf(1)]!;
    await waitFor(
      async () => {
        const text = await (await fetch(await leader.metricsUrl())).text();
        const line = text.split('\n').find((l) => l.startsWith('synos_engine_lease_renew_seconds_count'));
        return line !== undefined && Number(line.split(' ')[1]) > 0;
      },
      { timeoutMs: 20_000, message: "the leader's lease renewals in its /metrics" }
    );
  });

  it('kill -9 of the leader mid-scenario: another takes over and judges the problem the first one opened', async () => {
    const before = await settledStatus(cores[0]!, 3);
    const leader = byPid(before.leader!.pid);
    for (const s of ['inventory', 'payments', 'search']) await health(s, 'healthy');
    await health('payments', 'unhealthy');
    const decision = await waitFor(
      async () =>
        (await engineOutputs(nc, 'consciousness.decision_made')).find((o) => o.envelope.data.target === 'payments'),
      { timeoutMs: 20_000, message: 'the decision for payments' }
    );
    expect(decision.envelope.synosepoch).toBe(before.leader!.epoch);
    expect(decision.epochHeader).toBe(String(before.leader!.epoch));
    // The open problem reached the shared state before the leader dies.
    const kv = await new Kvm(nc).open('SYNOS_ENGINE_STATE');
    await waitFor(
      async () => {
        const e = await kv.get('synos.handover');
        return e && JSON.stringify(e.json()).includes(String(decision.envelope.data.problem_id));
      },
      { message: 'the open problem in the shared state' }
    );

    await kill9(leader);
    const after = await waitFor(
      () => {
        const s = engineStatus(urls(), alive()[0]!.dataDir);
        return s.leader && s.leader.pid !== leader.pid ? s : null;
      },
      { timeoutMs: 30_000, intervalMs: 200, message: 'a new leader' }
    );
    expect(after.leader!.epoch).toBeGreaterThan(before.leader!.epoch);

    await health('payments', 'healthy');
    const learning = await waitFor(
      async () =>
        (await engineOutputs(nc, 'consciousness.learning_event')).find(
          (o) => o.envelope.data.problem_id === decision.envelope.data.problem_id
        ),
      { timeoutMs: 20_000, message: 'the strategy learning event for the first leader’s problem' }
    );
    expect(learning.envelope.synosepoch).toBe(after.leader!.epoch);
    expect(learning.envelope.data).toMatchObject({
      kind: 'strategy',
      problem_kind: 'service_unhealthy',
      action: 'restart_service',
      success: true
    });
    // One decision for payments, not a second one by the new leader.
    const decisions = (await engineOutputs(nc, 'consciousness.decision_made')).filter(
      (o) => o.envelope.data.target === 'payments'
    );
    expect(decisions).toHaveLength(1);
  });

  it('SIGSTOP of the leader for 2×TTL, then SIGCONT: nothing under its stale epoch, it rejoins as standby', async () => {
    const before = await settledStatus(alive()[0]!, 2);
    const stale = byPid(before.leader!.pid);
    const staleEpoch = before.leader!.epoch;
    // Give the leader work whose consequences (decay, state changes) keep coming after the stop.
    await health('orders', 'unhealthy');
    await waitFor(
      async () =>
        (await engineOutputs(nc, 'consciousness.decision_made')).some(
          (o) => o.envelope.data.target === 'orders' && o.envelope.synosepoch === staleEpoch
        ),
      { timeoutMs: 20_000, message: 'the decision for orders by the leader' }
    );
    const stoppedAt = Date.now();
    stale.child.kill('SIGSTOP');
    try {
      const other = alive().find((c) => c !== stale)!;
      const takeover = await waitFor(
        () => {
          const s = engineStatus(urls(), other.dataDir);
          return s.leader && s.leader.pid !== stale.pid ? s : null;
        },
        { timeoutMs: 30_000, intervalMs: 200, message: 'a new leader while the old one is stopped' }
      );
      await health('orders', 'healthy');
      await waitFor(
        async () =>
          (await engineOutputs(nc, 'consciousness.learning_event')).some(
            (o) => o.envelope.synosepoch === takeover.leader!.epoch
          ),
        { timeoutMs: 20_000, message: 'the new leader learning from orders' }
      );
      const waited = Date.now() - stoppedAt;
      if (waited < 2 * TTL) await new Promise((r) => setTimeout(r, 2 * TTL - waited));
    } finally {
      stale.child.kill('SIGCONT');
    }
    const continuedAt = Date.now();

    await waitFor(
      () => {
        const s = engineStatus(urls(), stale.dataDir);
        return s.instances.find((i) => i.pid === stale.pid)?.role === 'standby' && s.leader?.pid !== stale.pid;
      },
      { timeoutMs: 30_000, intervalMs: 200, message: 'the stopped leader rejoined as standby' }
    );
    expect(await leaderGauge(stale)).toBe(0);
    // Let its timers and outbox run for a while after it continued.
    await new Promise((r) => setTimeout(r, Math.max(0, continuedAt + 2 * TTL - Date.now())));

    const outputs = await engineOutputs(nc);
    const underStale = outputs.filter((o) => o.envelope.synosepoch === staleEpoch);
    expect(underStale.length).toBeGreaterThan(0);
    const late = underStale.filter((o) => Date.parse(o.envelope.time) >= stoppedAt);
    expect(late, 'outputs made under the stale epoch after the stop').toEqual([]);
    // Every output names its epoch twice, and the two agree.
    for (const o of outputs) expect(o.epochHeader).toBe(String(o.envelope.synosepoch));
  });
});
