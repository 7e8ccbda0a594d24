import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../main/core/logger';
import { MigrationError, migrationChecksum, openDatabase, type Migration } from '../../main/store/database';
import { MIGRATIONS } from '../../main/store/migrations';
import { createTestCore } from '../harness/core';
import { tempDir } from '../harness/temp';

const m1: Migration = { id: '0001', description: 'a', sql: 'CREATE TABLE a (x INTEGER);' };
const m2: Migration = { id: '0002', description: 'b', sql: 'CREATE TABLE b (y INTEGER);' };

describe('database and migrations (real SQLite file)', () => {
  it('opens in WAL and applies migrations in id order, once', () => {
    const file = path.join(tempDir(), 'x.db');
    const first = openDatabase(file, { migrations: [m2, m1], logger: silentLogger });
    expect(first.applied).toEqual(['0001', '0002']);
    expect(first.db.pragma('journal_mode', { simple: true })).toBe('wal');
    first.db.close();
    const second = openDatabase(file, { migrations: [m1, m2], logger: silentLogger });
    expect(second.applied).toEqual([]);
    const rows = second.db.prepare('SELECT id, checksum FROM schema_migrations ORDER BY id').all() as Array<{
      id: string;
      checksum: string;
    }>;
    expect(rows).toEqual([
      { id: '0001', checksum: migrationChecksum(m1) },
      { id: '0002', checksum: migrationChecksum(m2) }
    ]);
    second.db.close();
  });

  it('refuses an applied migration whose text changed', () => {
    const file = path.join(tempDir(), 'x.db');
    openDatabase(file, { migrations: [m1], logger: silentLogger }).db.close();
    const edited = { ...m1, sql: 'CREATE TABLE a (x INTEGER, z TEXT);' };
    expect(() => openDatabase(file, { migrations: [edited], logger: silentLogger })).toThrow(MigrationError);
  });

  it('rolls back a failing migration completely', () => {
    const file = path.join(tempDir(), 'x.db');
    const broken: Migration = {
      id: '0003',
      description: 'broken',
      sql: 'CREATE TABLE c (x INTEGER); INSERT INTO nope VALUES (1);'
    };
    expect(() => openDatabase(file, { migrations: [m1, broken], logger: silentLogger })).toThrow();
    const db = new BetterSqlite3(file);
    const tables = (
      db.prepare("SELECT name FROM sqlite_master WHERE type='table'").all() as Array<{ name: string }>
    ).map((r) => r.name);
    expect(tables).toContain('a');
    expect(tables).not.toContain('c');
    expect(db.prepare("SELECT count(*) AS n FROM schema_migrations WHERE id='0003'").get()).toEqual({ n: 0 });
    db.close();
  });

  it('moves a corrupt file aside as <name>.corrupt-<time>, starts fresh and reports it', () => {
    const dir = tempDir();
    const file = path.join(dir, 'synos.db');
    fs.writeFileSync(file, Buffer.from('this is not a sqlite database at all '.repeat(200)));
    const opened = openDatabase(file, {
      migrations: MIGRATIONS,
      logger: silentLogger,
      now: () => new Date('2026-01-02T03:04:05.678Z')
    });
    expect(opened.recoveredFrom).toBe(`${file}.corrupt-2026-01-02T03-04-05-678Z`);
    expect(fs.readFileSync(opened.recoveredFrom!, 'utf8')).toContain('not a sqlite database');
    expect(opened.db.prepare('SELECT count(*) AS n FROM schema_migrations').get()).toEqual({ n: MIGRATIONS.length });
    opened.db.close();
  });

  it('a core started on a corrupt database keeps running and raises a notice', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'synos.db'), Buffer.alloc(8192, 0xab));
    const core = createTestCore({ dataDir: dir });
    await core.start();
    try {
      const info = await core.api.invoke('system.info', {});
      expect(info.databaseRecoveredFrom).toMatch(/synos\.db\.corrupt-/);
      const notices = await core.api.invoke('system.notices', {});
      expect(notices.map((n) => n.code)).toContain('database.recovered');
    } finally {
      await core.stop();
    }
  });

  it('two processes opening one data directory migrate safely', () => {
    const file = path.join(tempDir(), 'x.db');
    const a = openDatabase(file, { migrations: [m1], logger: silentLogger });
    const b = openDatabase(file, { migrations: [m1, m2], logger: silentLogger });
    expect(b.applied).toEqual(['0002']);
    a.db.prepare('INSERT INTO b (y) VALUES (1)').run();
    expect(b.db.prepare('SELECT count(*) AS n FROM b').get()).toEqual({ n: 1 });
    a.db.close();
    b.db.close();
  });
});
