/**
 * SnapshotStore: the offline memory of the streams view. Each refresh (and the periodic sampler)
 * stores what the server said about streams, consumers and the account, with its time, plus
 * sampled series (stream messages/bytes, consumer pending/ack-pending) for sparklines. While
 * disconnected the same procedures answer from here, marked as cached. Retention is bounded by
 * count and by age so the database never grows without limit.
 */
import type { ConsumerSummary, SeriesPoint } from '../../contract';
import type { Database } from '../../store/database';
import type { Migration } from '../../store/database';
import type { AccountRecord, StreamRecord } from './inspector';

/** Schema of the snapshot cache (ids 0150–0199 belong to this area). */
export const SNAPSHOT_MIGRATIONS: readonly Migration[] = [
  {
    id: '0150',
    description: 'stream/consumer/account snapshots and sampled series for the offline view',
    sql: `CREATE TABLE stream_snapshots (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            kind TEXT NOT NULL,
            scope TEXT NOT NULL,
            time_ms INTEGER NOT NULL,
            body TEXT NOT NULL
          );
          CREATE INDEX stream_snapshots_key ON stream_snapshots (kind, scope, time_ms);
          CREATE TABLE stream_series (
            time_ms INTEGER NOT NULL,
            stream TEXT NOT NULL,
            consumer TEXT NOT NULL DEFAULT '',
            messages INTEGER,
            bytes INTEGER,
            pending INTEGER,
            ack_pending INTEGER
          );
          CREATE INDEX stream_series_key ON stream_series (stream, consumer, time_ms);
          CREATE INDEX stream_series_time ON stream_series (time_ms);`
  }
];

export interface SnapshotRetention {
  /** Snapshots kept per kind and scope (the newest answers offline; a few more for history). */
  snapshotsPerKey: number;
  snapshotMaxAgeMs: number;
  seriesMaxAgeMs: number;
  seriesMaxRows: number;
  /** Minimum spacing of series points per stream/consumer, so frequent refreshes stay even. */
  seriesMinIntervalMs: number;
}

export const DEFAULT_RETENTION: SnapshotRetention = {
  snapshotsPerKey: 5,
  snapshotMaxAgeMs: 30 * 24 * 3_600_000,
  seriesMaxAgeMs: 24 * 3_600_000,
  seriesMaxRows: 250_000,
  seriesMinIntervalMs: 5_000
};

export interface Snapshot<T> {
  time: string;
  value: T;
}

export interface ServerSnapshot extends AccountRecord {
  server: unknown;
}

type Kind = 'streams' | 'stream' | 'consumers' | 'account';

interface SnapshotRow {
  time_ms: number;
  body: string;
}

interface SeriesRow {
  time_ms: number;
  stream: string;
  consumer: string;
  messages: number | null;
  bytes: number | null;
  pending: number | null;
  ack_pending: number | null;
}

export interface SeriesQuery {
  stream?: string | undefined;
  consumer?: string | undefined;
  sinceMs?: number | undefined;
  limit: number;
}

export class SnapshotStore {
  private readonly retention: SnapshotRetention;
  private readonly lastPoint = new Map<string, number>();
  private readonly insertSnapshot;
  private readonly latest;
  private readonly trimKey;
  private readonly trimOld;
  private readonly insertPoint;
  private readonly trimSeriesAge;
  private readonly countSeries;
  private readonly trimSeriesCount;
  private readonly seriesAll;
  private readonly seriesByStream;
  private readonly seriesByConsumer;
  private readonly seriesByConsumerName;
  private writesSincePrune = 0;

  constructor(
    private readonly db: Database,
    retention: Partial<SnapshotRetention> = {}
  ) {
    this.retention = { ...DEFAULT_RETENTION, ...retention };
    this.insertSnapshot = db.prepare('INSERT INTO stream_snapshots (kind, scope, time_ms, body) VALUES (?, ?, ?, ?)');
    this.latest = db.prepare<[string, string], SnapshotRow>(
      'SELECT time_ms, body FROM stream_snapshots WHERE kind = ? AND scope = ? ORDER BY time_ms DESC, id DESC LIMIT 1'
    );
    this.trimKey = db.prepare(
      `DELETE FROM stream_snapshots WHERE kind = ? AND scope = ? AND id NOT IN
         (SELECT id FROM stream_snapshots WHERE kind = ? AND scope = ? ORDER BY time_ms DESC, id DESC LIMIT ?)`
    );
    this.trimOld = db.prepare('DELETE FROM stream_snapshots WHERE time_ms < ?');
    this.insertPoint = db.prepare(
      'INSERT INTO stream_series (time_ms, stream, consumer, messages, bytes, pending, ack_pending) VALUES (?, ?, ?, ?, ?, ?, ?)'
    );
    this.trimSeriesAge = db.prepare('DELETE FROM stream_series WHERE time_ms < ?');
    this.countSeries = db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM stream_series');
    this.trimSeriesCount = db.prepare(
      'DELETE FROM stream_series WHERE rowid IN (SELECT rowid FROM stream_series ORDER BY time_ms ASC LIMIT ?)'
    );
    const cols = 'time_ms, stream, consumer, messages, bytes, pending, ack_pending';
    // Newest `limit` points (then reversed to oldest first) so a long history is cut at its old end.
    this.seriesAll = db.prepare<[number, number], SeriesRow>(
      `SELECT ${cols} FROM stream_series WHERE consumer = '' AND time_ms >= ? ORDER BY time_ms DESC LIMIT ?`
    );
    this.seriesByStream = db.prepare<[string, number, number], SeriesRow>(
      `SELECT ${cols} FROM stream_series WHERE stream = ? AND consumer = '' AND time_ms >= ? ORDER BY time_ms DESC LIMIT ?`
    );
    this.seriesByConsumer = db.prepare<[string, string, number, number], SeriesRow>(
      `SELECT ${cols} FROM stream_series WHERE stream = ? AND consumer = ? AND time_ms >= ? ORDER BY time_ms DESC LIMIT ?`
    );
    this.seriesByConsumerName = db.prepare<[string, number, number], SeriesRow>(
      `SELECT ${cols} FROM stream_series WHERE consumer = ? AND time_ms >= ? ORDER BY time_ms DESC LIMIT ?`
    );
  }

