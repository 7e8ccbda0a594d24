/**
 * The offline memory of the key-value and object store views: each live listing of the buckets
 * (and of one object store's objects) is kept with its time, and answers while NATS is
 * unreachable, marked cached. A few snapshots are kept per kind and scope, none older than 30 days.
 */
import type { Database, Migration } from '../../store/database';

/** Ids 0800–0849 belong to the key-value / object store area. */
export const BUCKET_SNAPSHOT_MIGRATIONS: readonly Migration[] = [
  {
    id: '0800',
    description: 'key-value and object store snapshots for the offline views',
    sql: `CREATE TABLE bucket_snapshots (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            kind TEXT NOT NULL,
            scope TEXT NOT NULL,
            time_ms INTEGER NOT NULL,
            body TEXT NOT NULL
          );
          CREATE INDEX bucket_snapshots_key ON bucket_snapshots (kind, scope, time_ms);`
  }
];

export type BucketSnapshotKind = 'kv' | 'objects' | 'object-list';

const KEEP_PER_KEY = 3;
const MAX_AGE_MS = 30 * 24 * 3_600_000;

export interface BucketSnapshot<T> {
  time: string;
  value: T;
}

export class BucketSnapshotStore {
  private readonly insert;
  private readonly latest;
  private readonly trimKey;
  private readonly trimOld;
  private readonly dropScope;

  constructor(private readonly db: Database) {
    this.insert = db.prepare('INSERT INTO bucket_snapshots (kind, scope, time_ms, body) VALUES (?, ?, ?, ?)');
    this.latest = db.prepare<[string, string], { time_ms: number; body: string }>(
      'SELECT time_ms, body FROM bucket_snapshots WHERE kind = ? AND scope = ? ORDER BY time_ms DESC, id DESC LIMIT 1'
    );
    this.trimKey = db.prepare(
      `DELETE FROM bucket_snapshots WHERE kind = ? AND scope = ? AND id NOT IN
         (SELECT id FROM bucket_snapshots WHERE kind = ? AND scope = ? ORDER BY time_ms DESC, id DESC LIMIT ?)`
    );
    this.trimOld = db.prepare('DELETE FROM bucket_snapshots WHERE time_ms < ?');
    this.dropScope = db.prepare('DELETE FROM bucket_snapshots WHERE kind = ? AND scope = ?');
  }

  save(kind: BucketSnapshotKind, scope: string, value: unknown, time = new Date()): void {
    this.db.transaction(() => {
      this.insert.run(kind, scope, time.getTime(), JSON.stringify(value));
      this.trimKey.run(kind, scope, kind, scope, KEEP_PER_KEY);
      this.trimOld.run(time.getTime() - MAX_AGE_MS);
    })();
  }

  read<T>(kind: BucketSnapshotKind, scope: string): BucketSnapshot<T> | null {
    const row = this.latest.get(kind, scope);
    if (!row) return null;
    return { time: new Date(row.time_ms).toISOString(), value: JSON.parse(row.body) as T };
  }

  /** Forgets a deleted bucket's own snapshots. */
  forget(kind: BucketSnapshotKind, scope: string): void {
    this.dropScope.run(kind, scope);
  }
}
