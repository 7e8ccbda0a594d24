/**
 * The engine and the bridge take their settings from config.json, end to end: a real core (the
 * module list as shipped, no test options) against a real nats-server, with a config file that
 * remaps consciousness.decision_made, turns the memory_update forward off, moves the heartbeat and
 * the metrics summary to other subjects at other rates, and changes an engine prior so that the
 * decision differs from the default one.
 */
import fs from 'node:fs';
import path from 'node:path';
import { type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { validateEnvelope, type MessageType } from '../../main/contract/messages';
import { provision } from '../../main/nats/topology/provisioning';
import { createTestCore } from '../harness/core';
import { useServerAndClient } from '../harness/server-and-core';
import { tempDir, waitFor } from '../harness/temp';
import { encodeEnvelope } from '../harness/envelope';

const encoder = new TextEncoder();

const envelope = (type: MessageType, data: unknown): Uint8Array => encodeEnvelope(type, data, { idPrefix: 'cfg' });

/** Every message seen on a subject by a plain core subscription, in arrival order. */
function collect(nc: NatsConnection, subject: string): { sub: Subscription; seen: Array<Record<string, unknown>> } {
  const seen: Array<Record<string, unknown>> = [];
  const sub = nc.subscribe(subject, {
    callback: (_err, msg) => {
      seen.push(msg.json<Record<string, unknown>>());
    }
  });
  return { sub, seen };
}

const HEARTBEAT_SUBJECT = 'health.cc_config_test';
const METRICS_SUBJECT = 'metrics.cc_config_test';
const DECISION_SUBJECT = 'orchestrator.ops.decisions';

describe('engine and bridge settings from config.json, against a real nats-server', () => {
  const env = useServerAndClient({ prepare: ({ nc }) => provision(nc) });

  it('publishes the decision on the remapped subject, skips the disabled forward, beats on its own subject at the configured rate', async () => {
    const dataDir = tempDir();
    fs.writeFileSync(
      path.join(dataDir, 'config.json'),
      JSON.stringify({
        engine: { problems: { initialWeights: { service_unhealthy: { notify_operator: 0.95 } } } },
        bridge: {
          outboundMapping: { 'consciousness.decision_made': DECISION_SUBJECT, 'consciousness.memory_update': null },
          heartbeatSubject: HEARTBEAT_SUBJECT,
          heartbeatIntervalMs: 200,
          metricsSubject: METRICS_SUBJECT,
          metricsIntervalMs: 4000
        }
      })
    );
    const heartbeats = collect(env.nc, HEARTBEAT_SUBJECT);
    const defaultHeartbeats = collect(env.nc, 'health.control_center');
    const summaries = collect(env.nc, METRICS_SUBJECT);
    const decisions = collect(env.nc, DECISION_SUBJECT);
    const defaultDecisions = collect(env.nc, 'orchestrator.consciousness.decision');
    const memoryForwards = collect(env.nc, 'orchestrator.consciousness.memory');
    const memoryEvents = collect(env.nc, 'consciousness.memory_update');
    await env.nc.flush();

    // The module list as shipped: the bridge reads config.json, no options in between.
    const core = createTestCore({ servers: [env.server.url], dataDir, autoConnect: true });
    await core.start();
    try {
      expect(core.context.config.bridge.heartbeatIntervalMs).toBe(200);
      const status = await waitFor(
        async () => {
          const s = await core.api.invoke('bridge.status', {});
          return s.running && s.consumers.every((c) => c.bound) ? s : null;
        },
        { timeoutMs: 20_000, message: 'all inbound consumers bound' }
      );
      expect(status.heartbeat).toMatchObject({ subject: HEARTBEAT_SUBJECT, intervalMs: 200 });
      expect(status.metricsSummary).toMatchObject({ subject: METRICS_SUBJECT, intervalMs: 4000 });
      expect(status.outboundMapping['consciousness.decision_made']).toBe(DECISION_SUBJECT);
      expect(status.outboundMapping['consciousness.memory_update']).toBeNull();
      expect(status.outboundMapping['consciousness.attention_shift']).toBe('orchestrator.consciousness.attention');

      await env.js.publish(
        'orchestrator.service.started',
        envelope('service.lifecycle.started', { service: 'payments' })
      );
      await env.js.publish(
        'orchestrator.service.health',
        envelope('service.health.update', { service: 'payments', status: 'unhealthy', detail: 'probe failed' })
      );

      // The decision lands on the remapped subject, in ORCHESTRATOR_EVENTS, with the action the configured prior favours.
      const decision = await waitFor(() => decisions.seen[0], {
        timeoutMs: 20_000,
        message: `a decision on ${DECISION_SUBJECT}`
      });
      expect(validateEnvelope(encoder.encode(JSON.stringify(decision))).ok).toBe(true);
      expect(decision).toMatchObject({
        type: 'consciousness.decision_made',
        data: { kind: 'service_unhealthy', target: 'payments', action: 'notify_operator' }
      });
      const stored = await waitFor(
        async () => {
          const info = await env.jsm.streams.info('ORCHESTRATOR_EVENTS', { subjects_filter: DECISION_SUBJECT });
          return info.state.subjects?.[DECISION_SUBJECT] ?? 0;
        },
        { message: `${DECISION_SUBJECT} stored in ORCHESTRATOR_EVENTS` }
      );
      expect(stored).toBe(1);

      // memory_update still goes on its own subject, but its forward is off.
      await waitFor(() => memoryEvents.seen.length > 0, { message: 'a memory_update on consciousness.memory_update' });
      const records = await core.api.invoke('engine.events', { limit: 1000 });
      const memoryRecords = records.filter((r) => r.type === 'consciousness.memory_update');
      expect(memoryRecords.length).toBeGreaterThan(0);
      for (const r of memoryRecords) expect(r.subjects).toEqual(['consciousness.memory_update']);
      const decisionRecords = records.filter((r) => r.type === 'consciousness.decision_made');
      expect(decisionRecords.map((r) => r.subjects)).toEqual([['consciousness.decision_made', DECISION_SUBJECT]]);
      // The other forwards keep the docs/architecture.md §2 mapping.
      const shifts = records.filter((r) => r.type === 'consciousness.attention_shift');
      expect(shifts.length).toBeGreaterThan(0);
      for (const r of shifts)
        expect(r.subjects).toEqual(['consciousness.attention_shift', 'orchestrator.consciousness.attention']);

      // Heartbeats at the configured rate: many of them before the first metrics summary
      // (200 ms against 4 s: ~20; with the default 10 s heartbeat there would be none).
      await waitFor(() => summaries.seen.length > 0, {
        timeoutMs: 20_000,
        message: `a metrics summary on ${METRICS_SUBJECT}`
      });
      const beforeFirstSummary = heartbeats.seen.length;
      expect(beforeFirstSummary).toBeGreaterThanOrEqual(5);
      for (const hb of heartbeats.seen)
        expect(hb).toMatchObject({ type: 'health.heartbeat', data: { service: 'control_center' } });
      expect(summaries.seen[0]).toMatchObject({ type: 'metrics.summary', data: { service: 'control_center' } });

      await env.nc.flush();
      expect(defaultDecisions.seen).toHaveLength(0);
      expect(memoryForwards.seen).toHaveLength(0);
      expect(defaultHeartbeats.seen).toHaveLength(0);
      // Every configured subject is stored by a Syn_OS stream: no warning about it.
      const notices = await core.api.invoke('system.notices', {});
      expect(notices.filter((n) => n.code === 'BRIDGE_SUBJECT_NOT_STORED')).toEqual([]);
    } finally {
      await core.stop();
      for (const c of [
        heartbeats,
        defaultHeartbeats,
        summaries,
        decisions,
        defaultDecisions,
        memoryForwards,
        memoryEvents
      ])
        c.sub.unsubscribe();
    }
  });

  it('warns at start when a configured subject is outside every Syn_OS stream', async () => {
    const dataDir = tempDir();
    fs.writeFileSync(
      path.join(dataDir, 'config.json'),
      JSON.stringify({ bridge: { outboundMapping: { 'consciousness.error': 'ops.errors' } } })
    );
    const core = createTestCore({ servers: [env.server.url], dataDir, autoConnect: true });
    await core.start();
    try {
      const notice = await waitFor(
        async () => (await core.api.invoke('system.notices', {})).find((n) => n.code === 'BRIDGE_SUBJECT_NOT_STORED'),
        {
          message: 'a BRIDGE_SUBJECT_NOT_STORED notice'
        }
      );
      expect(notice.level).toBe('warning');
      expect(notice.message).toContain('ops.errors');
      expect(notice.details).toEqual({ subjects: ['ops.errors'] });
    } finally {
      await core.stop();
    }
  });
});
