/**
 * The one SQLite database in the data directory (better-sqlite3, WAL).
 * Opening it runs the ordered, checksummed migrations, each in its own immediate transaction,
 * so several processes on one data directory migrate safely. A file that is not a database or
 * fails the quick check is moved aside as `<name>.corrupt-<time>` and a fresh one is created.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { ContractError } from '../contract';
import type { Logger } from '../core/logger';
import { nativeBinding } from './native-binding';
import { ensurePrivateDir, PRIVATE_FILE_MODE, tightenFile, unwritableDirReason } from '../core/file-modes';

export type Database = BetterSqlite3.Database;

/** One schema step. `id` orders the steps (zero-padded, area ranges: see migrations.ts). */
export interface Migration {
  id: string;
  description: string;
  sql: string;
}

export class MigrationError extends ContractError {
  constructor(message: string, details?: unknown) {
    super('MIGRATION_CHECKSUM_MISMATCH', message, details);
  }
}

export interface OpenDatabaseOptions {
  migrations: readonly Migration[];
  logger: Logger;
  synchronous?: 'NORMAL' | 'FULL';
  /** Clock for the corrupt-file suffix (tests). */
  now?: () => Date;
}

export interface OpenedDatabase {
  db: Database;
  file: string;
  /** Where a corrupt file was moved, when that happened during this open. */
  recoveredFrom: string | null;
  applied: string[];
}

export function migrationChecksum(migration: Migration): string {
  return createHash('sha256').update(migration.id).update('\n').update(migration.sql.trim()).digest('hex');
}

const CORRUPTION_CODES = new Set(['SQLITE_NOTADB', 'SQLITE_CORRUPT', 'SQLITE_CANTOPEN_ISDIR']);

function isCorruption(error: unknown): boolean {
  const code = (error as { code?: string }).code ?? '';
  return CORRUPTION_CODES.has(code) || code.startsWith('SQLITE_CORRUPT') || code.startsWith('SQLITE_NOTADB');
}

function configure(db: Database, synchronous: 'NORMAL' | 'FULL'): void {
  db.pragma('busy_timeout = 10000');
  const mode = db.pragma('journal_mode = WAL', { simple: true });
  if (String(mode).toLowerCase() !== 'wal') {
    throw new ContractError('DATABASE', `could not switch the database to WAL mode (got ${String(mode)})`);
  }
  db.pragma(`synchronous = ${synchronous}`);
  // Checkpoint every ~16 MiB of WAL rather than every 4 MiB: the outbox rewrites the same recent
  // pages (insert, then completion), and fewer checkpoints copy each of them back fewer times.
  // The WAL is truncated back to 64 MiB at most after a checkpoint.
  db.pragma('wal_autocheckpoint = 4000');
  // Up to 32 MiB of page cache (SQLite's default is 2 MiB): the outbox's index pages stay in memory
  // under load instead of being read back from the OS at every group commit.
  db.pragma('cache_size = -32768');
  db.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
  db.pragma('foreign_keys = ON');
  const check = db.pragma('quick_check(1)', { simple: true });
  if (check !== 'ok') {
    const error = new Error(`quick_check failed: ${String(check)}`) as Error & { code: string };
    error.code = 'SQLITE_CORRUPT';
    throw error;
  }
}

/** Applies every migration not yet applied, in id order; verifies checksums of applied ones. */
export function migrate(db: Database, migrations: readonly Migration[], logger: Logger): string[] {
  const sorted = [...migrations].sort((a, b) => a.id.localeCompare(b.id));
  const ids = new Set<string>();
  for (const m of sorted) {
    if (ids.has(m.id)) throw new MigrationError(`duplicate migration id ${m.id}`);
    ids.add(m.id);
  }
  db.exec(
    `CREATE TABLE IF NOT EXISTS schema_migrations (
       id TEXT PRIMARY KEY,
       checksum TEXT NOT NULL,
       description TEXT NOT NULL,
       applied_at TEXT NOT NULL
     )`
  );
  const applied: string[] = [];
  const select = db.prepare<[string], { checksum: string }>('SELECT checksum FROM schema_migrations WHERE id = ?');
  const insert = db.prepare(
    'INSERT INTO schema_migrations (id, checksum, description, applied_at) VALUES (?, ?, ?, ?)'
  );
  for (const migration of sorted) {
    const checksum = migrationChecksum(migration);
    const step = db.transaction(() => {
      const row = select.get(migration.id);
      if (row) {
        if (row.checksum !== checksum) {
          throw new MigrationError(
            `migration ${migration.id} was changed after it was applied (checksum ${row.checksum.slice(0, 12)} in the database, ${checksum.slice(0, 12)} in the code); add a new migration instead of editing an applied one`,
            { id: migration.id }
          );
        }
        return false;
      }
      db.exec(migration.sql);
      insert.run(migration.id, checksum, migration.description, new Date().toISOString());
      return true;
    });
    if (step.immediate()) {
      applied.push(migration.id);
      logger.debug('migration applied', { id: migration.id, description: migration.description });
    }
  }
  return applied;
}

function moveAside(file: string, now: Date): string {
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  const target = `${file}.corrupt-${stamp}`;
  fs.renameSync(file, target);
  for (const suffix of ['-wal', '-shm']) {
    if (fs.existsSync(file + suffix)) fs.renameSync(file + suffix, target + suffix);
  }
  return target;
}

/** Opens (creating when absent) and migrates the database; recovers from a corrupt file. */
export function openDatabase(file: string, options: OpenDatabaseOptions): OpenedDatabase {
  const synchronous = options.synchronous ?? 'NORMAL';
  const now = options.now ?? (() => new Date());
  const dir = path.dirname(file);
  ensurePrivateDir(dir, options.logger);
  // "unable to open database file" names neither the path nor the cause: say both, with the fix.
  const unwritable = unwritableDirReason(dir);
  if (unwritable) throw new ContractError('DATABASE', `cannot open database ${file}: ${unwritable}`, { file, dir });
  // Created 0600 before SQLite opens it: SQLite gives the -wal and -shm files the database's mode.
  try {
    fs.closeSync(fs.openSync(file, 'a', PRIVATE_FILE_MODE));
  } catch (error) {
    throw new ContractError('DATABASE', `cannot open database ${file}: ${(error as Error).message}`, { file });
  }
  for (const suffix of ['', '-wal', '-shm']) tightenFile(file + suffix);

  const attempt = (): { db: Database; applied: string[] } => {
    const db = new BetterSqlite3(file, { nativeBinding: nativeBinding() });
    try {
      configure(db, synchronous);
      const applied = migrate(db, options.migrations, options.logger);
      return { db, applied };
    } catch (error) {
      db.close();
      throw error;
    }
  };

  try {
    const { db, applied } = attempt();
    return { db, file, recoveredFrom: null, applied };
  } catch (error) {
    if (!isCorruption(error)) {
      if (error instanceof ContractError) throw error;
      throw new ContractError(
        'DATABASE',
        `cannot open database ${file}: ${(error as Error).message}`,
        { file },
        {
          cause: error
        }
      );
    }
    const movedTo = moveAside(file, now());
    options.logger.error('database file was corrupt; moved it aside and created a fresh one', {
      file,
      movedTo,
      reason: (error as Error).message
    });
    const { db, applied } = attempt();
    return { db, file, recoveredFrom: movedTo, applied };
  }
}
