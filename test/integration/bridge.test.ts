/**
 * The engine bridge against a real nats-server and a real core (all modules, the outbox
 * publisher included): attention follows a failing service, decisions and learning events land
 * on their orchestrator subjects with Nats-Msg-Id = envelope id, learned weights survive a
 * restart, a flood of malformed messages is terminated, counted and kept, handler errors nak.
 */
import { type JetStreamManager } from '@nats-io/jetstream';
import { describe, expect, it } from 'vitest';
import type { ConsciousnessBridge } from '../../main/bridge/bridge';
import { validateEnvelope, type MessageType } from '../../main/contract/messages';
import { events as contractEvents } from '../../main/contract';
import type { Core } from '../../main/app/create-core';
import { provision } from '../../main/nats/topology/provisioning';
import { bridgeDurableFor, bridgeInboundDurables } from '../harness/bridge-durables';
import { createTestCore } from '../harness/core';
import { useServerAndClient } from '../harness/server-and-core';
import { tempDir, waitFor } from '../harness/temp';
import { encodeEnvelope } from '../harness/envelope';

const encoder = new TextEncoder();

const envelope = (type: MessageType, data: unknown): Uint8Array => encodeEnvelope(type, data);

const FAST = {
  active: true,
  heartbeatIntervalMs: 300,
  metricsIntervalMs: 500,
  tickIntervalMs: 50,
  nakBaseDelayMs: 200
};

async function startCore(url: string, dataDir: string): Promise<{ core: Core; bridge: ConsciousnessBridge }> {
  const core = createTestCore({ servers: [url], dataDir, bridge: FAST });
  await core.start();
  const status = await core.api.invoke('connection.connect', {});
  expect(status.state).toBe('connected');
  const bridge = core.app.engine.bridge;
  await waitFor(async () => (await core.api.invoke('bridge.status', {})).consumers.every((c) => c.bound), {
    timeoutMs: 20_000,
    message: 'all inbound consumers bound'
  });
  return { core, bridge };
}

/** Reads every message on a subject from its stream (JetStream get by sequence). */
async function storedOn(jsm: JetStreamManager, stream: string, subject: string) {
  const info = await jsm.streams.info(stream, { subjects_filter: subject });
  const out: Array<{ envelope: Record<string, unknown>; msgId: string | undefined }> = [];
  for (let s = info.state.first_seq; s <= info.state.last_seq; s++) {
    const m = await jsm.streams.getMessage(stream, { seq: s }).catch(() => null);
    if (!m || m.subject !== subject) continue;
    out.push({ envelope: m.json<Record<string, unknown>>(), msgId: m.header?.get('Nats-Msg-Id') });
  }
  return out;
}

