/**
 * Recordings schema (durability range 0300–0399): recordings and their messages in capture order.
 */
import type { Migration } from '../store/database';

export const RECORDING_MIGRATIONS: Migration[] = [
  {
    id: '0310',
    description: 'recordings of captured messages (live, stream range or imported)',
    sql: `CREATE TABLE recordings (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL,
            filter TEXT NOT NULL,
            source TEXT NOT NULL CHECK (source IN ('live', 'stream', 'import')),
            stream TEXT,
            start_seq INTEGER,
            end_seq INTEGER,
            status TEXT NOT NULL CHECK (status IN ('recording', 'complete', 'stopped', 'failed')),
            message_count INTEGER NOT NULL DEFAULT 0,
            bytes INTEGER NOT NULL DEFAULT 0,
            first_time INTEGER,
            last_time INTEGER,
            error TEXT,
            created_at INTEGER NOT NULL,
            stopped_at INTEGER
          );
          CREATE TABLE recording_messages (
            recording_id INTEGER NOT NULL REFERENCES recordings (id) ON DELETE CASCADE,
            idx INTEGER NOT NULL,
            subject TEXT NOT NULL,
            headers TEXT,
            payload BLOB NOT NULL,
            time INTEGER NOT NULL,
            seq INTEGER,
            PRIMARY KEY (recording_id, idx)
          ) WITHOUT ROWID;`
  }
];
