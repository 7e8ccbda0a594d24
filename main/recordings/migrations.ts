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
  },
  {
    id: '0320',
    description:
      'recording messages in a rowid table: large rows in a WITHOUT ROWID table made each batch of an import stall the event loop',
    // A WITHOUT ROWID table keeps whole rows in its B-tree; with payloads of a kilobyte and more every
    // insert batch split and moved pages (200 ms for 100 rows under load, 7× a rowid table). The
    // (recording_id, idx) key stays as the primary key's index.
    sql: `CREATE TABLE recording_messages_rowid (
            recording_id INTEGER NOT NULL REFERENCES recordings (id) ON DELETE CASCADE,
            idx INTEGER NOT NULL,
            subject TEXT NOT NULL,
            headers TEXT,
            payload BLOB NOT NULL,
            time INTEGER NOT NULL,
            seq INTEGER,
            PRIMARY KEY (recording_id, idx)
          );
          INSERT INTO recording_messages_rowid (recording_id, idx, subject, headers, payload, time, seq)
            SELECT recording_id, idx, subject, headers, payload, time, seq FROM recording_messages;
          DROP TABLE recording_messages;
          ALTER TABLE recording_messages_rowid RENAME TO recording_messages;`
  }
];
