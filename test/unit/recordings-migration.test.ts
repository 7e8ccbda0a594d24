import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../main/core/logger';
import { RecordingStore } from '../../main/recordings/store';
import { migrate } from '../../main/store/database';
import { MIGRATIONS } from '../../main/store/migrations';

describe('migration 0320: recording messages in a rowid table', () => {
  it('keeps every stored message of a database made before it', () => {
    const db = new BetterSqlite3(':memory:');
    migrate(
      db,
      MIGRATIONS.filter((m) => m.id < '0320'),
      silentLogger
    );
    const before = new RecordingStore(db);
    const r = before.create({ name: 'old', filter: '>', source: 'import' });
    before.append(
      r.id,
      Array.from({ length: 5 }, (_, i) => ({
        subject: `a.${i}`,
        headers: i === 0 ? { X: ['1'] } : null,
        payload: new Uint8Array([i, 255]),
        time: 1000 + i,
        seq: i
      }))
    );
    expect(() => db.prepare('SELECT rowid FROM recording_messages').all()).toThrow();

    expect(migrate(db, MIGRATIONS, silentLogger)).toContain('0320');
    expect(db.prepare('SELECT count(*) AS n FROM recording_messages WHERE rowid > 0').get()).toEqual({ n: 5 });
    const after = new RecordingStore(db);
    expect([...after.messages(r.id)].map((m) => [m.subject, m.seq, [...m.payload], m.headers])).toEqual([
      ['a.0', 0, [0, 255], { X: ['1'] }],
      ['a.1', 1, [1, 255], null],
      ['a.2', 2, [2, 255], null],
      ['a.3', 3, [3, 255], null],
      ['a.4', 4, [4, 255], null]
    ]);
    // The key still refuses a duplicate index, and deleting the recording still removes its messages.
    expect(() =>
      db
        .prepare('INSERT INTO recording_messages (recording_id, idx, subject, payload, time) VALUES (?, 1, ?, ?, 0)')
        .run(r.id, 'x', Buffer.alloc(0))
    ).toThrow(/UNIQUE/);
    db.pragma('foreign_keys = ON');
    after.delete(r.id);
    expect(db.prepare('SELECT count(*) AS n FROM recording_messages').get()).toEqual({ n: 0 });
  });
});
