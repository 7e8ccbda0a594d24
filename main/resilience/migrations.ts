/**
 * Durability schema (ids 0300–0399): the outbox, the drainers that own claimed rows, the shared
 * control values (emergency switch, rate limit) and the breaker states each running core reports.
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
  }
];
