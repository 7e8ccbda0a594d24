/**
 * What the bridge keeps for the views, bounded: invalid messages (with their raw bytes truncated
 * and the reason) plus counts by reason that survive pruning, and security events.
 * Migrations 0210–0219 (and the inbox's 0220, see ./inbox.ts). The bridge writes a batch of rows
 * with {@link BridgeStore.write} inside the transaction that commits the inbound messages they
 * came from, before those messages are acked or terminated.
 */
import type { Database, Migration } from '../store/database';
import type { InvalidReason, SecurityEventType, Severity } from '../contract/messages';
import { INBOX_MIGRATIONS } from './inbox';

export const BRIDGE_MIGRATIONS: readonly Migration[] = [
  {
    id: '0210',
    description: 'bridge: invalid messages, counts by reason, security events',
    sql: `CREATE TABLE bridge_invalid_messages (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            received_at INTEGER NOT NULL,
            subject TEXT NOT NULL,
            stream TEXT,
            stream_seq INTEGER,
            reason TEXT NOT NULL,
            message TEXT NOT NULL,
            issues TEXT NOT NULL,
            raw BLOB NOT NULL,
            raw_size INTEGER NOT NULL
          );
          CREATE INDEX bridge_invalid_messages_reason ON bridge_invalid_messages (reason, id);
          CREATE TABLE bridge_invalid_counts (
            reason TEXT PRIMARY KEY,
            count INTEGER NOT NULL,
            last_at INTEGER NOT NULL
          );
          CREATE TABLE bridge_security_events (
            id TEXT PRIMARY KEY,
            seq INTEGER NOT NULL,
            time TEXT NOT NULL,
            received_at INTEGER NOT NULL,
            type TEXT NOT NULL,
            severity TEXT NOT NULL,
            source TEXT NOT NULL,
            target TEXT,
            summary TEXT NOT NULL,
            data TEXT NOT NULL
          );
          CREATE INDEX bridge_security_events_seq ON bridge_security_events (seq);
          CREATE INDEX bridge_security_events_type ON bridge_security_events (type, seq);`
  },
  ...INBOX_MIGRATIONS
];

export interface InvalidMessageRecord {
  id: number;
  receivedAt: number;
  subject: string;
  stream: string | null;
  streamSeq: number | null;
  reason: InvalidReason;
  message: string;
  issues: Array<{ path: string; message: string }>;
  /** The first bytes of the message (truncated to the store's limit). */
  raw: Uint8Array;
  rawSize: number;
}

export type NewInvalidMessage = Omit<InvalidMessageRecord, 'id' | 'raw'> & { raw: Uint8Array };

interface InvalidRow {
  id: number;
  received_at: number;
  subject: string;
  stream: string | null;
  stream_seq: number | null;
  reason: string;
  message: string;
  issues: string;
  raw: Buffer;
  raw_size: number;
}

export interface SecurityEventRecord {
  id: string;
  seq: number;
  time: string;
  receivedAt: number;
  type: SecurityEventType;
  severity: Severity;
  source: string;
  target: string | null;
  summary: string;
  data: unknown;
}

interface SecurityRow {
  id: string;
  seq: number;
  time: string;
  received_at: number;
  type: string;
  severity: string;
  source: string;
  target: string | null;
  summary: string;
  data: string;
}

export interface BridgeStoreOptions {
  /** Rows kept in the invalid-messages table. */
  maxInvalid: number;
  /** Raw bytes kept per invalid message. */
  rawLimit: number;
  maxSecurityEvents: number;
}

export const DEFAULT_BRIDGE_STORE_OPTIONS: BridgeStoreOptions = {
  maxInvalid: 10_000,
  rawLimit: 4096,
  maxSecurityEvents: 20_000
};

const SEVERITY_RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2, critical: 3 };

export interface SecurityQuery {
  types?: string[];
  minSeverity?: Severity;
  target?: string;
  /** Epoch ms: only events received at or after. */
  since?: number;
  limit: number;
  /** Only events older than this seq (paging backwards). */
  beforeSeq?: number;
}

/** The invalid-messages table and the security events, behind one write buffer. */
export class BridgeStore {
  private readonly options: BridgeStoreOptions;
  private securitySeq: number;
  private readonly insertInvalid;
  private readonly bumpCount;
  private readonly pruneInvalid;
  private readonly insertSecurity;
  private readonly pruneSecurity;
  private readonly selectCounts;
  private readonly flushTx;
  private writesSincePrune = 0;

