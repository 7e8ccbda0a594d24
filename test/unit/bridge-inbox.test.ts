/**
 * The bridge inbox on a real SQLite file, and the ids derived from an input: the same input and
 * output kind always give the same UUIDv7-shaped id carrying the input's stream time; different
 * inputs or kinds give different ids.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InboxStore, inputDigest } from '../../main/bridge/inbox';
import { silentLogger } from '../../main/core/logger';
import { derivedMessageId, messageIdTime } from '../../main/core/message-id';
import { openDatabase } from '../../main/store/database';
import { MIGRATIONS } from '../../main/store/migrations';
import { tempDir } from '../harness/temp';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('derivedMessageId', () => {
  it('is deterministic per input and kind, UUIDv7-shaped with the input time, distinct otherwise', () => {
    const t = Date.UTC(2026, 11, 6, 17, 0);
    const a = inputDigest('consciousness_bridge_service\u0000src\u0000id-1');
    const b = inputDigest('consciousness_bridge_service\u0000src\u0000id-2');
    const id = derivedMessageId(a, t, '0\u0000consciousness.decision_made');
    expect(id).toMatch(UUID_V7);
    expect(messageIdTime(id)).toBe(t);
    expect(derivedMessageId(a, t, '0\u0000consciousness.decision_made')).toBe(id);
    const others = [
      derivedMessageId(a, t, '1\u0000consciousness.decision_made'),
      derivedMessageId(a, t, '0\u0000orchestrator.consciousness.decision'),
      derivedMessageId(b, t, '0\u0000consciousness.decision_made')
    ];
    expect(new Set([id, ...others]).size).toBe(4);
    const many = new Set<string>();
    for (let i = 0; i < 20_000; i++) many.add(derivedMessageId(inputDigest(`in-${i}`), t, 'k'));
    expect(many.size).toBe(20_000);
    // The outputs of one input as the bridge names them (index, type, subject): all distinct.
    const kinds = new Set<string>();
    for (let i = 0; i < 2000; i++)
      for (const type of ['consciousness.decision_made', 'consciousness.memory_update', 'consciousness.learning_event'])
        for (const subject of [type, `orchestrator.${type}`])
          kinds.add(derivedMessageId(a, t, `${i}\u0000${type}\u0000${subject}`));
    expect(kinds.size).toBe(2000 * 3 * 2);
  });
});

describe('InboxStore', () => {
  it('remembers committed keys and prunes only those older than the cutoff', () => {
    const { db } = openDatabase(path.join(tempDir(), 'synos.db'), { migrations: MIGRATIONS, logger: silentLogger });
    try {
      const inbox = new InboxStore(db);
      const key = (n: number) => InboxStore.key(inputDigest(`input-${n}`));
      db.transaction(() => inbox.add([key(1), key(2)], 1000))();
      db.transaction(() => inbox.add([key(3), key(1)], 2000))();
      expect(inbox.has(key(1))).toBe(true);
      expect(inbox.has(key(3))).toBe(true);
      expect(inbox.has(key(4))).toBe(false);
      expect(inbox.size()).toBe(3);
      // key 1 was first committed at 1000: a second add does not renew it (it is the same input).
      expect(inbox.pruneBefore(1500)).toBe(2);
      expect(inbox.has(key(1))).toBe(false);
      expect(inbox.has(key(3))).toBe(true);
      expect(inbox.pruneBefore(1500)).toBe(0);
      // The newest row always stays, so rowids never start again from 1 (a store on another
      // connection finds what was written after the last row it knows).
      expect(inbox.pruneBefore(5000)).toBe(0);
      expect(inbox.size()).toBe(1);
    } finally {
      db.close();
    }
  });

  it('answers exactly like the table across filter slices, rolled-back adds, prunes and a reopen', () => {
    const file = path.join(tempDir(), 'synos.db');
    const { db } = openDatabase(file, { migrations: MIGRATIONS, logger: silentLogger });
    try {
      // Slices of 64 keys, so that 1,000 keys span many of them.
      const inbox = new InboxStore(db, 64);
      const key = (n: number) => InboxStore.key(inputDigest(`input-${n}`));
      const inTable = (k: Buffer) => db.prepare('SELECT 1 FROM bridge_inbox WHERE key = ?').get(k) !== undefined;
      for (let batch = 0; batch < 10; batch++) {
        const keys = Array.from({ length: 100 }, (_, i) => key(batch * 100 + i));
        db.transaction(() => inbox.add(keys, 1000 + batch))();
      }
      expect(inbox.indexSlices()).toBeGreaterThan(10);
      // A transaction that rolls back leaves its keys out of the table: has() says so.
      expect(() =>
        db.transaction(() => {
          inbox.add([key(5000), key(5001)], 2000);
          throw new Error('roll back');
        })()
      ).toThrow('roll back');
      for (let n = 0; n < 6000; n++) expect(inbox.has(key(n))).toBe(n < 1000);
      // The first 500 rows go; the slices holding only them with them.
      const slices = inbox.indexSlices();
      expect(inbox.pruneBefore(1005)).toBe(500);
      expect(inbox.indexSlices()).toBeLessThan(slices);
      for (let n = 0; n < 1200; n++) expect(inbox.has(key(n))).toBe(inTable(key(n)));
      expect(inbox.has(key(700))).toBe(true);
      expect(inbox.has(key(300))).toBe(false);
      // A new store on the same file (a restart) knows the committed keys.
      const reopened = new InboxStore(db, 64);
      for (let n = 0; n < 1200; n++) expect(reopened.has(key(n))).toBe(n >= 500 && n < 1000);
      // Everything old pruned but the newest row, and the new keys are found.
      expect(reopened.pruneBefore(10_000)).toBe(499);
      expect(reopened.indexSlices()).toBe(1);
      db.transaction(() => reopened.add([key(7000), key(7001)], 20_000))();
      expect(reopened.has(key(7000))).toBe(true);
      expect(reopened.has(key(700))).toBe(false);
    } finally {
      db.close();
    }
  });

  it('records a key given twice in one add once, across the 32-row statements', () => {
    const { db } = openDatabase(path.join(tempDir(), 'synos.db'), { migrations: MIGRATIONS, logger: silentLogger });
    try {
      const inbox = new InboxStore(db, 64);
      const key = (n: number) => InboxStore.key(inputDigest(`input-${n}`));
      const keys = [...Array.from({ length: 40 }, (_, i) => key(i)), key(3), key(35), key(39), key(40)];
      db.transaction(() => inbox.add(keys, 1000))();
      expect(inbox.size()).toBe(41);
      for (let n = 0; n < 50; n++) expect(inbox.has(key(n))).toBe(n <= 40);
    } finally {
      db.close();
    }
  });

  it('keeps the rows (and their order) of an inbox made before the unique index went (migration 2420)', () => {
    const file = path.join(tempDir(), 'synos.db');
    const key = (n: number) => InboxStore.key(inputDigest(`input-${n}`));
    const old = openDatabase(file, { migrations: MIGRATIONS.filter((m) => m.id !== '2420'), logger: silentLogger });
    const insert = old.db.prepare('INSERT INTO bridge_inbox (key, at) VALUES (?, ?)');
    for (let n = 0; n < 100; n++) insert.run(key(n), 1000 + n);
    old.db.prepare('DELETE FROM bridge_inbox WHERE at < 1010').run();
    old.db.close();
    const { db } = openDatabase(file, { migrations: MIGRATIONS, logger: silentLogger });
    try {
      const indexes = db
        .prepare("SELECT name FROM sqlite_master WHERE tbl_name = 'bridge_inbox' AND type = 'index'")
        .all();
      expect(indexes).toEqual([]);
      const rows = db.prepare('SELECT rowid AS r, at FROM bridge_inbox ORDER BY rowid').all() as Array<{
        r: number;
        at: number;
      }>;
      expect(rows).toHaveLength(90);
      expect(rows.every((row) => row.r === row.at - 999)).toBe(true);
      const inbox = new InboxStore(db);
      for (let n = 0; n < 110; n++) expect(inbox.has(key(n))).toBe(n >= 10 && n < 100);
      expect(inbox.pruneBefore(1050)).toBe(40);
      expect(inbox.has(key(49))).toBe(false);
      expect(inbox.has(key(50))).toBe(true);
    } finally {
      db.close();
    }
  });

  it('addNew records keys the caller checked, found like any other', () => {
    const { db } = openDatabase(path.join(tempDir(), 'synos.db'), { migrations: MIGRATIONS, logger: silentLogger });
    try {
      const inbox = new InboxStore(db, 64);
      const key = (n: number) => InboxStore.key(inputDigest(`input-${n}`));
      db.transaction(() =>
        inbox.addNew(
          Array.from({ length: 200 }, (_, i) => key(i)),
          1000
        )
      )();
      db.transaction(() => inbox.add([key(5), key(300)], 2000))();
      expect(inbox.size()).toBe(201);
      for (let n = 0; n < 400; n++) expect(inbox.has(key(n))).toBe(n < 200 || n === 300);
    } finally {
      db.close();
    }
  });

  it('finds keys whose rowids lie further apart than 2^31', () => {
    const { db } = openDatabase(path.join(tempDir(), 'synos.db'), { migrations: MIGRATIONS, logger: silentLogger });
    try {
      const inbox = new InboxStore(db, 64);
      const key = (n: number) => InboxStore.key(inputDigest(`input-${n}`));
      db.transaction(() => inbox.add([key(1), key(2)], 1000))();
      // A far rowid, as if the table had been written for a very long time.
      db.prepare('INSERT INTO bridge_inbox (rowid, key, at) VALUES (?, ?, ?)').run(2 ** 40, key(3), 1001);
      db.transaction(() => inbox.add([key(4), key(5)], 1002))();
      expect(inbox.indexSlices()).toBe(2);
      // Key 3 was written by another writer (plain SQL): found too, by the catch-up after the last row known.
      expect([1, 2, 3, 4, 5, 6].map((n) => inbox.has(key(n)))).toEqual([true, true, true, true, true, false]);
      expect(new InboxStore(db, 64).has(key(3))).toBe(true);
    } finally {
      db.close();
    }
  });

  it('finds keys another connection committed (the standby taking over), also after its own write rolled back', () => {
    const file = path.join(tempDir(), 'synos.db');
    const a = openDatabase(file, { migrations: MIGRATIONS, logger: silentLogger }).db;
    const b = openDatabase(file, { migrations: [], logger: silentLogger }).db;
    try {
      const key = (n: number) => InboxStore.key(inputDigest(`input-${n}`));
      const leader = new InboxStore(a, 64);
      const standby = new InboxStore(b, 64);
      // The leader commits inputs after the standby built its index.
      db2(a, () => leader.addNew([key(1), key(2)], 1000), leader);
      expect(standby.has(key(1))).toBe(true);
      expect(standby.has(key(2))).toBe(true);
      expect(standby.has(key(3))).toBe(false);
      // The standby's own write rolls back; the leader then commits on the rowids it would have had.
      expect(() =>
        b.transaction(() => {
          standby.addNew([key(50), key(51)], 2000);
          throw new Error('roll back');
        })()
      ).toThrow('roll back');
      db2(a, () => leader.addNew([key(3), key(4)], 2001), leader);
      expect([50, 51, 3, 4].map((n) => standby.has(key(n)))).toEqual([false, false, true, true]);
      // Writes from both sides, each transaction told how it ended or not (a plain db.transaction):
      // every committed key is found from either side.
      for (let round = 0; round < 20; round++) {
        db2(a, () => leader.addNew([key(100 + round * 2)], 3000), leader);
        b.transaction(() => standby.addNew([key(101 + round * 2)], 3000))();
      }
      for (let n = 100; n < 140; n++) {
        expect(leader.has(key(n))).toBe(true);
        expect(standby.has(key(n))).toBe(true);
      }
      expect(leader.has(key(140))).toBe(false);
    } finally {
      b.close();
      a.close();
    }
  });
});

/** Runs a write in an immediate transaction of `db` and tells the store it committed (as the bridge does). */
function db2(db: ReturnType<typeof openDatabase>['db'], write: () => void, store: InboxStore): void {
  db.transaction(write).immediate();
  store.committed();
}
