/**
 * A corrupt database file at start: the core moves it aside, raises a notice, starts on a fresh
 * database, and the outbox works (messages delivered exactly once).
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { connect } from '@nats-io/transport-node';
import { afterAll, describe, expect, it } from 'vitest';
import type { Core } from '../../main/app/create-core';
import { DATABASE_FILE } from '../../main/core/paths';
import { createTestCore } from '../harness/core';
import { countByMsgId, outboundBatch } from '../harness/exactly-once';
import { startNatsServer, type NatsServerHandle } from '../harness/nats-server';
import { tempDir, waitFor } from '../harness/temp';

let server: NatsServerHandle | null = null;
let core: Core | null = null;

afterAll(async () => {
  await core?.stop();
  await server?.stop();
});

describe('chaos: corrupt database file', () => {
  it('moves the file aside, raises a notice and keeps delivering through a fresh outbox', async () => {
    server = await startNatsServer();
    const dataDir = tempDir();
    fs.writeFileSync(path.join(dataDir, DATABASE_FILE), Buffer.alloc(64 * 1024, 'this is not an SQLite database '));
    core = createTestCore({ dataDir, servers: [server.url], autoConnect: true });
    await core.start();

    const notices = await core.api.invoke('system.notices', {});
    const recovered = notices.find((n) => n.code === 'database.recovered');
    expect(recovered?.level).toBe('error');
    const info = await core.api.invoke('system.info', {});
    expect(info.databaseRecoveredFrom).toMatch(/\.corrupt-/);
    expect(fs.existsSync(info.databaseRecoveredFrom ?? '')).toBe(true);
    const stats = await core.api.invoke('outbox.stats', {});
    expect(stats.counts.dead).toBe(0);

    await waitFor(() => core?.context.nats.connection(), { message: 'core connected' });
    const store = core.app.durability.outbox;
    const publisher = core.app.durability.publisher;
    const run = randomUUID().slice(0, 8);
    const batch = outboundBatch(run, 500);
    await publisher.publishMany(batch);
    const ids = batch.map((m) => m.id);
    await waitFor(() => [...store.statusOf(ids).values()].every((s) => s === 'completed'), {
      timeoutMs: 30_000,
      message: 'delivered'
    });
    const nc = await connect({ servers: server.url });
    try {
      expect(await countByMsgId(nc, 'HEALTH_METRICS', `health.chaos.${run}`, ids)).toMatchObject({
        total: 500,
        unique: 500,
        duplicated: [],
        missing: []
      });
    } finally {
      await nc.close();
    }
  });
});