describe('engine bridge against a real nats-server', () => {
  const dataDir = tempDir();
  const env = useServerAndClient({ prepare: ({ nc }) => provision(nc) });

  it('attention follows the failing service; decision and learning events land on their orchestrator subjects; weights survive a restart', async () => {
    const { core, bridge } = await startCore(env.server.url, dataDir);
    let learnedWeight = 0;
    try {
      for (const service of ['billing', 'search', 'payments']) {
        await env.js.publish('orchestrator.service.started', envelope('service.lifecycle.started', { service }));
        await env.js.publish(
          'orchestrator.service.health',
          envelope('service.health.update', { service, status: 'healthy' })
        );
      }
      await env.js.publish(
        'orchestrator.system.resource',
        envelope('system.resource.update', { cpu: 0.3, memory: 0.4 })
      );
      await env.js.publish(
        'orchestrator.service.health',
        envelope('service.health.update', { service: 'payments', status: 'unhealthy', detail: 'probe failed' })
      );
      await waitFor(async () => (await core.api.invoke('engine.state', {})).state.focus === 'payments', {
        message: 'focus on payments'
      });

      const decisions = await waitFor(
        async () => {
          const found = await storedOn(env.jsm, 'ORCHESTRATOR_EVENTS', 'orchestrator.consciousness.decision');
          return found.length > 0 ? found : null;
        },
        { message: 'a decision on orchestrator.consciousness.decision' }
      );
      const decision = decisions[0]!;
      expect(decision.msgId).toBe(decision.envelope.id);
      const checked = validateEnvelope(decision.envelope);
      expect(checked.ok).toBe(true);
      expect(decision.envelope).toMatchObject({
        type: 'consciousness.decision_made',
        data: { kind: 'service_unhealthy', target: 'payments', action: 'restart_service' }
      });
      const own = await storedOn(env.jsm, 'CONSCIOUSNESS_EVENTS', 'consciousness.decision_made');
      expect(own).toHaveLength(1);
      expect(own[0]!.msgId).toBe(own[0]!.envelope.id);
      expect(own[0]!.envelope.id).not.toBe(decision.envelope.id);

      const shifts = await storedOn(env.jsm, 'ORCHESTRATOR_EVENTS', 'orchestrator.consciousness.attention');
      expect(shifts.some((s) => (s.envelope.data as { to: string }).to === 'payments')).toBe(true);

      await env.js.publish(
        'orchestrator.service.health',
        envelope('service.health.update', { service: 'payments', status: 'healthy' })
      );
      const learning = await waitFor(
        async () => {
          const found = await storedOn(env.jsm, 'ORCHESTRATOR_EVENTS', 'orchestrator.consciousness.learning');
          return found.find((l) => (l.envelope.data as { kind: string }).kind === 'strategy') ?? null;
        },
        { message: 'a strategy learning event on orchestrator.consciousness.learning' }
      );
      expect(learning.envelope.data).toMatchObject({
        problem_kind: 'service_unhealthy',
        action: 'restart_service',
        success: true
      });
      learnedWeight = (learning.envelope.data as { weight: number }).weight;
      expect(learnedWeight).toBeCloseTo(0.6 + 0.2 * 0.4, 4);
      expect(bridge.engine.weightOf('service_unhealthy', 'restart_service')).toBeCloseTo(learnedWeight, 4);

      const problems = await core.api.invoke('engine.problems', { status: 'resolved' });
      expect(problems[0]).toMatchObject({ target: 'payments', outcome: 'success', status: 'resolved' });
      const events = await core.api.invoke('engine.events', { types: ['consciousness.decision_made'] });
      expect(events[0]?.subjects).toEqual(['consciousness.decision_made', 'orchestrator.consciousness.decision']);
      // payments was touched 3+ times: promoted to long-term memory
      const memory = await core.api.invoke('engine.memory', {});
      expect(memory.longTerm.map((m) => m.key)).toContain('payments');

      // Every output committed to the outbox counts as published by the bridge.
      const rows = core.context.db.prepare(
        `SELECT count(*) AS n FROM outbox WHERE subject LIKE 'consciousness.%' OR subject LIKE 'orchestrator.consciousness.%'`
      );
      await waitFor(
        async () => {
          const published = (await core.api.invoke('bridge.status', {})).outbound.published;
          return published > 0 && published === (rows.get() as { n: number }).n ? true : null;
        },
        { message: 'bridge.status counts the outputs it committed to the outbox as published' }
      );
    } finally {
      await core.stop();
    }

    // Restart on the same data directory: the learned weight and long-term memory are back.
    const again = await startCore(env.server.url, dataDir);
    try {
      const strategies = await again.core.api.invoke('engine.strategies', {});
      const w = strategies.find((s) => s.problemKind === 'service_unhealthy' && s.action === 'restart_service');
      expect(w?.weight).toBeCloseTo(learnedWeight, 4);
      expect(w?.successes).toBe(1);
      const memory = await again.core.api.invoke('engine.memory', { query: 'pay' });
      expect(memory.longTerm[0]?.key).toBe('payments');
      // the problem, its decision and its outcome are still listed
      const problems = await again.core.api.invoke('engine.problems', { status: 'resolved' });
      expect(problems.find((p) => p.target === 'payments')).toMatchObject({
        kind: 'service_unhealthy',
        action: 'restart_service',
        outcome: 'success'
      });
    } finally {
      await again.core.stop();
    }
  });

  it('terminates, counts and keeps a flood of malformed messages, and keeps running', async () => {
    const { core } = await startCore(env.server.url, tempDir());
    try {
      const binary = new Uint8Array(64);
      for (let i = 0; i < binary.length; i++) binary[i] = (i * 37) % 256;
      const oversized = encoder.encode(JSON.stringify({ padding: 'x'.repeat(300 * 1024) }));
      const flood: Array<[string, Uint8Array, string]> = [
        ['orchestrator.service.health', encoder.encode('this is not json {'), 'not_json'],
        ['orchestrator.service.health', encoder.encode('[1,2,3]'), 'not_envelope'],
        ['orchestrator.service.health', encoder.encode(JSON.stringify({ hello: 'world' })), 'not_envelope'],
        [
          'orchestrator.service.health',
          envelope('service.health.update', { service: 'x', status: 'on fire' }),
          'invalid_data'
        ],
        [
          'orchestrator.service.health',
          envelope('user.request.received', { request_id: 'r', user: 'u', intent: 'i' }),
          'wrong_type'
        ],
        ['orchestrator.user.request', binary, 'binary'],
        ['orchestrator.system.resource', oversized, 'oversized'],
        ['orchestrator.service.unknown_thing', envelope('service.lifecycle.started', { service: 'x' }), 'unknown_type'],
        [
          'security.threat.detected',
          envelope('security.threat.detected', { threat_id: 't', severity: 'apocalyptic' }),
          'invalid_data'
        ],
        [
          'security.weird.event',
          envelope('health.heartbeat', { service: 's', instance: 'i', status: 'healthy', uptime_s: 1 }),
          'unknown_type'
        ]
      ];
      const rounds = 20;
      for (let r = 0; r < rounds; r++) for (const [subject, payload] of flood) await env.js.publish(subject, payload);
      const expected: Record<string, number> = {};
      for (const [, , reason] of flood) expected[reason] = (expected[reason] ?? 0) + rounds;

      const result = await waitFor(
        async () => {
          const r = await core.api.invoke('bridge.invalidMessages', { limit: 1000 });
          return r.total === flood.length * rounds ? r : null;
        },
        { timeoutMs: 30_000, message: 'every malformed message counted' }
      );
      expect(result.counts).toEqual(expected);
      expect(result.items).toHaveLength(flood.length * rounds);
      const oversizedItem = result.items.find((i) => i.reason === 'oversized')!;
      expect(oversizedItem.subject).toBe('orchestrator.system.resource');
      expect(oversizedItem.truncated).toBe(true);
      expect(oversizedItem.rawSize).toBe(oversized.length);
      expect(oversizedItem.message).toMatch(/more than the \d+-byte limit/);
      const binaryItem = result.items.find((i) => i.reason === 'binary')!;
      expect(binaryItem.rawText).toBeNull();
      expect(Buffer.from(binaryItem.rawBase64, 'base64')).toEqual(Buffer.from(binary));
      const bad = result.items.find((i) => i.reason === 'invalid_data' && i.subject === 'orchestrator.service.health')!;
      expect(bad.issues[0]?.path).toBe('data.status');
      expect(bad.rawText).toContain('on fire');

      // terminated, so never redelivered: nothing pending or awaiting ack on the bridge durables
      await waitFor(
        async () => {
          const infos = await Promise.all(
            bridgeInboundDurables().map((d) => env.jsm.consumers.info('ORCHESTRATOR_EVENTS', d))
          );
          const sec = await env.jsm.consumers.info('SECURITY_EVENTS', 'security_dashboard');
          const all = [...infos, sec];
          if (process.env.SYNOS_TEST_LOG === '1')
            console.log(all.map((i) => [i.name, i.num_ack_pending, i.num_pending, i.num_redelivered]));
          return all.every((i) => i.num_ack_pending === 0 && i.num_pending === 0);
        },
        { message: 'no pending or redelivered messages' }
      );

      // still alive: a valid message is taken
      await env.js.publish(
        'orchestrator.service.health',
        envelope('service.health.update', { service: 'after-flood', status: 'unhealthy' })
      );
      await waitFor(async () => (await core.api.invoke('engine.state', {})).state.focus === 'after-flood', {
        message: 'engine still takes input'
      });
      const status = await core.api.invoke('bridge.status', {});
      expect(status.inbound.invalid).toBe(flood.length * rounds);
      expect(status.running).toBe(true);
    } finally {
      await core.stop();
    }
  });

  it('feeds security events to the engine and the Security view; naks with back-off when handling fails', async () => {
    const { core, bridge } = await startCore(env.server.url, tempDir());
    const pushed: Record<string, unknown[]> = { 'engine.state': [], 'engine.event': [], 'security.event': [] };
    core.api.subscribe('engine.state', (p) => pushed['engine.state']!.push(p));
    core.api.subscribe('engine.event', (p) => pushed['engine.event']!.push(p));
    core.api.subscribe('security.event', (p) => pushed['security.event']!.push(p));
    try {
      await env.js.publish(
        'security.threat.detected',
        envelope('security.threat.detected', {
          threat_id: 'th-1',
          severity: 'critical',
          target: 'vault',
          description: 'exfiltration'
        })
      );
      await env.js.publish(
        'security.auth.failure',
        envelope('security.auth.failure', { user: 'mallory', source_ip: '203.0.113.9' })
      );
      const sec = await waitFor(
        async () => {
          const r = await core.api.invoke('security.events', {});
          return r.items.length === 2 ? r : null;
        },
        { message: 'two security events stored' }
      );
      expect(sec.items[1]).toMatchObject({ type: 'security.threat.detected', severity: 'critical', target: 'vault' });
      expect(sec.countsBySeverity).toEqual({ critical: 1, medium: 1 });
      const critical = await core.api.invoke('security.events', { minSeverity: 'high' });
      expect(critical.items.map((i) => i.type)).toEqual(['security.threat.detected']);
      const open = await core.api.invoke('engine.problems', { status: 'open' });
      expect(open[0]).toMatchObject({ kind: 'security_threat', target: 'vault', action: 'notify_operator' });
      // the views' pushed events arrive and match the contract
      await waitFor(() => pushed['engine.state']!.length > 0 && pushed['security.event']!.length === 2, {
        message: 'pushed engine.state and security.event'
      });
      for (const [channel, payloads] of Object.entries(pushed)) {
        for (const p of payloads)
          expect(contractEvents[channel as 'engine.state'].payload.safeParse(p).success, channel).toBe(true);
      }
      expect(pushed['engine.event']!.some((p) => (p as { type: string }).type === 'consciousness.decision_made')).toBe(
        true
      );

      // the engine throws once: the message is nak'ed, redelivered after the back-off and then taken
      const original = bridge.engine.step.bind(bridge.engine);
      let failures = 0;
      bridge.engine.step = (input, now) => {
        if (failures === 0 && (input.data as { service?: string }).service === 'flaky') {
          failures++;
          throw new Error('simulated handler failure');
        }
        return original(input, now);
      };
      await env.js.publish(
        'orchestrator.service.health',
        envelope('service.health.update', { service: 'flaky', status: 'degraded' })
      );
      await waitFor(
        async () => (await core.api.invoke('engine.state', {})).attention.some((a) => a.target === 'flaky'),
        { message: 'redelivered message taken' }
      );
      // it reached the engine only through the redelivery after the nak
      expect(failures).toBe(1);
      const status = await core.api.invoke('bridge.status', {});
      expect(status.inbound.naks).toBe(1);
      // The engine shows the input as soon as it is stepped; the ack follows once its batch committed.
      await waitFor(
        async () =>
          (await env.jsm.consumers.info('ORCHESTRATOR_EVENTS', bridgeDurableFor('orchestrator.service.health')))
            .num_ack_pending === 0,
        { message: 'the redelivered message acked after its commit' }
      );
    } finally {
      await core.stop();
    }
  });

  it('publishes its heartbeat and metrics summary, and lists services heard on health.>', async () => {
    const { core } = await startCore(env.server.url, tempDir());
    try {
      await waitFor(
        async () => {
          const s = await core.api.invoke('bridge.status', {});
          return s.heartbeat.lastAt !== null && s.metricsSummary.lastAt !== null;
        },
        { message: 'heartbeat and metrics summary published' }
      );
      const beats = await storedOn(env.jsm, 'HEALTH_METRICS', 'health.control_center');
      expect(beats.length).toBeGreaterThan(0);
      expect(validateEnvelope(beats[0]!.envelope).ok).toBe(true);
      const summaries = await storedOn(env.jsm, 'HEALTH_METRICS', 'metrics.control_center');
      expect(validateEnvelope(summaries[0]!.envelope, { expectedType: 'metrics.summary' }).ok).toBe(true);
      const services = await waitFor(
        async () => {
          const list = await core.api.invoke('health.services', {});
          return list.find((s) => s.service === 'control_center') ?? null;
        },
        { message: 'control_center heard on health.>' }
      );
      expect(services.status).toBe('healthy');
    } finally {
      await core.stop();
    }
  });
});
