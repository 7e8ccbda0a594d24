import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../main/core/logger';
import type { StreamRecord } from '../../main/nats/inspection/inspector';
import { SNAPSHOT_MIGRATIONS, SnapshotStore } from '../../main/nats/inspection/snapshots';
import { openDatabase } from '../../main/store/database';
import { createTestCore } from '../harness/core';
import { startNatsServer, type NatsServerHandle } from '../harness/nats-server';
import { tempDir, waitFor } from '../harness/temp';

function record(name: string, messages: number): StreamRecord {
  return {
    stream: {
      name,
      description: null,
      subjects: [`${name.toLowerCase()}.>`],
      storage: 'file',
      retention: 'limits',
      replicas: 1,
      messages,
      bytes: messages * 10,
      firstSeq: 1,
      lastSeq: messages,
      firstTime: null,
      lastTime: null,
      consumerCount: 0,
      maxMsgs: -1,
      maxBytes: -1,
      maxAgeMs: 0,
      usageMsgs: null,
      usageBytes: null,
      created: '2026-01-01T00:00:00Z',
      leader: null
    },
    config: { name },
    state: { messages },
    cluster: null
  };
}

describe('snapshot cache for the offline view', () => {
  let server: NatsServerHandle;
  beforeAll(async () => {
    server = await startNatsServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('answers streams, stream info, consumers and account from the cache while the server is down', async () => {
    const dataDir = tempDir();
    const core = createTestCore({ servers: [server.url], dataDir });
    await core.start();
    try {
      const pushed: boolean[] = [];
      core.api.subscribe('streams.snapshot', (list) => pushed.push(list.cached));
      await core.api.invoke('connection.connect', {});
      // On connect: provisioning, then a first sample of everything.
      await waitFor(() => pushed.length > 0, { message: 'the first sample after connect' });
      const live = await core.api.invoke('streams.list', {});
      expect(live.cached).toBe(false);
      expect(live.streams.map((s) => s.name)).toContain('HEALTH_METRICS');
      const liveInfo = await core.api.invoke('streams.info', { stream: 'HEALTH_METRICS' });
      const liveConsumers = await core.api.invoke('consumers.list', { stream: 'ORCHESTRATOR_EVENTS' });
      expect(liveConsumers.consumers.map((c) => c.name)).toContain('orchestrator_service');
      const liveAccount = await core.api.invoke('streams.account', {});
      expect(liveAccount.streams).toBe(5);

      await server.kill9();
      await waitFor(() => core.context.nats.status().state !== 'connected', { message: 'the disconnect' });

      const cached = await core.api.invoke('streams.list', {});
      expect(cached.cached).toBe(true);
      expect(cached.snapshotTime).toBe(live.snapshotTime);
      expect(cached.streams).toEqual(live.streams);
      const info = await core.api.invoke('streams.info', { stream: 'HEALTH_METRICS' });
      expect(info).toMatchObject({
        cached: true,
        snapshotTime: liveInfo.snapshotTime,
        stream: liveInfo.stream,
        config: liveInfo.config
      });
      const consumers = await core.api.invoke('consumers.list', { stream: 'ORCHESTRATOR_EVENTS' });
      expect(consumers).toMatchObject({
        cached: true,
        snapshotTime: liveConsumers.snapshotTime,
        consumers: liveConsumers.consumers
      });
      const account = await core.api.invoke('streams.account', {});
      expect(account).toMatchObject({ cached: true, streams: 5 });
      expect(account.server?.port).toBe(server.port);

      // What was never seen, and what needs the server, say so plainly.
      const never = await core.api.call('streams.info', { stream: 'NEVER_SEEN' });
      expect(never.ok ? null : never.error.code).toBe('NOT_CONNECTED');
      const browse = await core.api.call('streams.browse', { stream: 'HEALTH_METRICS' });
      expect(browse.ok ? null : browse.error.code).toBe('NOT_CONNECTED');

      const series = await core.api.invoke('streams.series', { stream: 'HEALTH_METRICS' });
      expect(series.points.length).toBeGreaterThanOrEqual(1);
      expect(series.points[0]).toMatchObject({ stream: 'HEALTH_METRICS', consumer: null, messages: 0 });
      const consumerSeries = await core.api.invoke('streams.series', {
        stream: 'ORCHESTRATOR_EVENTS',
        consumer: 'orchestrator_service'
      });
      expect(consumerSeries.points[0]).toMatchObject({ consumer: 'orchestrator_service', pending: 0, ackPending: 0 });
    } finally {
      await core.stop();
    }

    // A fresh process on the same data directory, server still down: the cache still answers.
    const later = createTestCore({ servers: [server.url], dataDir });
    await later.start();
    try {
      const cached = await later.api.invoke('streams.list', {});
      expect(cached.cached).toBe(true);
      expect(cached.streams.length).toBe(5);
    } finally {
      await later.stop();
    }

    await server.restart();
    const back = createTestCore({ servers: [server.url], dataDir });
    await back.start();
    try {
      await back.api.invoke('connection.connect', {});
      const live = await back.api.invoke('streams.list', {});
      expect(live.cached).toBe(false);
    } finally {
      await back.stop();
    }
  });

  it('keeps series evenly spaced and bounded by count and age', () => {
    const dir = tempDir();
    const { db } = openDatabase(path.join(dir, 'snap.db'), {
      migrations: SNAPSHOT_MIGRATIONS,
      logger: createLogger({ level: 'error' })
    });
    try {
      const store = new SnapshotStore(db, {
        seriesMinIntervalMs: 1000,
        seriesMaxRows: 50,
        seriesMaxAgeMs: 3_600_000,
        snapshotsPerKey: 3
      });
      const t0 = Date.parse('2026-01-01T00:00:00Z');
      // Every 500 ms for 40 s: only one point per second per stream is kept.
      for (let i = 0; i < 80; i++) store.saveStreams([record('A', i), record('B', 2 * i)], new Date(t0 + i * 500));
      store.prune(t0 + 40_000);
      const a = store.series({ stream: 'A', limit: 1000 });
      const b = store.series({ stream: 'B', limit: 1000 });
      expect(a.length + b.length).toBeLessThanOrEqual(50);
      expect(a.at(-1)).toMatchObject({ messages: 78 });
      for (let i = 1; i < a.length; i++)
        expect(Date.parse(a[i]!.time) - Date.parse(a[i - 1]!.time)).toBeGreaterThanOrEqual(1000);
      // Only the newest snapshots are kept; the newest answers.
      expect(
        (db.prepare("SELECT COUNT(*) AS n FROM stream_snapshots WHERE kind = 'streams'").get() as { n: number }).n
      ).toBe(3);
      expect(store.latestStreams()?.value.find((r) => r.stream.name === 'A')?.stream.messages).toBe(79);
      expect(store.latestStream('B')?.value.stream.messages).toBe(158);

      // since filters, limit keeps the newest, points come oldest first.
      const since = store.series({ stream: 'A', sinceMs: t0 + 30_000, limit: 3 });
      expect(since.map((p) => p.messages)).toEqual([74, 76, 78]);

      // Age bound: an hour later everything sampled before is gone.
      store.prune(t0 + 40_000 + 3_600_001);
      expect(store.series({ limit: 1000 })).toEqual([]);
    } finally {
      db.close();
    }
  });
});
