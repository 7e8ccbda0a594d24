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
import { ContractError, isDiskFullError } from '../contract';
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
  /**
   * When the disk is full and the file cannot be opened for writing, open a read-only in-memory
   * copy instead (one-shot commands that only read: outbox, alerts, recordings, bench history).
   */
  readOnlyWhenFull?: boolean;
}

export interface OpenedDatabase {
  db: Database;
  file: string;
  /** Where a corrupt file was moved, when that happened during this open. */
  recoveredFrom: string | null;
  applied: string[];
  /** Why the database is open read-only (a full disk); null when it can be written. */
  readOnly: string | null;
}

/** Free bytes for this user on the filesystem holding path; null when unknown. */
export function freeBytes(target: string): number | null {
  try {
    const st = fs.statfsSync(target);
    return Number(st.bavail) * Number(st.bsize);
  } catch {
    return null;
  }
}

/** Below this much free space an I/O error from SQLite is taken as a full disk. */
const NEARLY_FULL_BYTES = 1024 * 1024;

/** SQLite's full-disk code, or an I/O error (a -shm file it cannot size) on a disk with no room. */
function isFullDiskFailure(error: unknown, dir: string): boolean {
  if (isDiskFullError(error)) return true;
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_IOERR')) return false;
  const free = freeBytes(dir);
  return free !== null && free < NEARLY_FULL_BYTES;
}

/** The typed error for a database that cannot be written because its disk is full. */
export function diskFullError(file: string, error?: unknown): ContractError {
  const dir = path.dirname(file);
  const free = freeBytes(dir);
  return new ContractError(
    'DISK_FULL',
    `the disk holding ${dir} is full${free !== null ? ` (${Math.floor(free / 1024)} KiB free)` : ''}: the database ${file} cannot be written`,
    {
      file,
      freeBytes: free,
      hint: `Free space on that disk (df -h ${dir}) or move the data directory (--data DIR); nothing already stored is lost, and a core delivers the outbox once it can write again.`
    },
    error !== undefined ? { cause: error } : undefined
  );
}

/** Copies above this size are not made in memory: the read-only fallback refuses instead. */
const READ_ONLY_COPY_MAX_BYTES = 512 * 1024 * 1024;

/**
 * A read-only in-memory copy of the database for a full disk, where SQLite cannot even create the
 * -shm file a WAL database needs. Only when the WAL holds nothing (everything is in the main
 * file); the copy's header is switched from WAL to rollback mode, as SQLite's deserialize requires.
 */
function openReadOnlyCopy(file: string, migrations: readonly Migration[]): Database | null {
  const walSize = fs.existsSync(file + '-wal') ? fs.statSync(file + '-wal').size : 0;
  if (walSize > 0) return null;
  const size = fs.statSync(file).size;
  if (size === 0 || size > READ_ONLY_COPY_MAX_BYTES) return null;
  const bytes = fs.readFileSync(file);
  if (bytes[18] === 2 && bytes[19] === 2) {
    bytes[18] = 1;
    bytes[19] = 1;
  }
  const db = new BetterSqlite3(bytes, { nativeBinding: nativeBinding() });
  const applied = new Set(
    (db.prepare('SELECT id FROM schema_migrations').all() as Array<{ id: string }>).map((row) => row.id)
  );
  if (migrations.some((m) => !applied.has(m.id))) {
    db.close();
    return null;
  }
  db.pragma('query_only = ON');
  return db;
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
  // Statement journals, sorters and the ephemeral tables of `IN (SELECT …)` in memory: by default
  // SQLite gives each a temporary file, and the hot path's multi-row statements inside the inbound
  // transaction wrote ~4 pages per input to such files (strace: /var/tmp/etilqs_*). They are small
  // and live only for one statement.
  db.pragma('temp_store = MEMORY');
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
    if (isDiskFullError(error)) throw diskFullError(file, error);
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
    return { db, file, recoveredFrom: null, applied, readOnly: null };
  } catch (error) {
    if (isFullDiskFailure(error, dir)) {
      const copy = options.readOnlyWhenFull ? openReadOnlyCopy(file, options.migrations) : null;
      if (!copy) throw diskFullError(file, error);
      const reason = diskFullError(file).message;
      options.logger.warn('the disk is full: the database is open read-only', { file, reason });
      return { db: copy, file, recoveredFrom: null, applied: [], readOnly: reason };
    }
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
    return { db, file, recoveredFrom: movedTo, applied, readOnly: null };
  }
}
