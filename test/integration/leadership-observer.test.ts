/**
 * A core that does not run the engine is still a live view of it: an observer core next to a
 * running leader (a real `synos-cc run` process) shows the leader's decisions and learning, the
 * security events and the learned weights — read through its own ordered consumers and the shared
 * state, while the shared durables stay bound only by the leader.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Core } from '../../main/app/create-core';
import type { MessageType } from '../../main/contract/messages';
import { createTestCore } from '../harness/core';
import { engineOutputs, engineStatus, startRunCore, stopCore, type CoreProcess } from '../harness/engine-cores';
import { startNatsServer, type NatsServerHandle } from '../harness/nats-server';
import { waitFor } from '../harness/temp';
import { encodeEnvelope } from '../harness/envelope';

let server: NatsServerHandle;
let nc: NatsConnection;
let leader: CoreProcess;
let observer: Core;

const envelope = (type: MessageType, data: unknown): Uint8Array => encodeEnvelope(type, data, { idPrefix: 'obs' });

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  leader = await startRunCore([server.url], { ttlMs: 2000 });
  await waitFor(() => engineStatus([server.url], leader.dataDir).leader?.pid === leader.pid, {
    timeoutMs: 30_000,
    intervalMs: 300,
    message: 'the run core leads'
  });
  observer = createTestCore({ servers: [server.url], autoConnect: true, overrides: { engineRole: 'observer' } });
  await observer.start();
  await waitFor(async () => (await observer.api.invoke('engine.leadership', {})).self?.role === 'observer', {
    message: 'the observer core is up'
  });
});

afterAll(async () => {
  await observer?.stop();
  await stopCore(leader);
  await nc?.close();
  await server?.stop();
});

describe('observer views', () => {
  it('shows the active engine’s events, security events and learning without binding a durable', async () => {
    const js = jetstream(nc);
    // The observer's feed starts at "new": give it a moment to be subscribed before the scenario.
    await waitFor(
      async () => {
        const list = await (await jetstreamManager(nc)).consumers.list('CONSCIOUSNESS_EVENTS').next();
        return list.some((c) => !c.config.durable_name);
      },
      { message: 'the observer’s ordered consumer exists' }
    );
    await js.publish(
      'orchestrator.service.health',
      envelope('service.health.update', { service: 'ledger', status: 'healthy' })
    );
    await js.publish(
      'orchestrator.service.health',
      envelope('service.health.update', { service: 'ledger', status: 'unhealthy' })
    );
    await js.publish(
      'security.threat.detected',
      envelope('security.threat.detected', { threat_id: 't-obs', severity: 'high', target: 'ledger' })
    );
    await js.publish(
      'orchestrator.service.health',
      envelope('service.health.update', { service: 'ledger', status: 'healthy' })
    );
    const learning = await waitFor(
      async () =>
        (await engineOutputs(nc, 'consciousness.learning_event')).find((o) => o.envelope.data.kind === 'strategy'),
      { timeoutMs: 20_000, message: 'the leader learned' }
    );
    const decision = (await engineOutputs(nc, 'consciousness.decision_made')).find(
      (o) => o.envelope.data.target === 'ledger'
    )!;

    const events = await waitFor(
      async () => {
        const list = await observer.api.invoke('engine.events', { limit: 500 });
        const ids = list.map((e) => e.id);
        return ids.includes(decision.envelope.id) && ids.includes(learning.envelope.id) ? list : null;
      },
      { message: 'the leader’s decision and learning in the observer’s Engine view' }
    );
    expect(events.find((e) => e.id === decision.envelope.id)?.type).toBe('consciousness.decision_made');

    const security = await waitFor(
      async () => {
        const s = await observer.api.invoke('security.events', { limit: 50 });
        return s.items.find((i) => i.data.threat_id === 't-obs') ?? null;
      },
      { message: 'the threat in the observer’s Security view' }
    );
    expect(security.severity).toBe('high');

    const weight = await waitFor(
      async () =>
        (await observer.api.invoke('engine.strategies', {})).find(
          (w) => w.problemKind === 'service_unhealthy' && w.action === 'restart_service' && w.successes > 0
        ),
      { message: 'the learned weight in the observer’s warm copy' }
    );
    expect(weight.weight).toBeCloseTo((learning.envelope.data as { weight: number }).weight, 4);

    // The observer never took a shared durable.
    const status = await observer.api.invoke('bridge.status', {});
    expect(status.consumers.every((c) => !c.bound)).toBe(true);
  });
});