  private store(kind: Kind, scope: string, time: Date, value: unknown): void {
    this.insertSnapshot.run(kind, scope, time.getTime(), JSON.stringify(value));
    this.trimKey.run(kind, scope, kind, scope, this.retention.snapshotsPerKey);
  }

  private read<T>(kind: Kind, scope: string): Snapshot<T> | null {
    const row = this.latest.get(kind, scope);
    if (!row) return null;
    return { time: new Date(row.time_ms).toISOString(), value: JSON.parse(row.body) as T };
  }

  /** True when a new series point for this key is due (keeps the series evenly spaced). */
  private due(key: string, timeMs: number): boolean {
    const last = this.lastPoint.get(key);
    if (last !== undefined && timeMs - last < this.retention.seriesMinIntervalMs) return false;
    this.lastPoint.set(key, timeMs);
    return true;
  }

  /** The whole stream list at one moment, plus a series point per stream. */
  saveStreams(records: StreamRecord[], time = new Date()): void {
    const t = time.getTime();
    this.db.transaction(() => {
      this.store('streams', '', time, records);
      for (const r of records) {
        if (this.due(`s:${r.stream.name}`, t))
          this.insertPoint.run(t, r.stream.name, '', r.stream.messages, r.stream.bytes, null, null);
      }
      this.afterWrite(t);
    })();
  }

  /** One stream's detail (streams.info), kept apart from the list so a detail refresh is remembered too. */
  saveStream(record: StreamRecord, time = new Date()): void {
    this.db.transaction(() => {
      this.store('stream', record.stream.name, time, record);
      this.afterWrite(time.getTime());
    })();
  }

  /** The consumers of one stream, plus a series point per consumer. */
  saveConsumers(stream: string, consumers: ConsumerSummary[], time = new Date()): void {
    const t = time.getTime();
    this.db.transaction(() => {
      this.store('consumers', stream, time, consumers);
      for (const c of consumers) {
        if (this.due(`c:${stream}\u0000${c.name}`, t))
          this.insertPoint.run(t, stream, c.name, null, null, c.numPending, c.numAckPending);
      }
      this.afterWrite(t);
    })();
  }

  saveAccount(value: ServerSnapshot, time = new Date()): void {
    this.db.transaction(() => {
      this.store('account', '', time, value);
      this.afterWrite(time.getTime());
    })();
  }

  latestStreams(): Snapshot<StreamRecord[]> | null {
    return this.read<StreamRecord[]>('streams', '');
  }

  /** The newest knowledge of one stream: its own detail snapshot or the newest list, whichever is later. */
  latestStream(name: string): Snapshot<StreamRecord> | null {
    const own = this.read<StreamRecord>('stream', name);
    const list = this.latestStreams();
    const fromList = list?.value.find((r) => r.stream.name === name);
    const listed = fromList && list ? { time: list.time, value: fromList } : null;
    if (own && listed) return Date.parse(own.time) >= Date.parse(listed.time) ? own : listed;
    return own ?? listed;
  }

  latestConsumers(stream: string): Snapshot<ConsumerSummary[]> | null {
    return this.read<ConsumerSummary[]>('consumers', stream);
  }

  latestAccount(): Snapshot<ServerSnapshot> | null {
    return this.read<ServerSnapshot>('account', '');
  }

  /** Sampled points, oldest first: a stream's (or every stream's) series, or one consumer's. */
  series(query: SeriesQuery): SeriesPoint[] {
    const since = query.sinceMs ?? 0;
    let rows: SeriesRow[];
    if (query.consumer !== undefined && query.stream !== undefined) {
      rows = this.seriesByConsumer.all(query.stream, query.consumer, since, query.limit);
    } else if (query.consumer !== undefined) {
      rows = this.seriesByConsumerName.all(query.consumer, since, query.limit);
    } else if (query.stream !== undefined) {
      rows = this.seriesByStream.all(query.stream, since, query.limit);
    } else {
      rows = this.seriesAll.all(since, query.limit);
    }
    return rows.reverse().map((r) => ({
      time: new Date(r.time_ms).toISOString(),
      stream: r.stream,
      consumer: r.consumer === '' ? null : r.consumer,
      messages: r.messages,
      bytes: r.bytes,
      pending: r.pending,
      ackPending: r.ack_pending
    }));
  }

  /** Applies the age and count bounds now (also done every few writes). */
  prune(nowMs = Date.now()): void {
    this.trimOld.run(nowMs - this.retention.snapshotMaxAgeMs);
    this.trimSeriesAge.run(nowMs - this.retention.seriesMaxAgeMs);
    const { n } = this.countSeries.get() ?? { n: 0 };
    if (n > this.retention.seriesMaxRows) this.trimSeriesCount.run(n - this.retention.seriesMaxRows);
  }

  private afterWrite(nowMs: number): void {
    // Counting rows is cheap but not free; every 20 writes keeps the bound tight enough.
    if (++this.writesSincePrune >= 20) {
      this.writesSincePrune = 0;
      this.prune(nowMs);
    }
  }
}
