import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../main/core/logger';
import type { OutboundMessage } from '../../main/core/outbound';
import { OutboxPublisher } from '../../main/resilience/outbox-publisher';
import { OutboxStore, backoffDelayMs, DEFAULT_RETRY_POLICY } from '../../main/resilience/outbox-store';
import { migrate, type Database } from '../../main/store/database';
import { MIGRATIONS } from '../../main/store/migrations';

const dbs: Database[] = [];
function openDb(): Database {
  const db = new BetterSqlite3(':memory:');
  migrate(db, MIGRATIONS, silentLogger);
  dbs.push(db);
  return db;
}
afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
});

function msg(id: string, priority: OutboundMessage['priority'] = 'normal', subject = 'health.test'): OutboundMessage {
  return { id, subject, payload: new TextEncoder().encode(`{"n":"${id}"}`), priority, headers: { 'X-Test': id } };
}

describe('backoffDelayMs', () => {
  it('starts at 0.5 s, doubles, caps at 60 s and jitters by ±20 %', () => {
    const mid = () => 0.5;
    expect(backoffDelayMs(1, DEFAULT_RETRY_POLICY, mid)).toBe(500);
    expect(backoffDelayMs(2, DEFAULT_RETRY_POLICY, mid)).toBe(1000);
    expect(backoffDelayMs(5, DEFAULT_RETRY_POLICY, mid)).toBe(8000);
    expect(backoffDelayMs(9, DEFAULT_RETRY_POLICY, mid)).toBe(60_000);
    expect(backoffDelayMs(1, DEFAULT_RETRY_POLICY, () => 0)).toBe(400);
    expect(backoffDelayMs(1, DEFAULT_RETRY_POLICY, () => 1)).toBe(600);
    expect(backoffDelayMs(20, DEFAULT_RETRY_POLICY, () => 1)).toBe(60_000);
  });
});

