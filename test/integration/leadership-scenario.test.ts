/**
 * The orchestrator scenario (start → unhealthy → recovered → strategy learning; resource
 * exhaustion; a threat; a service stopped; malformed messages) gives the same decisions and the
 * same learning, each exactly once, on one core and on three cores — also when the leader is
 * killed with SIGKILL halfway through and another core finishes the scenario.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { describe, expect, it } from 'vitest';
import type { MessageType } from '../../main/contract/messages';
import {
  engineOutputs,
  aliveCores,
  engineStatus,
  kill9,
  startRunCore,
  stopCore,
  type CoreProcess,
  type StoredOutput
} from '../harness/engine-cores';
import { startNatsServer } from '../harness/nats-server';
import { waitFor } from '../harness/temp';
import { encodeEnvelope } from '../harness/envelope';

const TTL = 2000;
const encoder = new TextEncoder();

const envelope = (type: MessageType, data: unknown): Uint8Array => encodeEnvelope(type, data, { idPrefix: 'scn' });

interface Step {
  subject: string;
  body: Uint8Array | string;
  /** What must have landed (decisions + learning events counted) before the next step. */
  expect?: { decisions: number; learning: number };
}

function scenario(): Step[] {
  const h = (service: string, status: string) => ({
    subject: 'orchestrator.service.health',
    body: envelope('service.health.update', { service, status })
  });
  return [
    { subject: 'orchestrator.service.started', body: envelope('service.lifecycle.started', { service: 'api' }) },
    { subject: 'orchestrator.service.started', body: envelope('service.lifecycle.started', { service: 'db' }) },
    h('api', 'healthy'),
    h('db', 'healthy'),
    { ...h('api', 'unhealthy'), expect: { decisions: 1, learning: 0 } },
    { ...h('api', 'healthy'), expect: { decisions: 1, learning: 1 } },
    {
      subject: 'orchestrator.system.resource',
      body: envelope('system.resource.update', { cpu: 0.97, memory: 0.5 }),
      expect: { decisions: 2, learning: 1 }
    },
    // ---- the three-core run kills its leader here ----
    {
      subject: 'orchestrator.system.resource',
      body: envelope('system.resource.update', { cpu: 0.3, memory: 0.4 }),
      expect: { decisions: 2, learning: 2 }
    },
    {
      subject: 'security.threat.detected',
      body: envelope('security.threat.detected', { threat_id: 't-9', severity: 'high', target: 'db' }),
      expect: { decisions: 3, learning: 2 }
    },
    { subject: 'orchestrator.service.health', body: '{not json' },
    { subject: 'orchestrator.service.health', body: envelope('service.health.update', { service: 'x' }) },
    {
      subject: 'orchestrator.service.stopped',
      body: envelope('service.lifecycle.stopped', { service: 'db', exit_code: 137 }),
      expect: { decisions: 4, learning: 2 }
    },
    {
      subject: 'security.threat.resolved',
      body: envelope('security.threat.resolved', { threat_id: 't-9', target: 'db' }),
      expect: { decisions: 4, learning: 3 }
    },
    {
      subject: 'orchestrator.service.started',
      body: envelope('service.lifecycle.started', { service: 'db' }),
      expect: { decisions: 4, learning: 4 }
    }
  ];
}

const KILL_AFTER = 7;

interface Outcome {
  decisions: string[];
  learning: string[];
  decisionIds: string[];
}

function summarise(outputs: StoredOutput[]): Outcome {
  const decisions = outputs.filter((o) => o.envelope.type === 'consciousness.decision_made');
  const learning = outputs.filter(
    (o) => o.envelope.type === 'consciousness.learning_event' && o.envelope.data.kind === 'strategy'
  );
  return {
    decisions: decisions.map((o) => `${o.envelope.data.kind} ${o.envelope.data.target} → ${o.envelope.data.action}`),
    learning: learning.map(
      (o) =>
        `${o.envelope.data.problem_kind} ${o.envelope.data.action} ${o.envelope.data.success ? 'success' : 'failure'} ${o.envelope.data.weight}`
    ),
    decisionIds: decisions.map((o) => String(o.envelope.data.problem_id))
  };
}

async function play(coreCount: number, killLeaderMidway: boolean): Promise<Outcome> {
  const server = await startNatsServer();
  const urls = [server.url];
  const nc: NatsConnection = await connect({ servers: urls });
  const cores: CoreProcess[] = [];
  try {
    for (let i = 0; i < coreCount; i++) cores.push(await startRunCore(urls, { ttlMs: TTL }));
    const alive = () => aliveCores(cores);
    const leaderPid = async () =>
      (
        await waitFor(
          () => {
            const s = engineStatus(urls, alive()[0].dataDir);
            return s.leader && alive().some((c) => c.pid === s.leader!.pid) ? s : null;
          },
          { timeoutMs: 30_000, intervalMs: 200, message: 'a live leader' }
        )
      ).leader!.pid;
    await leaderPid();
    // The durables exist once the leader is consuming.
    await waitFor(() => engineStatus(urls, alive()[0].dataDir).instances.length === coreCount, {
      timeoutMs: 30_000,
      message: 'all cores announced'
    });
    const js = jetstream(nc);
    const steps = scenario();
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i]!;
      await js.publish(step.subject, typeof step.body === 'string' ? encoder.encode(step.body) : step.body);
      if (step.expect) {
        const want = step.expect;
        await waitFor(
          async () => {
            const s = summarise(await engineOutputs(nc));
            return s.decisions.length >= want.decisions && s.learning.length >= want.learning;
          },
          { timeoutMs: 30_000, intervalMs: 100, message: `step ${i + 1}: ${JSON.stringify(want)}` }
        );
      }
      if (killLeaderMidway && i + 1 === KILL_AFTER) {
        // The shared state has the open resource problem once the leader has written it.
        await new Promise((r) => setTimeout(r, 1500));
        const pid = await leaderPid();
        await kill9(cores.find((c) => c.pid === pid)!);
        await waitFor(async () => (await leaderPid()) !== pid, { timeoutMs: 30_000, message: 'a new leader' });
      }
    }
    // Nothing more arrives late (a redelivery would come within the consumers' ack wait).
    await new Promise((r) => setTimeout(r, 2 * TTL));
    return summarise(await engineOutputs(nc));
  } finally {
    await Promise.all(cores.map((c) => stopCore(c)));
    await nc.close();
    await server.stop();
  }
}

describe('the orchestrator scenario on several cores', () => {
  it('gives the same decisions and learning, each once, on one core, on three, and across a kill -9', async () => {
    const single = await play(1, false);
    expect(single.decisions).toHaveLength(4);
    expect(single.learning).toHaveLength(4);
    const three = await play(3, false);
    expect(three.decisions).toEqual(single.decisions);
    expect(three.learning).toEqual(single.learning);
    const killed = await play(3, true);
    expect(killed.decisions).toEqual(single.decisions);
    expect(killed.learning).toEqual(single.learning);
    expect(new Set(killed.decisionIds).size).toBe(killed.decisionIds.length);
  }, 300_000);
});
