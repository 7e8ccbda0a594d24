/**
 * Whether the database can be written right now: one tiny committed write into a one-row table,
 * plus the free space on its disk. A full disk makes SQLite fail every commit (SQLITE_FULL) while
 * reads still work, so nothing else would notice until messages are lost; the alert rule
 * `database.unwritable` reads this at every evaluation.
 */
import path from 'node:path';
import type { Database, Migration } from './database';
import { freeBytes } from './database';

export const WRITE_PROBE_MIGRATIONS: Migration[] = [
  {
    id: '1000',
    description: 'one-row table the database write probe commits to',
    sql: `CREATE TABLE db_write_probe (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            at_ms INTEGER NOT NULL
          );`
  }
];

/** Below this much free space the next group commit may not fit: reported as not writable. */
export const MIN_FREE_BYTES = 64 * 1024;

export interface DatabaseWriteReading {
  writable: boolean;
  /** The probe's own write failed (as opposed to: it worked, but the disk is nearly full). */
  writeFailed: boolean;
  /** Free bytes on the database's filesystem for this user; null when unknown. */
  freeBytes: number | null;
  /** Why it cannot write (the SQLite error, or the free space); null when it can. */
  reason: string | null;
}

export function probeDatabaseWrite(
  db: Database,
  file: string,
  options: { readOnly?: string | null; now?: number } = {}
): DatabaseWriteReading {
  const free = freeBytes(path.dirname(file));
  if (options.readOnly) return { writable: false, writeFailed: true, freeBytes: free, reason: options.readOnly };
  try {
    db.prepare(
      'INSERT INTO db_write_probe (id, at_ms) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET at_ms = excluded.at_ms'
    ).run(options.now ?? Date.now());
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return {
      writable: false,
      writeFailed: true,
      freeBytes: free,
      reason: `a write to ${file} failed (${typeof code === 'string' ? code : (error as Error).message})`
    };
  }
  if (free !== null && free < MIN_FREE_BYTES) {
    return {
      writable: false,
      writeFailed: false,
      freeBytes: free,
      reason: `only ${Math.floor(free / 1024)} KiB free on the disk holding ${path.dirname(file)}`
    };
  }
  return { writable: true, writeFailed: false, freeBytes: free, reason: null };
}