describe('OutboxStore', () => {
  it('stores each id once and claims the highest priority first', () => {
    const store = new OutboxStore(openDb());
    expect(store.enqueue([msg('a', 'low'), msg('b', 'normal'), msg('c', 'critical'), msg('d', 'high')])).toBe(4);
    expect(store.enqueue([msg('a', 'low')])).toBe(0);
    const claimed = store.claim(10);
    expect(claimed.map((r) => r.id)).toEqual(['c', 'd', 'b', 'a']);
    expect(claimed[0]?.headers).toEqual({ 'X-Test': 'c' });
    expect(new TextDecoder().decode(claimed[0]?.payload)).toBe('{"n":"c"}');
    expect(claimed.every((r) => r.attempts === 1)).toBe(true);
    expect(store.claim(10)).toEqual([]);
    expect(store.stats().counts).toMatchObject({ processing: 4, pending: 0 });
  });

  it('completes with the PubAck, retries with back-off and dies after 10 attempts', () => {
    let now = 1_000_000;
    const store = new OutboxStore(openDb(), { now: () => now, random: () => 0.5 });
    store.enqueue([msg('ok'), msg('bad')]);
    store.claim(2);
    store.settle({
      completed: [{ id: 'ok', stream: 'HEALTH_METRICS', seq: 7, duplicate: false }],
      failed: [{ id: 'bad', error: 'timeout' }],
      released: []
    });
    expect(store.get('ok')).toMatchObject({ status: 'completed', stream: 'HEALTH_METRICS', seq: 7, duplicate: false });
    expect(store.get('bad')).toMatchObject({
      status: 'retrying',
      attempts: 1,
      nextAttemptAt: now + 500,
      lastError: 'timeout'
    });
    expect(store.claim(1)).toEqual([]);
    for (let attempt = 2; attempt <= 10; attempt++) {
      now += 60_000;
      const [row] = store.claim(1);
      expect(row?.attempts).toBe(attempt);
      store.fail([{ id: 'bad', error: `failure ${attempt}` }]);
    }
    expect(store.get('bad')).toMatchObject({ status: 'dead', attempts: 10, lastError: 'failure 10' });
    expect(store.list('dead').map((e) => e.id)).toEqual(['bad']);
    expect(store.retryDead({ ids: ['bad'] })).toBe(1);
    expect(store.get('bad')).toMatchObject({ status: 'pending', attempts: 0 });
    store.claim(1);
    store.fail([{ id: 'bad', error: 'again' }]);
    expect(store.get('bad')?.status).toBe('retrying');
  });

  it('writes rows in multi-row chunks: known and repeated ids once, each PubAck on its own row', () => {
    const store = new OutboxStore(openDb());
    store.enqueue([msg('known-1')]);
    // 70 messages = two full chunks of 32 and 6 single inserts; one id already stored, one repeated
    // inside the first chunk, one repeated across chunks.
    const batch = Array.from({ length: 70 }, (_, i) => msg(`m-${i}`, i % 2 ? 'high' : 'normal'));
    batch[3] = { ...msg('known-1'), payload: new TextEncoder().encode('not stored: the id is known') };
    batch[9] = msg('m-5');
    batch[40] = msg('m-6');
    expect(store.enqueue(batch)).toBe(70 - 3);
    store.enqueue([msg('later', 'low')]);
    // Claimed highest priority first: 'later' (low) stays pending behind the 68 others.
    const rows = store.claim(68);
    const ids = rows.map((r) => r.id);
    expect(ids).not.toContain('later');
    expect(ids.filter((id) => id === 'm-5')).toHaveLength(1);
    expect(ids.filter((id) => id === 'm-6')).toHaveLength(1);
    expect(new Set(ids).size).toBe(68);
    expect(rows.every((r) => typeof r.rowid === 'number' && r.attempts === 1)).toBe(true);
    expect(store.get('later')?.status).toBe('pending');
    expect(store.stats().counts).toMatchObject({ processing: 68, pending: 1 });
    // Each row comes back with its own bytes and headers (they live in outbox_payload, matched by
    // the key the insert returned, also in the chunks where ids were skipped).
    for (const r of rows) {
      expect(new TextDecoder().decode(r.payload)).toBe(`{"n":"${r.id}"}`);
      expect(r.headers).toEqual({ 'X-Test': r.id });
    }

    // 68 receipts: two chunked updates of 32 and 4 single ones; one without a rowid.
    const receipts = rows.map((r, i) => ({ id: r.id, rowid: r.rowid, stream: 'S', seq: 1000 + i, duplicate: i === 5 }));
    delete (receipts[67] as { rowid?: number }).rowid;
    store.complete(receipts);
    expect(store.stats().counts).toMatchObject({ processing: 0, completed: 68, pending: 1 });
    rows.forEach((r, i) =>
      expect(store.get(r.id)).toMatchObject({ status: 'completed', stream: 'S', seq: 1000 + i, duplicate: i === 5 })
    );
    // A receipt whose rowid does not belong to its id changes nothing.
    store.complete([{ id: 'later', rowid: rows[0]!.rowid!, stream: 'X', seq: 1, duplicate: false }]);
    expect(store.get('later')?.status).toBe('pending');
    expect(store.get(rows[0]!.id)).toMatchObject({ stream: 'S', seq: 1000 });
  });

  it('counts every status from its index and finds the oldest undelivered row', () => {
    let now = 5_000_000;
    const store = new OutboxStore(openDb(), { now: () => now, random: () => 0.5 });
    expect(store.stats()).toEqual({
      counts: { pending: 0, processing: 0, retrying: 0, completed: 0, dead: 0 },
      oldestUndeliveredAt: null
    });
    store.enqueue([msg('done-1'), msg('done-2')]); // created at 5,000,000: delivered below
    now += 1000;
    store.enqueue([msg('held')]); // 5,001,000: stays processing
    now += 1000;
    store.enqueue([msg('flaky'), msg('waiting-1'), msg('waiting-2')]); // 5,002,000
    const claimed = store.claim(4).map((r) => r.id);
    expect(claimed).toEqual(['done-1', 'done-2', 'held', 'flaky']);
    store.complete([
      { id: 'done-2', stream: 'S', seq: 2, duplicate: false },
      { id: 'done-1', stream: 'S', seq: 1, duplicate: false }
    ]);
    store.fail([{ id: 'flaky', error: 'timeout' }]);
    expect(store.stats()).toEqual({
      counts: { pending: 2, processing: 1, retrying: 1, completed: 2, dead: 0 },
      oldestUndeliveredAt: 5_001_000
    });
    now += 10;
    store.complete([{ id: 'held', stream: 'S', seq: 3, duplicate: false }]);
    expect(store.stats().oldestUndeliveredAt).toBe(5_002_000);
    // Newest completion first.
    expect(store.list('completed').map((e) => e.id)).toEqual(['held', 'done-1', 'done-2']);
  });

  it('releases claimed rows without counting the attempt', () => {
    const store = new OutboxStore(openDb());
    store.enqueue([msg('x')]);
    store.claim(1);
    store.release(['x']);
    expect(store.get('x')).toMatchObject({ status: 'pending', attempts: 0 });
  });

  it('reclaims rows of a drainer that stopped, but not those of a live one', () => {
    let now = 5_000_000;
    const db = openDb();
    const crashed = new OutboxStore(db, { owner: 'host:999999999:dead', now: () => now, leaseMs: 15_000 });
    const live = new OutboxStore(db, { owner: 'other-host:1:live', now: () => now, leaseMs: 15_000 });
    crashed.enqueue([msg('m1'), msg('m2')]);
    crashed.heartbeat();
    live.heartbeat();
    expect(crashed.claim(1).map((r) => r.id)).toEqual(['m1']);
    expect(live.claim(1).map((r) => r.id)).toEqual(['m2']);
    now += 20_000; // the crashed drainer's heartbeat is now stale
    live.heartbeat();
    const restarted = new OutboxStore(db, { owner: 'host:2:new', now: () => now, leaseMs: 15_000 });
    expect(restarted.reclaimOrphans()).toBe(1);
    expect(restarted.get('m1')).toMatchObject({ status: 'retrying' });
    expect(restarted.get('m2')).toMatchObject({ status: 'processing' });
    expect(restarted.claim(5).map((r) => r.id)).toEqual(['m1']);
  });

  it('makes a row whose payload row is missing a dead letter that says so, instead of publishing nothing', () => {
    const db = openDb();
    const store = new OutboxStore(db);
    store.enqueue([msg('whole'), msg('damaged')]);
    db.prepare(`DELETE FROM outbox_payload WHERE rid = (SELECT rid FROM outbox WHERE id = 'damaged')`).run();
    expect(store.claim(10).map((r) => r.id)).toEqual(['whole']);
    expect(store.get('damaged')).toMatchObject({
      status: 'dead',
      lastError: expect.stringContaining('outbox_payload')
    });
  });

  it('discards dead letters and prunes completed rows by age and count', () => {
    let now = 10_000_000;
    const db = openDb();
    const store = new OutboxStore(db, { now: () => now, retry: { ...DEFAULT_RETRY_POLICY, maxAttempts: 1 } });
    store.enqueue([msg('d1'), msg('d2'), msg('c1'), msg('c2'), msg('c3')]);
    store.claim(5);
    store.settle({
      completed: ['c1', 'c2', 'c3'].map((id, i) => ({ id, stream: 'S', seq: i + 1, duplicate: false })),
      failed: [
        { id: 'd1', error: 'x' },
        { id: 'd2', error: 'y' }
      ],
      released: []
    });
    expect(store.stats().counts).toMatchObject({ completed: 3, dead: 2 });
    expect(store.discardDead({ all: true })).toBe(2);
    now += 1000;
    expect(store.prune({ maxAgeMs: 60_000, maxCount: 2 })).toBe(1);
    now += 120_000;
    expect(store.prune({ maxAgeMs: 60_000, maxCount: 2 })).toBe(2);
    expect(store.stats().counts.completed).toBe(0);
    // The payloads went with their rows.
    expect((db.prepare('SELECT count(*) AS n FROM outbox_payload').get() as { n: number }).n).toBe(0);
  });
});

