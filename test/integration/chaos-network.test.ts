/**
 * A flaky network between the core and NATS: a TCP proxy adds latency and cuts every connection
 * several times while 5,000 messages drain. Each message lands exactly once.
 */
import { randomUUID } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import { afterAll, describe, expect, it } from 'vitest';
import type { Core } from '../../main/app/create-core';
import { createTestCore } from '../harness/core';
import { countByMsgId, outboundBatch, waitForStream } from '../harness/exactly-once';
import { startNatsServer, type NatsServerHandle } from '../harness/nats-server';
import { startTcpProxy, type TcpProxy } from '../harness/tcp-proxy';
import { waitFor } from '../harness/temp';

let server: NatsServerHandle | null = null;
let proxy: TcpProxy | null = null;
let core: Core | null = null;

afterAll(async () => {
  await core?.stop();
  await proxy?.close();
  await server?.stop();
});

describe('chaos: latency and cut connections', () => {
  it('delivers 5,000 messages exactly once through a proxy that lags and drops connections', async () => {
    server = await startNatsServer();
    proxy = await startTcpProxy({ port: server.port }, { latencyMs: 5 });
    core = createTestCore({ servers: [proxy.url], autoConnect: true });
    await core.start();
    await waitFor(() => core?.context.nats.connection(), { message: 'core connected through the proxy' });
    await waitForStream(server.url, 'HEALTH_METRICS');
    // Slow the drain down so the cuts land while messages are in flight.
    await core.api.invoke('outbox.setRateLimit', { perSecond: 2500 });
    const store = core.app.durability.outbox;
    const publisher = core.app.durability.publisher;
    const run = randomUUID().slice(0, 8);
    const batch = outboundBatch(run, 5000);
    const ids = batch.map((m) => m.id);
    await publisher.publishMany(batch);

    let cuts = 0;
    for (let i = 0; i < 4; i++) {
      await new Promise((r) => setTimeout(r, 400));
      proxy.setLatency(i % 2 === 0 ? 40 : 5);
      cuts += proxy.cut() > 0 ? 1 : 0;
    }
    expect(cuts).toBeGreaterThanOrEqual(2);
    proxy.setLatency(2);
    await core.api.invoke('outbox.setRateLimit', { perSecond: null });

    await waitFor(() => [...store.statusOf(ids).values()].every((s) => s === 'completed'), {
      timeoutMs: 45_000,
      intervalMs: 200,
      message: 'all 5,000 delivered'
    });
    expect(proxy.accepted()).toBeGreaterThanOrEqual(2); // the client really reconnected

    // Again without a rate limit: fresh rows go straight from the publisher to the window
    // (written already claimed), and the connection is cut under them.
    const fast = outboundBatch(`${run}f`, 3000);
    const fastIds = fast.map((m) => m.id);
    const publishing = Promise.all(fast.map((m) => publisher.publish(m)));
    await new Promise((r) => setTimeout(r, 50));
    proxy.cut();
    await publishing;
    await new Promise((r) => setTimeout(r, 300));
    proxy.cut();
    await waitFor(() => [...store.statusOf(fastIds).values()].every((s) => s === 'completed'), {
      timeoutMs: 45_000,
      intervalMs: 200,
      message: 'all 3,000 fast-path messages delivered'
    });
    const nc = await connect({ servers: server.url });
    try {
      const count = await countByMsgId(nc, 'HEALTH_METRICS', `health.chaos.${run}`, ids);
      expect(count).toMatchObject({ total: 5000, unique: 5000, duplicated: [], missing: [] });
      const fastCount = await countByMsgId(nc, 'HEALTH_METRICS', `health.chaos.${run}f`, fastIds);
      expect(fastCount).toMatchObject({ total: 3000, unique: 3000, duplicated: [], missing: [] });
    } finally {
      await nc.close();
    }
  });
});
