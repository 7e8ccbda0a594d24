/**
 * The Overview's system picture on a real nats-server and a real core: services heard in lifecycle
 * inputs and heartbeats appear with their health (a stopped one critical), streams, the bridge's
 * durables, the engine and its outputs are connected, rates show under traffic, the push arrives
 * while watched, and with NATS stopped the picture is answered from SQLite, marked cached.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterEach, describe, expect, it } from 'vitest';
import type { MessageType, SystemPicture } from '../../main/contract';
import type { Core } from '../../main/app/create-core';
import { createTestCore } from '../harness/core';
import { startNatsServer, type NatsServerHandle } from '../harness/nats-server';
import { waitFor } from '../harness/temp';
import { bridgeDurableFor } from '../harness/bridge-durables';
import { encodeEnvelope } from '../harness/envelope';

/** The bridge durable that reads service health updates on the server under test. */
const SERVICE_DURABLE = bridgeDurableFor('orchestrator.service.health');

const envelope = (type: MessageType, data: unknown): Uint8Array => encodeEnvelope(type, data, { idPrefix: 'pic' });

let server: NatsServerHandle | null = null;
let core: Core | null = null;
let client: NatsConnection | null = null;

afterEach(async () => {
  await client?.close().catch(() => {});
  client = null;
  await core?.stop();
  core = null;
  await server?.stop();
  server = null;
});

const node = (p: SystemPicture, id: string) => p.nodes.find((n) => n.id === id);

describe('overview.picture', () => {
  it('connects services, streams, durables, the engine and its outputs, with health and live rates; cached offline', async () => {
    server = await startNatsServer();
    // Faster sampling so the test sees two samples (rates) within seconds.
    core = createTestCore({
      servers: [server.url],
      autoConnect: true,
      overview: { storeIntervalMs: 0, sampleIntervalMs: 500 }
    });
    await core.start();
    await waitFor(() => core?.context.nats.connection(), { message: 'core connected' });

    // A watcher: the module pushes while someone listens, and samples faster for it.
    const pushes: SystemPicture[] = [];
    const off = core.context.events.on('overview.picture', (p) => pushes.push(p));

    client = await connect({ servers: server.url });
    const publish = (subject: string, type: MessageType, data: unknown): void => {
      client!.publish(subject, envelope(type, data));
    };
    // The streams exist once the core provisioned them on connect.
    await waitFor(
      async () =>
        (await core!.api.invoke('overview.picture', {})).nodes.some((n) => n.id === 'stream:ORCHESTRATOR_EVENTS'),
      { timeoutMs: 20_000, message: 'streams in the picture' }
    );
    publish('orchestrator.service.started', 'service.lifecycle.started', { service: 'payments' });
    publish('orchestrator.service.started', 'service.lifecycle.started', { service: 'search' });
    publish('health.billing', 'health.heartbeat', {
      service: 'billing',
      instance: 'b-1',
      status: 'healthy',
      uptime_s: 3
    });
    const traffic = setInterval(() => {
      for (let i = 0; i < 20; i++)
        publish('orchestrator.service.health', 'service.health.update', { service: 'payments', status: 'healthy' });
    }, 100);
    try {
      const live = await waitFor(
        async () => {
          const p = await core!.api.invoke('overview.picture', {});
          const edge = p.edges.find((e) => e.id === 'service:payments->stream:ORCHESTRATOR_EVENTS');
          return (edge?.msgsPerSec ?? 0) > 0 && (node(p, 'stream:ORCHESTRATOR_EVENTS')?.msgsPerSec ?? 0) > 0 ? p : null;
        },
        { timeoutMs: 20_000, intervalMs: 500, message: 'rates on the payments edge and its stream' }
      );
      expect(live.cached).toBe(false);
      expect(node(live, 'service:payments')?.health).toBe('ok');
      expect(node(live, 'service:billing')).toMatchObject({
        health: 'ok',
        subject: 'health.billing',
        stream: 'HEALTH_METRICS'
      });
      expect(node(live, 'engine')?.kind).toBe('engine');
      expect(node(live, `consumer:ORCHESTRATOR_EVENTS/${SERVICE_DURABLE}`)?.kind).toBe('consumer');
      const ids = new Set(live.edges.map((e) => e.id));
      expect(ids).toContain(`stream:ORCHESTRATOR_EVENTS->consumer:ORCHESTRATOR_EVENTS/${SERVICE_DURABLE}`);
      expect(ids).toContain(`consumer:ORCHESTRATOR_EVENTS/${SERVICE_DURABLE}->engine`);
      expect(ids).toContain('engine->output:consciousness.decision_made');
      // The orchestrator's durable reads only the engine's forwarded outputs.
      expect(ids).toContain('output:consciousness.decision_made->consumer:ORCHESTRATOR_EVENTS/orchestrator_service');
      expect(ids).toContain('output:consciousness.state_change->stream:CONSCIOUSNESS_EVENTS');
      // Every edge joins two nodes of the picture.
      const nodeIds = new Set(live.nodes.map((n) => n.id));
      expect(live.edges.every((e) => nodeIds.has(e.source) && nodeIds.has(e.target))).toBe(true);
    } finally {
      clearInterval(traffic);
    }

    publish('orchestrator.service.stopped', 'service.lifecycle.stopped', { service: 'search', exit_code: 137 });
    const stopped = await waitFor(
      async () => {
        const p = await core!.api.invoke('overview.picture', {});
        return node(p, 'service:search')?.health === 'critical' ? p : null;
      },
      { timeoutMs: 15_000, message: 'the stopped service is critical' }
    );
    expect(node(stopped, 'service:search')?.status).toContain('stopped');
    await waitFor(() => pushes.some((p) => node(p, 'service:search')?.health === 'critical'), {
      timeoutMs: 5000,
      message: 'the push carries the stopped service'
    });

    await server.stop();
    await waitFor(() => core?.context.nats.connection() === null, { message: 'core sees the outage' });
    const cached = await core.api.invoke('overview.picture', {});
    expect(cached.cached).toBe(true);
    expect(cached.snapshotTime).not.toBeNull();
    expect(node(cached, 'service:search')?.health).toBe('critical');
    await waitFor(() => pushes.at(-1)?.cached === true, {
      timeoutMs: 5000,
      message: 'watchers get the cached picture'
    });
    off();
  }, 90_000);

  it('with NATS never reached, says nothing was kept and what would fill it', async () => {
    core = createTestCore({ servers: ['nats://127.0.0.1:1'], autoConnect: false });
    await core.start();
    const p = await core.api.invoke('overview.picture', {});
    expect(p.cached).toBe(true);
    expect(p.snapshotTime).toBeNull();
    expect(p.nodes).toEqual([]);
    expect(p.notes.join(' ')).toMatch(/connect/i);
  });
});