describe('OutboxPublisher', () => {
  it('group-commits messages handed over together and resolves after the commit', async () => {
    const store = new OutboxStore(openDb());
    const commits: number[] = [];
    const publisher = new OutboxPublisher(store, { maxDelayMs: 5, onCommitted: (n) => commits.push(n) });
    await Promise.all([
      publisher.publish(msg('1')),
      publisher.publish(msg('2')),
      publisher.publishMany([msg('3'), msg('4')])
    ]);
    expect(commits).toEqual([4]);
    expect(store.stats().counts.pending).toBe(4);
  });

  it('rejects a bad message alone', async () => {
    const store = new OutboxStore(openDb());
    const publisher = new OutboxPublisher(store);
    await expect(publisher.publish({ ...msg('w'), subject: 'a.*' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(publisher.publish({ ...msg(''), id: '' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await publisher.publish(msg('fine'));
    expect(store.stats().counts.pending).toBe(1);
    publisher.close();
    await expect(publisher.publish(msg('late'))).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });

  it("writes inside the caller's transaction: the rows commit or roll back with it, the drain is woken only after a commit", () => {
    const db = openDb();
    const store = new OutboxStore(db);
    const woken: number[] = [];
    const publisher = new OutboxPublisher(store, { onCommitted: (n) => woken.push(n) });
    const tx = db.transaction((fail: boolean) => {
      const after = publisher.writeInTransaction(Array.from({ length: 40 }, (_, i) => msg(`t-${fail}-${i}`)));
      if (fail) throw new Error('the caller rolls back');
      return after;
    });
    expect(() => tx(true)).toThrow('the caller rolls back');
    expect(store.stats().counts.pending).toBe(0);
    expect(woken).toEqual([]);
    tx(false)();
    expect(store.stats().counts.pending).toBe(40);
    expect(woken).toEqual([40]);
  });
});
