/**
 * Benchmark schema (ids 0500–0599): one row per finished run. The whole result is kept as JSON
 * (validated against the contract on read); the columns beside it serve listing and filtering.
 */
import type { Migration } from '../store/database';

export const BENCH_MIGRATIONS: Migration[] = [
  {
    id: '0500',
    description: 'benchmark runs with their results and environment',
    sql: `CREATE TABLE bench_runs (
            id TEXT PRIMARY KEY,
            mode TEXT NOT NULL,
            label TEXT,
            started_at TEXT NOT NULL,
            finished_at TEXT NOT NULL,
            msgs_per_sec REAL NOT NULL,
            bytes_per_sec REAL NOT NULL,
            p99_ms REAL,
            server_version TEXT NOT NULL,
            run_json TEXT NOT NULL
          );
          CREATE INDEX bench_runs_started ON bench_runs (started_at DESC);
          CREATE INDEX bench_runs_mode ON bench_runs (mode, started_at DESC);`
  }
];
