/**
 * Migration 2400 moves the outbox's payload and headers into `outbox_payload`. Tested on a real
 * database file written with the schema before it, holding rows of every status (pending,
 * processing under a drainer that is gone, retrying, completed, dead), then opened the way the app
 * opens it: every row keeps its status, attempts, owner and PubAck, its bytes move intact, and the
 * outbox works on the result (stats, listings, reclaim, claim, DLQ retry and discard, prune).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../main/core/logger';
import { OutboxStore } from '../../main/resilience/outbox-store';
import { openDatabase, type Database } from '../../main/store/database';
import { MIGRATIONS } from '../../main/store/migrations';
import { tempDir } from '../harness/temp';

const dirs: string[] = [];
const open: Database[] = [];
afterEach(() => {
  for (const db of open.splice(0)) db.close();
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

const BEFORE = MIGRATIONS.filter((m) => m.id !== '2400');

interface OldRow {
  id: string;
  status: 'pending' | 'processing' | 'retrying' | 'completed' | 'dead';
  headers: string | null;
  payload: Buffer;
  priority: number;
  attempts: number;
  owner?: string;
  stream?: string;
  seq?: number;
  lastError?: string;
}

const T0 = 1_700_000_000_000;

const OLD_ROWS: OldRow[] = [
  {
    id: 'p-1',
    status: 'pending',
    headers: '{"X-Epoch":"3"}',
    payload: Buffer.from('{"n":1}'),
    priority: 1,
    attempts: 0
  },
  {
    id: 'proc-1',
    status: 'processing',
    headers: null,
    // Bytes that are not UTF-8, to show the blob moves unchanged.
    payload: Buffer.from([0, 255, 1, 254, 2]),
    priority: 3,
    attempts: 1,
    owner: 'gone-host:1:deadbeef'
  },
  {
    id: 'r-1',
    status: 'retrying',
    headers: null,
    payload: Buffer.from('{"n":3}'),
    priority: 2,
    attempts: 4,
    lastError: 'TimeoutError: no PubAck'
  },
  {
    id: 'c-1',
    status: 'completed',
    headers: '{"X-Test":"c"}',
    payload: Buffer.alloc(3000, 7),
    priority: 1,
    attempts: 1,
    stream: 'HEALTH_METRICS',
    seq: 41
  },
  {
    id: 'd-1',
    status: 'dead',
    headers: null,
    payload: Buffer.from('{"n":5}'),
    priority: 1,
    attempts: 10,
    lastError: 'NoRespondersError: no stream'
  },
  {
    id: 'd-2',
    status: 'dead',
    headers: null,
    payload: Buffer.from('{"n":6}'),
    priority: 0,
    attempts: 10,
    lastError: 'NoRespondersError: no stream'
  }
];

/** A data file with the schema before 2400 and the rows above, written with the old columns. */
function oldDatabase(): string {
  const dir = tempDir('synos-outbox-migration-');
  dirs.push(dir);
  const file = path.join(dir, 'synos.db');
  const { db } = openDatabase(file, { migrations: BEFORE, logger: silentLogger });
  const insert = db.prepare(
    `INSERT INTO outbox (id, subject, headers, payload, priority, status, attempts, next_attempt_at, last_error,
       owner, stream, seq, duplicate, created_at, updated_at, completed_at)
     VALUES (?, 'health.migrate', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
  );
  // A gap in the rowids (a row deleted before the upgrade) must not shift any payload.
  db.prepare(
    `INSERT INTO outbox (id, subject, payload, priority, status, next_attempt_at, created_at, updated_at)
     VALUES ('gone', 'health.migrate', x'00', 1, 'dead', 0, 0, 0)`
  ).run();
  OLD_ROWS.forEach((r, i) => {
    insert.run(
      r.id,
      r.headers,
      r.payload,
      r.priority,
      r.status,
      r.attempts,
      T0 + i,
      r.lastError ?? null,
      r.owner ?? null,
      r.stream ?? null,
      r.seq ?? null,
      r.status === 'completed' ? 0 : null,
      T0 + i,
      T0 + i,
      r.status === 'completed' ? T0 + i : null
    );
  });
  db.prepare(`DELETE FROM outbox WHERE id = 'gone'`).run();
  db.close();
  return file;
}

describe('migration 2400: the outbox payload in a table of its own', () => {
  it('moves rows of every status with their bytes, and the outbox works on the result', () => {
    const file = oldDatabase();
    const opened = openDatabase(file, { migrations: MIGRATIONS, logger: silentLogger });
    open.push(opened.db);
    const db = opened.db;
    expect(opened.applied).toEqual(['2400']);

    const columns = (db.prepare(`PRAGMA table_info(outbox)`).all() as Array<{ name: string }>).map((c) => c.name);
    expect(columns).not.toContain('payload');
    expect(columns).not.toContain('headers');
    expect(columns).toContain('size');

    const moved = db
      .prepare(
        `SELECT o.id, o.status, o.attempts, o.owner, o.stream, o.seq, o.size, o.last_error, p.headers, p.payload
         FROM outbox AS o JOIN outbox_payload AS p ON p.rid = o.rid ORDER BY o.rid`
      )
      .all() as Array<{
      id: string;
      status: string;
      attempts: number;
      owner: string | null;
      stream: string | null;
      seq: number | null;
      size: number;
      last_error: string | null;
      headers: string | null;
      payload: Buffer;
    }>;
    expect(moved.map((r) => r.id)).toEqual(OLD_ROWS.map((r) => r.id));
    for (const [i, r] of moved.entries()) {
      const old = OLD_ROWS[i] as OldRow;
      expect(r).toMatchObject({
        status: old.status,
        attempts: old.attempts,
        owner: old.owner ?? null,
        stream: old.stream ?? null,
        seq: old.seq ?? null,
        size: old.payload.length,
        last_error: old.lastError ?? null,
        headers: old.headers
      });
      expect(Buffer.compare(r.payload, old.payload)).toBe(0);
    }
    // No payload without its row (the deleted row's bytes were not carried over).
    expect((db.prepare(`SELECT count(*) AS n FROM outbox_payload`).get() as { n: number }).n).toBe(OLD_ROWS.length);

    let now = T0 + 10_000;
    const store = new OutboxStore(db, { now: () => now, random: () => 0.5 });
    expect(store.stats().counts).toEqual({ pending: 1, processing: 1, retrying: 1, completed: 1, dead: 2 });
    expect(store.stats().oldestUndeliveredAt).toBe(T0);
    expect(store.list('completed')[0]).toMatchObject({ id: 'c-1', size: 3000, stream: 'HEALTH_METRICS', seq: 41 });
    expect(store.get('d-1')).toMatchObject({ status: 'dead', size: 7, lastError: 'NoRespondersError: no stream' });

    // The row a stopped drainer left processing is reclaimed, then every undelivered row is claimed
    // with its bytes and headers, highest priority first.
    expect(store.reclaimOrphans()).toBe(1);
    now += 1;
    const claimed = store.claim(10);
    expect(claimed.map((r) => r.id)).toEqual(['proc-1', 'r-1', 'p-1']);
    expect(Buffer.from(claimed[0]?.payload ?? []).equals(Buffer.from([0, 255, 1, 254, 2]))).toBe(true);
    expect(claimed[2]?.headers).toEqual({ 'X-Epoch': '3' });
    expect(claimed.map((r) => r.attempts)).toEqual([2, 5, 1]);
    store.settle({
      completed: claimed.map((r, i) => ({
        id: r.id,
        rowid: r.rowid,
        stream: 'HEALTH_METRICS',
        seq: 100 + i,
        duplicate: false
      })),
      failed: [],
      released: []
    });
    expect(store.stats().counts).toMatchObject({ pending: 0, processing: 0, retrying: 0, completed: 4, dead: 2 });

    // DLQ: a retried dead letter goes out with its bytes; a discarded one takes its payload along.
    expect(store.retryDead({ ids: ['d-1'] })).toBe(1);
    const retried = store.claim(10);
    expect(retried.map((r) => r.id)).toEqual(['d-1']);
    expect(new TextDecoder().decode(retried[0]?.payload)).toBe('{"n":5}');
    expect(store.discardDead({ ids: ['d-2'] })).toBe(1);
    const payloadOf = db.prepare<[string], { n: number }>(
      `SELECT count(*) AS n FROM outbox_payload WHERE rid = (SELECT rid FROM outbox WHERE id = ?)`
    );
    expect((db.prepare(`SELECT count(*) AS n FROM outbox_payload`).get() as { n: number }).n).toBe(5);

    // Prune removes completed rows and their payloads together.
    expect(store.prune({ maxAgeMs: 60_000, maxCount: 1 })).toBe(3);
    expect(store.stats().counts.completed).toBe(1);
    expect((db.prepare(`SELECT count(*) AS n FROM outbox_payload`).get() as { n: number }).n).toBe(2);
    expect(payloadOf.get('d-1')?.n).toBe(1);
  });

  it('keeps new rows apart from old ones: ids added after the upgrade get their own payload rows', () => {
    const file = oldDatabase();
    const opened = openDatabase(file, { migrations: MIGRATIONS, logger: silentLogger });
    open.push(opened.db);
    const store = new OutboxStore(opened.db);
    const enc = new TextEncoder();
    // An id that is already there is ignored, its payload too; the new one lands next to the old rows.
    expect(
      store.enqueue([
        { id: 'p-1', subject: 'health.migrate', payload: enc.encode('changed'), priority: 'normal' },
        { id: 'n-1', subject: 'health.migrate', payload: enc.encode('{"new":true}'), priority: 'critical' }
      ])
    ).toBe(1);
    const claimed = store.claim(10);
    expect(claimed.map((r) => [r.id, new TextDecoder().decode(r.payload)])).toEqual([
      ['n-1', '{"new":true}'],
      ['r-1', '{"n":3}'],
      ['p-1', '{"n":1}']
    ]);
  });
});
