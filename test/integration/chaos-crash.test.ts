/**
 * 20,000 messages in flight; the NATS server and the core (a child process running
 * `synos-cc run`) are both killed with SIGKILL mid-drain, then both come back: every message lands
 * exactly once (Nats-Msg-Id dedupe inside the stream's 2-minute duplicate window).
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { connect } from '@nats-io/transport-node';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../main/core/logger';
import { DATABASE_FILE } from '../../main/core/paths';
import { RATE_LIMIT_KEY } from '../../main/resilience/module';
import { OutboxStore } from '../../main/resilience/outbox-store';
import { openDatabase } from '../../main/store/database';
import { MIGRATIONS } from '../../main/store/migrations';
import { coreDataDir, openCoreDatabase, useCoreProcesses } from '../harness/core-process';
import { countByMsgId, outboundBatch, waitForStream } from '../harness/exactly-once';
import { startNatsServer, type NatsServerHandle } from '../harness/nats-server';
import { waitFor } from '../harness/temp';

const cores = useCoreProcesses();
let server: NatsServerHandle | null = null;

afterAll(async () => {
  await server?.stop();
});

describe('chaos: kill -9 of the server and of the core', () => {
  it('delivers 20,000 messages exactly once after both come back', async () => {
    server = await startNatsServer();
    const { path: dataDir, logFile } = coreDataDir();
    const run = randomUUID().slice(0, 8);
    const batch = outboundBatch(run, 20_000);
    const subject = `health.chaos.${run}`;

    // Another process (a `pub --outbox`) filled the outbox; a shared rate limit makes the first
    // drain last a few seconds so the kills land mid-run.
    const opened = openDatabase(path.join(dataDir, DATABASE_FILE), { migrations: MIGRATIONS, logger: silentLogger });
    new OutboxStore(opened.db).enqueue(batch);
    opened.db
      .prepare(`INSERT INTO resilience_control (key, value, updated_at) VALUES (?, '4000', 0)`)
      .run(RATE_LIMIT_KEY);
    opened.db.close();

    const db = openCoreDatabase(dataDir, { readonly: false });
    const completed = db.prepare<[string], { n: number }>(
      `SELECT count(*) AS n FROM outbox WHERE subject = ? AND status = 'completed'`
    );
    try {
      const first = cores.start({ dataDir, servers: server.url });
      await waitForStream(server.url, 'HEALTH_METRICS');
      await waitFor(() => (completed.get(subject)?.n ?? 0) >= 3000, {
        timeoutMs: 30_000,
        intervalMs: 20,
        message: '3,000 delivered'
      });

      await server.kill9();
      await new Promise((r) => setTimeout(r, 300));
      await first.kill9();
      const beforeRestart = completed.get(subject)?.n ?? 0;
      expect(beforeRestart).toBeLessThan(20_000);

      await server.restart();
      db.prepare(`DELETE FROM resilience_control WHERE key = ?`).run(RATE_LIMIT_KEY);
      const second = cores.start({ dataDir, servers: server.url });
      await waitFor(() => (completed.get(subject)?.n ?? 0) === 20_000, {
        timeoutMs: 45_000,
        intervalMs: 200,
        message: `all 20,000 delivered (log: ${logFile})`
      });
      await second.stop();
      const stuck = db
        .prepare(`SELECT count(*) AS n FROM outbox WHERE subject = ? AND status <> 'completed'`)
        .get(subject) as { n: number };
      expect(stuck.n).toBe(0);
    } finally {
      db.close();
    }

    const nc = await connect({ servers: server.url });
    try {
      const count = await countByMsgId(
        nc,
        'HEALTH_METRICS',
        subject,
        batch.map((m) => m.id)
      );
      expect(count).toMatchObject({ total: 20_000, unique: 20_000, duplicated: [], missing: [] });
    } finally {
      await nc.close();
    }
  });
});
