/**
 * ServerHistory: the servers' samples in SQLite, so the Servers view charts the last day and shows
 * the last picture while NATS is unreachable. One row per server per sample (bounded by age and
 * count) and the newest whole overview for the offline answer.
 */
import type { ServerSample, ServersOverview } from '../contract';
import type { Database, Migration } from '../store/database';

/** Schema of the servers area (ids 0900–0949). */
export const SERVER_MIGRATIONS: readonly Migration[] = [
  {
    id: '0900',
    description: 'sampled server statistics and the last servers overview, for charts and the offline view',
    sql: `CREATE TABLE server_samples (
            time_ms INTEGER NOT NULL,
            server_id TEXT NOT NULL,
            server_name TEXT NOT NULL,
            cpu REAL NOT NULL,
            mem INTEGER NOT NULL,
            connections INTEGER NOT NULL,
            in_msgs_rate REAL,
            out_msgs_rate REAL,
            in_bytes_rate REAL,
            out_bytes_rate REAL,
            slow_consumers INTEGER NOT NULL,
            js_storage INTEGER
          );
          CREATE INDEX server_samples_time ON server_samples (time_ms);
          CREATE INDEX server_samples_server ON server_samples (server_id, time_ms);
          CREATE TABLE server_overview (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            time_ms INTEGER NOT NULL,
            body TEXT NOT NULL
          );`
  }
];

export interface ServerHistoryRetention {
  maxAgeMs: number;
  maxRows: number;
}

export const DEFAULT_SERVER_RETENTION: ServerHistoryRetention = { maxAgeMs: 24 * 3_600_000, maxRows: 200_000 };

interface SampleRow {
  time_ms: number;
  server_id: string;
  server_name: string;
  cpu: number;
  mem: number;
  connections: number;
  in_msgs_rate: number | null;
  out_msgs_rate: number | null;
  in_bytes_rate: number | null;
  out_bytes_rate: number | null;
  slow_consumers: number;
  js_storage: number | null;
}

export class ServerHistory {
  private readonly insert;
  private readonly saveOverview;
  private readonly pruneAge;
  private readonly pruneCount;
  private readonly count;

  constructor(
    private readonly db: Database,
    private readonly retention: ServerHistoryRetention = DEFAULT_SERVER_RETENTION
  ) {
    this.insert = db.prepare(
      `INSERT INTO server_samples (time_ms, server_id, server_name, cpu, mem, connections, in_msgs_rate, out_msgs_rate,
         in_bytes_rate, out_bytes_rate, slow_consumers, js_storage)
       VALUES (@time_ms, @server_id, @server_name, @cpu, @mem, @connections, @in_msgs_rate, @out_msgs_rate,
         @in_bytes_rate, @out_bytes_rate, @slow_consumers, @js_storage)`
    );
    this.saveOverview = db.prepare(
      `INSERT INTO server_overview (id, time_ms, body) VALUES (1, ?, ?)
       ON CONFLICT(id) DO UPDATE SET time_ms = excluded.time_ms, body = excluded.body`
    );
    this.pruneAge = db.prepare('DELETE FROM server_samples WHERE time_ms < ?');
    this.count = db.prepare('SELECT COUNT(*) AS n FROM server_samples');
    this.pruneCount = db.prepare(
      'DELETE FROM server_samples WHERE time_ms <= (SELECT time_ms FROM server_samples ORDER BY time_ms DESC LIMIT 1 OFFSET ?)'
    );
  }

  /** Stores one overview (its servers as samples) in one transaction, then prunes. */
  record(overview: ServersOverview, nowMs: number): void {
    this.db.transaction(() => {
      for (const s of overview.servers) {
        this.insert.run({
          time_ms: Date.parse(s.sampledAt) || nowMs,
          server_id: s.id,
          server_name: s.name,
          cpu: s.cpuPercent,
          mem: s.memoryBytes,
          connections: s.connections,
          in_msgs_rate: s.rates?.inMsgs ?? null,
          out_msgs_rate: s.rates?.outMsgs ?? null,
          in_bytes_rate: s.rates?.inBytes ?? null,
          out_bytes_rate: s.rates?.outBytes ?? null,
          slow_consumers: s.slowConsumers,
          js_storage: s.jetstream?.storageBytes ?? null
        });
      }
      this.saveOverview.run(nowMs, JSON.stringify(overview));
      this.pruneAge.run(nowMs - this.retention.maxAgeMs);
      const { n } = this.count.get() as { n: number };
      if (n > this.retention.maxRows) this.pruneCount.run(this.retention.maxRows);
    })();
  }

  /** The newest overview kept, or null. */
  lastOverview(): { overview: ServersOverview; timeMs: number } | null {
    const row = this.db.prepare('SELECT time_ms, body FROM server_overview WHERE id = 1').get() as
      { time_ms: number; body: string } | undefined;
    if (!row) return null;
    try {
      return { overview: JSON.parse(row.body) as ServersOverview, timeMs: row.time_ms };
    } catch {
      return null;
    }
  }

  /** Samples newer than `sinceMs`, oldest first, optionally of one server. */
  samples(sinceMs: number, serverId?: string): ServerSample[] {
    const rows = (
      serverId
        ? this.db
            .prepare('SELECT * FROM server_samples WHERE time_ms >= ? AND server_id = ? ORDER BY time_ms')
            .all(sinceMs, serverId)
        : this.db.prepare('SELECT * FROM server_samples WHERE time_ms >= ? ORDER BY time_ms').all(sinceMs)
    ) as SampleRow[];
    return rows.map((r) => ({
      serverId: r.server_id,
      serverName: r.server_name,
      at: new Date(r.time_ms).toISOString(),
      cpuPercent: r.cpu,
      memoryBytes: r.mem,
      connections: r.connections,
      inMsgsPerSec: r.in_msgs_rate,
      outMsgsPerSec: r.out_msgs_rate,
      inBytesPerSec: r.in_bytes_rate,
      outBytesPerSec: r.out_bytes_rate,
      slowConsumers: r.slow_consumers,
      jsStorageBytes: r.js_storage
    }));
  }
}
