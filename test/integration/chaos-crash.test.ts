/**
 * 20,000 messages in flight; the NATS server and the core (a child process running
 * `synos-cc run`) are both killed with SIGKILL mid-drain, then both come back: every message lands
 * exactly once (Nats-Msg-Id dedupe inside the stream's 2-minute duplicate window).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { connect } from '@nats-io/transport-node';
import BetterSqlite3 from 'better-sqlite3';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../main/core/logger';
import { DATABASE_FILE } from '../../main/core/paths';
import { RATE_LIMIT_KEY } from '../../main/resilience/module';
import { OutboxStore } from '../../main/resilience/outbox-store';
import { openDatabase } from '../../main/store/database';
import { MIGRATIONS } from '../../main/store/migrations';
import { countByMsgId, outboundBatch, waitForStream } from '../harness/exactly-once';
import { startNatsServer, type NatsServerHandle } from '../harness/nats-server';
import { tempDir, waitFor } from '../harness/temp';

const ROOT = path.resolve(__dirname, '../..');
let cliFile = '';
let server: NatsServerHandle | null = null;
const children = new Set<ChildProcess>();

beforeAll(async () => {
  // A private build of the CLI, so this test never races another test's `npm run build:cli`.
  cliFile = path.join(ROOT, 'out', 'test-cli', `synos-cc-${randomUUID().slice(0, 8)}.mjs`);
  await build({
    entryPoints: [path.join(ROOT, 'main/cli/index.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outfile: cliFile,
    logLevel: 'warning'
  });
});

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await server?.stop();
  if (cliFile) fs.rmSync(cliFile, { force: true });
});

function startCore(dataDir: string, url: string, logFile: string): ChildProcess {
  const log = fs.openSync(logFile, 'a');
  const child = spawn(process.execPath, [cliFile, '--data', dataDir, '--nats', url, '--log-level', 'warn', 'run'], {
    env: { ...process.env, NATS_URL: '' },
    stdio: ['ignore', log, log]
  });
  fs.closeSync(log);
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

describe('chaos: kill -9 of the server and of the core', () => {
  it('delivers 20,000 messages exactly once after both come back', async () => {
    server = await startNatsServer();
    const dataDir = tempDir();
    const logFile = path.join(dataDir, 'core.log');
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

    const db = new BetterSqlite3(path.join(dataDir, DATABASE_FILE));
    db.pragma('busy_timeout = 10000');
    const completed = db.prepare<[string], { n: number }>(
      `SELECT count(*) AS n FROM outbox WHERE subject = ? AND status = 'completed'`
    );
    try {
      const first = startCore(dataDir, server.url, logFile);
      await waitForStream(server.url, 'HEALTH_METRICS');
      await waitFor(() => (completed.get(subject)?.n ?? 0) >= 3000, {
        timeoutMs: 30_000,
        intervalMs: 20,
        message: '3,000 delivered'
      });

      await server.kill9();
      await new Promise((r) => setTimeout(r, 300));
      first.kill('SIGKILL');
      await exited(first);
      const beforeRestart = completed.get(subject)?.n ?? 0;
      expect(beforeRestart).toBeLessThan(20_000);

      await server.restart();
      db.prepare(`DELETE FROM resilience_control WHERE key = ?`).run(RATE_LIMIT_KEY);
      const second = startCore(dataDir, server.url, logFile);
      await waitFor(() => (completed.get(subject)?.n ?? 0) === 20_000, {
        timeoutMs: 45_000,
        intervalMs: 200,
        message: `all 20,000 delivered (log: ${logFile})`
      });
      second.kill('SIGTERM');
      await exited(second);
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
