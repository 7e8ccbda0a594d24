/**
 * Durability schema (ids 0300–0399): the outbox, the drainers that own claimed rows, the shared
 * control values (emergency switch, rate limit) and the breaker states each running core reports.
 * 2400–2449: the outbox's small row and its payload in a table of their own.
 */
import type { Migration } from '../store/database';

export const DURABILITY_MIGRATIONS: Migration[] = [
  {
    id: '0300',
    description: 'outbox of outbound messages (pending → processing → completed | retrying | dead)',
    sql: `CREATE TABLE outbox (
            id TEXT PRIMARY KEY,
            subject TEXT NOT NULL,
            headers TEXT,
            payload BLOB NOT NULL,
            priority INTEGER NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('pending', 'processing', 'retrying', 'completed', 'dead')),
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at INTEGER NOT NULL,
            last_error TEXT,
            owner TEXT,
            stream TEXT,
            seq INTEGER,
            duplicate INTEGER,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            completed_at INTEGER
          );
          CREATE INDEX outbox_due ON outbox (priority DESC, next_attempt_at)
            WHERE status IN ('pending', 'retrying');
          CREATE INDEX outbox_processing ON outbox (owner) WHERE status = 'processing';
          CREATE INDEX outbox_completed ON outbox (completed_at) WHERE status = 'completed';
          CREATE INDEX outbox_dead ON outbox (updated_at) WHERE status = 'dead';`
  },
  {
    id: '0301',
    description: 'outbox drainers (leases), resilience control values and reported breaker states',
    sql: `CREATE TABLE outbox_drainers (
            owner TEXT PRIMARY KEY,
            pid INTEGER NOT NULL,
            host TEXT NOT NULL,
            started_at INTEGER NOT NULL,
            heartbeat_at INTEGER NOT NULL
          );
          CREATE TABLE resilience_control (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            updated_at INTEGER NOT NULL
          );
          CREATE TABLE breaker_states (
            owner TEXT NOT NULL,
            operation TEXT NOT NULL,
            state TEXT NOT NULL,
            since INTEGER NOT NULL,
            failures INTEGER NOT NULL,
            opened_count INTEGER NOT NULL,
            last_error TEXT,
            updated_at INTEGER NOT NULL,
            PRIMARY KEY (owner, operation)
          );`
  },
  {
    id: '0302',
    description: 'outbox due index also covers status, so counts never scan the table',
    // With 100,000 completed rows kept, `count(*) … GROUP BY status` read the whole table (~250 ms,
    // twice a second while a window showed the outbox). Each status is now counted from its own
    // partial index; this one needs `status` to tell pending from retrying.
    sql: `DROP INDEX outbox_due;
          CREATE INDEX outbox_due ON outbox (priority DESC, next_attempt_at, status)
            WHERE status IN ('pending', 'retrying');`
  },
  {
    id: '2400',
    description: 'outbox payload and headers in a table of their own; the outbox row keeps the size',
    // Each row is written three times (insert, claim, completion) and SQLite rewrites the whole
    // record at each update: with the payload in the row, the claim and the completion rewrote its
    // bytes too. The row now holds only what changes; `outbox_payload` is written once at insert
    // and deleted with its row (trigger), so prune and DLQ discard need no change. The row key is
    // an explicit INTEGER PRIMARY KEY (`rid`, the former rowid, kept as it was): VACUUM may renumber
    // implicit rowids, never these. Rows of every status move as they are.
    sql: `CREATE TABLE outbox_payload (
            rid INTEGER PRIMARY KEY,
            headers TEXT,
            payload BLOB NOT NULL
          );
          CREATE TABLE outbox_small (
            rid INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            subject TEXT NOT NULL,
            size INTEGER NOT NULL,
            priority INTEGER NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('pending', 'processing', 'retrying', 'completed', 'dead')),
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at INTEGER NOT NULL,
            last_error TEXT,
            owner TEXT,
            stream TEXT,
            seq INTEGER,
            duplicate INTEGER,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            completed_at INTEGER
          );
          INSERT INTO outbox_payload (rid, headers, payload) SELECT rowid, headers, payload FROM outbox;
          INSERT INTO outbox_small (rid, id, subject, size, priority, status, attempts, next_attempt_at, last_error,
              owner, stream, seq, duplicate, created_at, updated_at, completed_at)
            SELECT rowid, id, subject, length(payload), priority, status, attempts, next_attempt_at, last_error,
              owner, stream, seq, duplicate, created_at, updated_at, completed_at
            FROM outbox;
          DROP TABLE outbox;
          ALTER TABLE outbox_small RENAME TO outbox;
          CREATE INDEX outbox_due ON outbox (priority DESC, next_attempt_at, status)
            WHERE status IN ('pending', 'retrying');
          CREATE INDEX outbox_processing ON outbox (owner) WHERE status = 'processing';
          CREATE INDEX outbox_completed ON outbox (completed_at) WHERE status = 'completed';
          CREATE INDEX outbox_dead ON outbox (updated_at) WHERE status = 'dead';
          CREATE TRIGGER outbox_payload_delete AFTER DELETE ON outbox BEGIN
            DELETE FROM outbox_payload WHERE rid = old.rid;
          END;`
  }
];
