import { randomUUID } from 'node:crypto';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { connect } from '@nats-io/transport-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { createLogger, silentLogger } from '../../main/core/logger';
import type { OutboundMessage } from '../../main/core/outbound';
import { ResilienceManager } from '../../main/resilience/breakers';
import { OutboxStore, type OutboxRow } from '../../main/resilience/outbox-store';
import { ReplayManager, type ReplayManagerOptions } from '../../main/resilience/replay-manager';
import { migrate } from '../../main/store/database';
import { MIGRATIONS } from '../../main/store/migrations';
import { useServerAndCore } from '../harness/server-and-core';
import { countByMsgId } from '../harness/exactly-once';
import { startTcpProxy } from '../harness/tcp-proxy';
import { tempDir, waitFor } from '../harness/temp';

const env = useServerAndCore({ core: { autoConnect: true }, connect: false });

function messages(run: string, n: number, priority: OutboundMessage['priority'] = 'normal'): OutboundMessage[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `${run}-${i}`,
    subject: `health.outbox_it.${run}`,
    payload: new TextEncoder().encode(JSON.stringify({ i })),
    headers: { 'X-Run': run },
    priority
  }));
}

function allCompleted(store: OutboxStore, ids: string[]): boolean {
  return ids.every((id) => store.get(id)?.status === 'completed');
}

beforeAll(() => waitFor(() => env.core.context.nats.connection(), { message: 'core connected' }));

/** An outbox in an in-memory database and its drain on the test's connection, not started. */
function drainInMemory(options: Pick<ReplayManagerOptions, 'settleDelayMs' | 'maxInFlight'>) {
  const db = new BetterSqlite3(':memory:');
  migrate(db, MIGRATIONS, silentLogger);
  const store = new OutboxStore(db);
  const resilience = new ResilienceManager({ db, logger: silentLogger, owner: store.owner });
  const replay = new ReplayManager({
    store,
    resilience,
    nats: { connection: () => env.nc, onStatus: () => () => undefined },
    logger: silentLogger,
    ...options
  });
  return { db, store, replay };
}