  constructor(
    private readonly db: Database,
    options: Partial<BridgeStoreOptions> = {}
  ) {
    this.options = { ...DEFAULT_BRIDGE_STORE_OPTIONS, ...options };
    this.insertInvalid = db.prepare(
      `INSERT INTO bridge_invalid_messages (received_at, subject, stream, stream_seq, reason, message, issues, raw, raw_size)
       VALUES (@received_at, @subject, @stream, @stream_seq, @reason, @message, @issues, @raw, @raw_size)`
    );
    this.bumpCount = db.prepare(
      `INSERT INTO bridge_invalid_counts (reason, count, last_at) VALUES (?, ?, ?)
       ON CONFLICT (reason) DO UPDATE SET count = count + excluded.count, last_at = excluded.last_at`
    );
    this.pruneInvalid = db.prepare(
      'DELETE FROM bridge_invalid_messages WHERE id <= (SELECT MAX(id) FROM bridge_invalid_messages) - ?'
    );
    this.insertSecurity = db.prepare(
      `INSERT OR IGNORE INTO bridge_security_events (id, seq, time, received_at, type, severity, source, target, summary, data)
       VALUES (@id, @seq, @time, @received_at, @type, @severity, @source, @target, @summary, @data)`
    );
    this.pruneSecurity = db.prepare(
      'DELETE FROM bridge_security_events WHERE seq <= (SELECT MAX(seq) FROM bridge_security_events) - ?'
    );
    this.selectCounts = db.prepare<[], { reason: string; count: number; last_at: number }>(
      'SELECT * FROM bridge_invalid_counts'
    );
    const maxSeq = db.prepare<[], { s: number | null }>('SELECT MAX(seq) AS s FROM bridge_security_events').get();
    this.securitySeq = maxSeq?.s ?? 0;
    this.flushTx = db.transaction((invalid: readonly NewInvalidMessage[], security: readonly SecurityEventRecord[]) => {
      const counts = new Map<string, { n: number; at: number }>();
      for (const m of invalid) {
        const raw = m.raw.length > this.options.rawLimit ? m.raw.subarray(0, this.options.rawLimit) : m.raw;
        this.insertInvalid.run({
          received_at: m.receivedAt,
          subject: m.subject.slice(0, 1000),
          stream: m.stream,
          stream_seq: m.streamSeq,
          reason: m.reason,
          message: m.message.slice(0, 4000),
          issues: JSON.stringify(m.issues.slice(0, 50)),
          raw: Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength),
          raw_size: m.rawSize
        });
        const c = counts.get(m.reason) ?? { n: 0, at: 0 };
        c.n++;
        c.at = Math.max(c.at, m.receivedAt);
        counts.set(m.reason, c);
      }
      for (const [reason, c] of counts) this.bumpCount.run(reason, c.n, c.at);
      for (const s of security) {
        this.insertSecurity.run({
          id: s.id,
          seq: s.seq,
          time: s.time,
          received_at: s.receivedAt,
          type: s.type,
          severity: s.severity,
          source: s.source,
          target: s.target,
          summary: s.summary,
          data: JSON.stringify(s.data)
        });
      }
      this.writesSincePrune += invalid.length + security.length;
      if (this.writesSincePrune >= 500) {
        this.writesSincePrune = 0;
        this.pruneInvalid.run(this.options.maxInvalid);
        this.pruneSecurity.run(this.options.maxSecurityEvents);
      }
    });
  }

  /** Raw bytes kept per invalid message. */
  get rawLimit(): number {
    return this.options.rawLimit;
  }

  /** A security event's record with the next seq (written by {@link write}; a rolled-back seq is skipped). */
  securityRecord(event: Omit<SecurityEventRecord, 'seq'>): SecurityEventRecord {
    return { ...event, seq: ++this.securitySeq };
  }

  /**
   * Writes invalid messages (raw bytes truncated to the limit) and security events. Inside the
   * caller's transaction when there is one (the bridge's inbound commit), else in its own.
   */
  write(invalid: readonly NewInvalidMessage[], security: readonly SecurityEventRecord[]): void {
    if (invalid.length === 0 && security.length === 0) return;
    this.flushTx(invalid, security);
  }

  /** Counts by reason since the database was created (pruning does not lower them). */
  invalidCounts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const row of this.selectCounts.all()) out[row.reason] = row.count;
    return out;
  }

  listInvalid(query: { reason?: string; limit: number; beforeId?: number }): InvalidMessageRecord[] {
    const where: string[] = [];
    const params: Array<string | number> = [];
    if (query.reason) {
      where.push('reason = ?');
      params.push(query.reason);
    }
    if (query.beforeId !== undefined) {
      where.push('id < ?');
      params.push(query.beforeId);
    }
    const sql = `SELECT * FROM bridge_invalid_messages ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
    const rows = this.db.prepare<Array<string | number>, InvalidRow>(sql).all(...params, query.limit);
    return rows.map((r) => ({
      id: r.id,
      receivedAt: r.received_at,
      subject: r.subject,
      stream: r.stream,
      streamSeq: r.stream_seq,
      reason: r.reason as InvalidReason,
      message: r.message,
      issues: JSON.parse(r.issues) as Array<{ path: string; message: string }>,
      raw: new Uint8Array(r.raw),
      rawSize: r.raw_size
    }));
  }

  listSecurity(query: SecurityQuery): SecurityEventRecord[] {
    const where: string[] = [];
    const params: Array<string | number> = [];
    if (query.types && query.types.length > 0) {
      where.push(`type IN (${query.types.map(() => '?').join(', ')})`);
      params.push(...query.types);
    }
    if (query.minSeverity) {
      const allowed = (Object.keys(SEVERITY_RANK) as Severity[]).filter(
        (s) => SEVERITY_RANK[s] >= SEVERITY_RANK[query.minSeverity as Severity]
      );
      where.push(`severity IN (${allowed.map(() => '?').join(', ')})`);
      params.push(...allowed);
    }
    if (query.target) {
      where.push('target = ?');
      params.push(query.target);
    }
    if (query.since !== undefined) {
      where.push('received_at >= ?');
      params.push(query.since);
    }
    if (query.beforeSeq !== undefined) {
      where.push('seq < ?');
      params.push(query.beforeSeq);
    }
    const sql = `SELECT * FROM bridge_security_events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ?`;
    return this.db
      .prepare<Array<string | number>, SecurityRow>(sql)
      .all(...params, query.limit)
      .map((r) => ({
        id: r.id,
        seq: r.seq,
        time: r.time,
        receivedAt: r.received_at,
        type: r.type as SecurityEventType,
        severity: r.severity as Severity,
        source: r.source,
        target: r.target,
        summary: r.summary,
        data: JSON.parse(r.data) as unknown
      }));
  }

  securityCountsBySeverity(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const row of this.db
      .prepare<[], { severity: string; n: number }>(
        'SELECT severity, COUNT(*) AS n FROM bridge_security_events GROUP BY severity'
      )
      .all()) {
      out[row.severity] = row.n;
    }
    return out;
  }
}
