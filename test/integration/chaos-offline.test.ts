import { randomUUID } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import { afterAll, describe, expect, it } from 'vitest';
import type { Core } from '../../main/app/create-core';
import { createTestCore } from '../harness/core';
import { countByMsgId, outboundBatch, waitForStream } from '../harness/exactly-once';
import { startNatsServer, type NatsServerHandle } from '../harness/nats-server';
import { waitFor } from '../harness/temp';

let server: NatsServerHandle | null = null;
let core: Core | null = null;

afterAll(async () => {
  await core?.stop();
  await server?.stop();
});

describe('chaos: NATS down', () => {
  it('queues 5,000 messages while NATS is down and delivers each exactly once when it returns', async () => {
    server = await startNatsServer();
    core = createTestCore({ servers: [server.url], autoConnect: true });
    await core.start();
    await waitFor(() => core?.context.nats.connection(), { message: 'core connected' });
    const store = core.app.durability.outbox;
    const publisher = core.app.durability.publisher;
    // The streams are there before the outage (provisioned on connect).
    await waitForStream(server.url, 'HEALTH_METRICS');

    await server.stop();
    await waitFor(() => core?.context.nats.connection() === null, { message: 'core sees the outage' });
    const run = randomUUID().slice(0, 8);
    const batch = outboundBatch(run, 5000);
    await Promise.all(batch.map((m) => publisher.publish(m)));
    const ids = batch.map((m) => m.id);

    await new Promise((r) => setTimeout(r, 1000));
    const held = store.statusOf(ids);
    expect([...held.values()].every((s) => s === 'pending')).toBe(true);
    expect(held.size).toBe(5000);
    expect(ids.every((id) => store.get(id)?.attempts === 0)).toBe(true); // nothing was attempted while down

    await server.restart();
    await waitFor(() => [...store.statusOf(ids).values()].every((s) => s === 'completed'), {
      timeoutMs: 40_000,
      intervalMs: 200,
      message: 'all 5,000 delivered'
    });
    const nc = await connect({ servers: server.url });
    try {
      const count = await countByMsgId(nc, 'HEALTH_METRICS', `health.chaos.${run}`, ids);
      expect(count).toMatchObject({ total: 5000, unique: 5000, duplicated: [], missing: [] });
    } finally {
      await nc.close();
    }
  });
});