describe('outbox publisher in the core', () => {
  it('delivers every message exactly once and stores its PubAck', async () => {
    const publisher = env.core.app.durability.publisher;
    const store = env.core.app.durability.outbox;
    const run = randomUUID().slice(0, 8);
    const batch = messages(run, 2000);
    await Promise.all(batch.map((m) => publisher.publish(m)));
    const ids = batch.map((m) => m.id);
    await waitFor(() => allCompleted(store, ids), { timeoutMs: 30_000, message: 'all rows completed' });
    const first = store.get(ids[0] ?? '');
    expect(first).toMatchObject({ status: 'completed', stream: 'HEALTH_METRICS', duplicate: false });
    expect(first?.seq).toBeGreaterThan(0);
    const count = await countByMsgId(env.nc, 'HEALTH_METRICS', `health.outbox_it.${run}`, ids);
    expect(count).toMatchObject({ total: 2000, unique: 2000, duplicated: [], missing: [] });

    // A row published again (as after a crash between PubAck and commit) is a duplicate, not a second copy.
    const again = ids.slice(0, 100);
    const db = env.core.context.db;
    const reset = db.prepare(`UPDATE outbox SET status = 'pending', next_attempt_at = 0 WHERE id = ?`);
    db.transaction(() => again.forEach((id) => reset.run(id)))();
    env.core.app.durability.replay.wake();
    await waitFor(() => again.every((id) => store.get(id)?.duplicate === true), {
      timeoutMs: 20_000,
      message: 'duplicate acks'
    });
    const after = await countByMsgId(env.nc, 'HEALTH_METRICS', `health.outbox_it.${run}`, ids);
    expect(after).toMatchObject({ total: 2000, unique: 2000, duplicated: [], missing: [] });

    const stats = await env.core.api.invoke('outbox.stats', {});
    expect(stats.counts.completed).toBeGreaterThanOrEqual(2000);
    expect(stats.duplicatesTotal).toBeGreaterThanOrEqual(100);
  });

  it('drains higher priority first', async () => {
    const store = env.core.app.durability.outbox;
    const publisher = env.core.app.durability.publisher;
    await env.core.api.invoke('resilience.emergency', { active: true, reason: 'test: hold the queue' });
    const run = randomUUID().slice(0, 8);
    const low = messages(`${run}l`, 200, 'low');
    const critical = messages(`${run}c`, 200, 'critical');
    await publisher.publishMany(low);
    await publisher.publishMany(critical);
    await env.core.api.invoke('resilience.emergency', { active: false });
    const ids = [...low, ...critical].map((m) => m.id);
    await waitFor(() => allCompleted(store, ids), { timeoutMs: 20_000, message: 'rows completed' });
    const lastCritical = Math.max(...critical.map((m) => store.get(m.id)?.seq ?? Infinity));
    const firstLow = Math.min(...low.map((m) => store.get(m.id)?.seq ?? -Infinity));
    expect(lastCritical).toBeLessThan(firstLow);
  });

  it('holds messages while the emergency switch, thrown by another process, is on', async () => {
    const publisher = env.core.app.durability.publisher;
    const store = env.core.app.durability.outbox;
    const resilience = env.core.app.durability.resilience;
    // Another process on the same data directory: its own SQLite connection.
    const otherDb = new BetterSqlite3(env.core.context.databasePath);
    otherDb.pragma('busy_timeout = 10000');
    const other = new ResilienceManager({ db: otherDb, logger: silentLogger, owner: 'cli:1:other' });
    try {
      other.setEmergency(true, 'operator test');
      await waitFor(() => resilience.isEmergency(), { timeoutMs: 5000, message: 'core sees the switch' });
      expect(resilience.list().every((b) => b.state === 'isolated')).toBe(true);
      const run = randomUUID().slice(0, 8);
      const batch = messages(run, 50);
      await publisher.publishMany(batch);
      await new Promise((r) => setTimeout(r, 1500));
      expect(batch.every((m) => store.get(m.id)?.status === 'pending' && store.get(m.id)?.attempts === 0)).toBe(true);
      const report = await env.core.api.invoke('resilience.breakers', {});
      expect(report.emergency).toMatchObject({ active: true, reason: 'operator test' });

      other.setEmergency(false);
      await waitFor(
        () =>
          allCompleted(
            store,
            batch.map((m) => m.id)
          ),
        { timeoutMs: 20_000, message: 'released rows delivered' }
      );
      expect(resilience.list().every((b) => b.state === 'closed')).toBe(true);
    } finally {
      otherDb.close();
    }
  });
});

describe('replay manager', () => {
  it('keeps PubAcks it could not write (database locked) and writes them once the lock is gone', async () => {
    const file = path.join(tempDir('synos-settle-'), 'outbox.db');
    const db = new BetterSqlite3(file);
    db.pragma('journal_mode = WAL');
    migrate(db, MIGRATIONS, silentLogger);
    db.pragma('busy_timeout = 20');
    const logger = silentLogger;
    const store = new OutboxStore(db);
    const resilience = new ResilienceManager({ db, logger, owner: store.owner });
    // PubAcks take 400 ms to come back, so the lock below is in place before any can be written.
    const proxy = await startTcpProxy({ port: env.server.port }, { latencyMs: 200 });
    const slow = await connect({ servers: proxy.url });
    const replay = new ReplayManager({
      store,
      resilience,
      nats: { connection: () => slow, onStatus: () => () => undefined },
      logger
    });
    const run = randomUUID().slice(0, 8);
    const batch = messages(run, 300);
    store.enqueue(batch);
    const other = new BetterSqlite3(file);
    let settled = 0;
    const off = replay.onSettled(({ completed }) => (settled += completed.length));
    try {
      replay.start();
      await waitFor(() => (replay.getStats().inFlight >= 300 ? true : null), { message: 'all 300 in flight' });
      // Another process holds the write lock while the PubAcks arrive.
      other.exec('BEGIN IMMEDIATE');
      await waitFor(() => (replay.getStats().deliveredTotal >= 300 ? true : null), { message: 'all PubAcks' });
      await new Promise((r) => setTimeout(r, 300));
      expect(settled).toBe(0);
      expect(store.stats().counts.processing).toBe(300);
      other.exec('COMMIT');
      await waitFor(
        () =>
          allCompleted(
            store,
            batch.map((m) => m.id)
          ),
        {
          timeoutMs: 15_000,
          message: 'every row completed after the lock went away'
        }
      );
      expect(settled).toBe(300);
      expect(store.stats().counts.processing).toBe(0);
      const count = await countByMsgId(
        env.nc,
        'HEALTH_METRICS',
        `health.outbox_it.${run}`,
        batch.map((m) => m.id)
      );
      expect(count).toMatchObject({ total: 300, unique: 300, duplicated: [], missing: [] });
    } finally {
      off();
      await replay.stop();
      await slow.close();
      await proxy.close();
      other.close();
      db.close();
    }
  });

  it('moves a message that keeps failing to the DLQ, and retries it from there', async () => {
    const db = new BetterSqlite3(':memory:');
    migrate(db, MIGRATIONS, silentLogger);
    const logger = createLogger({ level: 'error' });
    const store = new OutboxStore(db, { retry: { initialMs: 20, maxMs: 100, maxAttempts: 3, jitter: 0.2 } });
    const resilience = new ResilienceManager({ db, logger, owner: store.owner });
    const replay = new ReplayManager({
      store,
      resilience,
      nats: { connection: () => env.nc, onStatus: () => () => undefined },
      logger
    });
    replay.start();
    try {
      // No stream takes this subject: every attempt fails, without opening the publish breaker.
      store.enqueue([{ id: 'lost-1', subject: 'nostream.dlq_test', payload: new Uint8Array([1]), priority: 'normal' }]);
      replay.wake();
      await waitFor(() => store.get('lost-1')?.status === 'dead', { timeoutMs: 15_000, message: 'row dead' });
      expect(store.get('lost-1')).toMatchObject({ attempts: 3 });
      expect(store.get('lost-1')?.lastError).toMatch(/jetstream|no responders/i);
      expect(resilience.state('publish')).toBe('closed');
      expect(store.retryDead({ all: true })).toBe(1);
      expect(store.get('lost-1')?.status).toMatch(/pending|processing|retrying/);
      expect(store.discardDead({ ids: ['nope'] })).toBe(0);
    } finally {
      await replay.stop();
      db.close();
    }
  });
  it("writes fresh rows already claimed and PubAck outcomes inside the producer's transaction, acting on them once it commits; a rollback changes nothing", async () => {
    // Outcomes are written only by the producer's transactions below, not by the settle timer.
    const { db, store, replay } = drainInMemory({ settleDelayMs: 60_000 });
    const settled: string[] = [];
    const off = replay.onSettled(({ completed }) => settled.push(...completed.map((r) => r.id)));
    const run = randomUUID().slice(0, 8);
    const inTransaction = <T>(write: () => T): T => db.transaction(write)();
    // The loop writes collected outcomes whenever it next claims (its own timing: right after the
    // PubAcks free the window, or on its 1 s wake), which raced the checks below. Here the loop
    // claims only, so every outcome is written by the producer's transactions under test.
    const loop = replay as unknown as { settle: (claimLimit?: number) => OutboxRow[] };
    loop.settle = (claimLimit = 0) => (claimLimit > 0 ? store.claim(claimLimit) : []);
    replay.start();
    try {
      // Through the loop first: the drain is then connected and ready, as in a running core.
      const first = messages(`${run}a`, 5);
      store.enqueue(first);
      replay.wake();
      await waitFor(() => (replay.getStats().deliveredTotal >= 5 ? true : null), { message: 'first PubAcks' });
      expect(store.get(first[0]?.id ?? '')?.status).toBe('processing');

      const rolledBack = messages(`${run}b`, 20);
      let publishRolledBack: (() => void) | null = null;
      expect(() =>
        inTransaction(() => {
          publishRolledBack = replay.writeWithin(rolledBack);
          expect(store.get(rolledBack[0]?.id ?? '')?.status).toBe('processing');
          expect(store.get(first[0]?.id ?? '')?.status).toBe('completed');
          throw new Error('the producer rolls back');
        })
      ).toThrow('the producer rolls back');
      expect(publishRolledBack).not.toBeNull();
      expect(store.get(rolledBack[0]?.id ?? '')).toBeNull();
      expect(store.get(first[0]?.id ?? '')?.status).toBe('processing');
      expect(settled).toEqual([]);
      expect(replay.getStats().inFlight).toBe(0);

      const committed = messages(`${run}c`, 50);
      const publish = inTransaction(() => replay.writeWithin(committed));
      // Written claimed: processing under this drainer, one attempt, never pending.
      expect(committed.every((m) => store.get(m.id)?.status === 'processing')).toBe(true);
      expect(store.get(committed[0]?.id ?? '')).toMatchObject({ attempts: 1 });
      expect(db.prepare(`SELECT DISTINCT owner FROM outbox WHERE id LIKE ?`).all(`${run}c-%`)).toEqual([
        { owner: store.owner }
      ]);
      expect(
        allCompleted(
          store,
          first.map((m) => m.id)
        )
      ).toBe(true);
      publish();
      expect(settled.sort()).toEqual(first.map((m) => m.id).sort());
      // Sent at once, without a turn of the drain loop.
      expect(replay.getStats().inFlight).toBe(50);
      await waitFor(() => (replay.getStats().deliveredTotal >= 55 ? true : null), { message: 'claimed rows acked' });
      // No new rows, but outcomes to write: they go in with the next producer transaction.
      inTransaction(() => replay.writeWithin([]))();
      expect(
        allCompleted(
          store,
          committed.map((m) => m.id)
        )
      ).toBe(true);
      const count = await countByMsgId(
        env.nc,
        'HEALTH_METRICS',
        `health.outbox_it.${run}c`,
        committed.map((m) => m.id)
      );
      expect(count).toMatchObject({ total: 50, unique: 50, duplicated: [], missing: [] });
      const none = await countByMsgId(env.nc, 'HEALTH_METRICS', `health.outbox_it.${run}b`, []);
      expect(none.total).toBe(0);

      // Rows already waiting (written pending, the loop not yet round): fresh rows are written
      // pending behind them, and go out after them.
      const older = messages(`${run}d`, 10);
      const newer = messages(`${run}e`, 10);
      store.enqueue(older);
      replay.wake();
      const behind = inTransaction(() => replay.writeWithin(newer));
      expect(newer.every((m) => store.get(m.id)?.status === 'pending')).toBe(true);
      behind();
      await waitFor(() => (replay.getStats().deliveredTotal >= 75 ? true : null), { message: 'waiting rows acked' });
      inTransaction(() => replay.writeWithin([]))();
      const seqOf = (m: OutboundMessage): number => store.get(m.id)?.seq ?? Number.NaN;
      expect(Math.max(...older.map(seqOf))).toBeLessThan(Math.min(...newer.map(seqOf)));
    } finally {
      off();
      await replay.stop();
      db.close();
    }
  });

  it('writes claimed only what fits the window; the loop takes the rest, each message once', async () => {
    const { db, store, replay } = drainInMemory({ maxInFlight: 4 });
    const run = randomUUID().slice(0, 8);
    replay.start();
    try {
      const first = messages(`${run}a`, 1);
      store.enqueue(first);
      replay.wake();
      await waitFor(() => (store.get(first[0]?.id ?? '')?.status === 'completed' ? true : null), {
        message: 'first row through the loop'
      });
      // The loop has looked and found nothing more due: the table is caught up.
      await waitFor(() => (replay.getStats().inFlight === 0 ? true : null), { message: 'window empty' });
      // Eight normal, then two critical: the window's four go to the critical two and the first two normal.
      const batch = [...messages(`${run}b`, 8), ...messages(`${run}b-urgent`, 2, 'critical')].map((m) => ({
        ...m,
        subject: `health.outbox_it.${run}b`
      }));
      const publish = db.transaction(() => replay.writeWithin(batch))();
      const statuses = batch.map((m) => store.get(m.id)?.status);
      expect(statuses).toEqual([
        'processing',
        'processing',
        ...new Array(6).fill('pending'),
        'processing',
        'processing'
      ]);
      publish();
      const ids = batch.map((m) => m.id);
      await waitFor(() => allCompleted(store, ids), { timeoutMs: 20_000, message: 'all rows completed' });
      const count = await countByMsgId(env.nc, 'HEALTH_METRICS', `health.outbox_it.${run}b`, ids);
      expect(count).toMatchObject({ total: 10, unique: 10, duplicated: [], missing: [] });
    } finally {
      await replay.stop();
      db.close();
    }
  });
});
