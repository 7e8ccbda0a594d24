/**
 * The SQL of the SQLite outbox: every prepared statement OutboxStore runs, the column encodings
 * (priority stored as a rank) and the multi-row parameter layouts of the hot path. OutboxStore
 * (outbox-store.ts) composes these into transactions; nothing else should run SQL on the outbox tables.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { Database } from '../store/database';
import type { MessagePriority, OutboundMessage } from '../core/outbound';

/** Rows per multi-row statement on the hot path (7 parameters per insert row: 224 of SQLite's 32,766). */
export const CHUNK = 32;
/** Parameters of one outbox row in the insert, and of one payload row. */
const ROW_PARAMS = 7;
const PAYLOAD_PARAMS = 3;

export type OutboxStatus = 'pending' | 'processing' | 'retrying' | 'completed' | 'dead';

/** Priority is stored as a rank, so `ORDER BY priority DESC` puts critical first. */
export const PRIORITY_RANK: Record<MessagePriority, number> = { low: 0, normal: 1, high: 2, critical: 3 };
export const RANK_PRIORITY: MessagePriority[] = ['low', 'normal', 'high', 'critical'];

/** A claimed row, ready to publish. */
export interface OutboxRow {
  id: string;
  /** SQLite rowid, when known (claims and claimed inserts). */
  rowid?: number;
  subject: string;
  headers: Record<string, string> | null;
  payload: Uint8Array;
  priority: MessagePriority;
  attempts: number;
  createdAt: number;
}

export interface RawRow {
  rowid: number;
  id: string;
  subject: string;
  headers: string | null;
  /** Null only if the payload row is missing (never written by the app: a damaged or hand-edited file). */
  payload: Buffer | null;
  priority: number;
  attempts: number;
  created_at: number;
  next_attempt_at: number;
}

export interface RawEntry {
  id: string;
  subject: string;
  priority: number;
  status: OutboxStatus;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  size: number;
  created_at: number;
  updated_at: number;
  stream: string | null;
  seq: number | null;
  duplicate: number | null;
}

type Statement<P extends unknown[] = unknown[], R = unknown> = BetterSqlite3.Statement<P, R>;

/** The prepared statements of the outbox, by what they do. */
export interface OutboxStatements {
  insertPayload: Statement;
  ridsIn: Statement<[number, number], { rid: number; id: string }>;
  claimSelect: Statement<[number, number], RawRow>;
  claimMark: Statement<[string, number, string]>;
  dueCount: Statement<[number], { n: number }>;
  topDue: Statement<[number], { priority: number }>;
  nextDue: Statement<[], { t: number | null }>;
  complete: Statement;
  completeByRowid: Statement;
  attemptsOf: Statement<[string], { attempts: number; status: OutboxStatus }>;
  toRetry: Statement;
  toDead: Statement;
  release: Statement;
  heartbeat: Statement;
  drainers: Statement<[], { owner: string; pid: number; host: string; heartbeat_at: number }>;
  dropDrainer: Statement;
  orphanOwners: Statement<[], { owner: string }>;
  reclaimOwner: Statement;
  reclaimNullOwner: Statement;
  countQueued: Statement<[], { pending: number | null; retrying: number | null }>;
  countProcessing: Statement<[], { n: number }>;
  countCompleted: Statement<[], { n: number }>;
  countDead: Statement<[], { n: number }>;
  oldest: Statement<[], { t: number | null }>;
  list: Statement<[string, number, number], RawEntry>;
  listCompleted: Statement<[number, number], RawEntry>;
  getEntry: Statement<[string], RawEntry>;
  retryDead: Statement;
  retryAllDead: Statement;
  discardDead: Statement;
  discardAllDead: Statement;
  pruneAge: Statement;
  pruneCount: Statement;
  completeChunk: Statement;
}

const INSERT_COLUMNS = '(id, subject, size, priority, status, attempts, next_attempt_at, created_at, updated_at)';
const INSERT_ROW = `(?, ?, ?, ?, 'pending', 0, ?, ?, ?)`;
/** A row written already claimed: as claimMark leaves a row (`processing`, its drainer, one attempt). */
const CLAIMED_COLUMNS =
  '(id, subject, size, priority, status, attempts, next_attempt_at, created_at, updated_at, owner)';
const CLAIMED_ROW = `(?, ?, ?, ?, 'processing', 1, ?, ?, ?, ?)`;

/** The insert of `rows` small rows in one statement (a known id is skipped), pending or already claimed. */
export function prepareInsertRows(db: Database, rows: number, claimed = false): Statement {
  const columns = claimed ? CLAIMED_COLUMNS : INSERT_COLUMNS;
  const row = claimed ? CLAIMED_ROW : INSERT_ROW;
  return db.prepare(
    `INSERT INTO outbox ${columns} VALUES ${new Array(rows).fill(row).join(', ')} ON CONFLICT (id) DO NOTHING`
  );
}

/**
 * The insert of `rows` payloads in one statement. REPLACE: a payload row whose small row is gone
 * (none is left by the app; the trigger deletes them together) must not block a new row's bytes.
 */
export function prepareInsertPayloads(db: Database, rows: number): Statement {
  return db.prepare(
    `INSERT OR REPLACE INTO outbox_payload (rid, headers, payload) VALUES ${new Array(rows).fill('(?, ?, ?)').join(', ')}`
  );
}

/** Prepares every statement of the outbox once, at construction. */
export function prepareOutboxStatements(db: Database): OutboxStatements {
  return {
    // The small row and, in its own table, the bytes (written once; claim and completion rewrite
    // only the small row), under the key SQLite gives the small row (the largest + 1, so the rows of
    // one statement get consecutive keys).
    insertPayload: prepareInsertPayloads(db, 1),
    ridsIn: db.prepare<[number, number], { rid: number; id: string }>(
      `SELECT rid, id FROM outbox WHERE rid BETWEEN ? AND ?`
    ),
    claimSelect: db.prepare<[number, number], RawRow>(
      `SELECT o.rid AS rowid, o.id, o.subject, p.headers, p.payload, o.priority, o.attempts, o.created_at, o.next_attempt_at
       FROM outbox AS o LEFT JOIN outbox_payload AS p ON p.rid = o.rid
       WHERE o.status IN ('pending', 'retrying') AND o.next_attempt_at <= ?
       ORDER BY o.priority DESC, o.next_attempt_at
       LIMIT ?`
    ),
    claimMark: db.prepare<[string, number, string]>(
      `UPDATE outbox SET status = 'processing', owner = ?, attempts = attempts + 1, updated_at = ?
       WHERE rid IN (SELECT value FROM json_each(?)) AND status IN ('pending', 'retrying')`
    ),
    dueCount: db.prepare<[number], { n: number }>(
      `SELECT count(*) AS n FROM (SELECT 1 FROM outbox WHERE status IN ('pending', 'retrying') AND next_attempt_at <= ? LIMIT 1)`
    ),
    topDue: db.prepare<[number], { priority: number }>(
      `SELECT priority FROM outbox WHERE status IN ('pending', 'retrying') AND next_attempt_at <= ? ORDER BY priority DESC, next_attempt_at LIMIT 1`
    ),
    nextDue: db.prepare<[], { t: number | null }>(
      `SELECT min(next_attempt_at) AS t FROM outbox WHERE status IN ('pending', 'retrying')`
    ),
    complete: db.prepare(
      `UPDATE outbox SET status = 'completed', owner = NULL, stream = ?, seq = ?, duplicate = ?, last_error = NULL,
         completed_at = ?, updated_at = ? WHERE id = ?`
    ),
    // By rowid when the drainer knows it: one B-tree search less per row than by id.
    completeByRowid: db.prepare(
      `UPDATE outbox SET status = 'completed', owner = NULL, stream = ?, seq = ?, duplicate = ?, last_error = NULL,
         completed_at = ?, updated_at = ? WHERE rowid = ? AND id = ?`
    ),
    attemptsOf: db.prepare<[string], { attempts: number; status: OutboxStatus }>(
      `SELECT attempts, status FROM outbox WHERE id = ?`
    ),
    toRetry: db.prepare(
      `UPDATE outbox SET status = 'retrying', owner = NULL, next_attempt_at = ?, last_error = ?, updated_at = ?
       WHERE id = ? AND status = 'processing'`
    ),
    toDead: db.prepare(
      `UPDATE outbox SET status = 'dead', owner = NULL, last_error = ?, updated_at = ? WHERE id = ? AND status = 'processing'`
    ),
    release: db.prepare(
      `UPDATE outbox SET status = CASE WHEN attempts > 1 THEN 'retrying' ELSE 'pending' END,
         attempts = max(0, attempts - 1), owner = NULL, updated_at = ? WHERE id = ? AND status = 'processing' AND owner = ?`
    ),
    heartbeat: db.prepare(
      `INSERT INTO outbox_drainers (owner, pid, host, started_at, heartbeat_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (owner) DO UPDATE SET heartbeat_at = excluded.heartbeat_at`
    ),
    drainers: db.prepare<[], { owner: string; pid: number; host: string; heartbeat_at: number }>(
      `SELECT owner, pid, host, heartbeat_at FROM outbox_drainers`
    ),
    dropDrainer: db.prepare(`DELETE FROM outbox_drainers WHERE owner = ?`),
    orphanOwners: db.prepare<[], { owner: string }>(
      `SELECT DISTINCT owner FROM outbox WHERE status = 'processing' AND owner IS NOT NULL`
    ),
    reclaimOwner: db.prepare(
      `UPDATE outbox SET status = 'retrying', owner = NULL, next_attempt_at = ?, updated_at = ?,
         last_error = coalesce(last_error, 'reclaimed: the process that was publishing it stopped')
       WHERE status = 'processing' AND owner = ?`
    ),
    reclaimNullOwner: db.prepare(
      `UPDATE outbox SET status = 'retrying', next_attempt_at = ?, updated_at = ? WHERE status = 'processing' AND owner IS NULL`
    ),
    // Each status is counted from its own partial index (a few ms for 100,000 completed rows);
    // never `GROUP BY status` over the table, which reads every payload page.
    countQueued: db.prepare<[], { pending: number | null; retrying: number | null }>(
      `SELECT sum(status = 'pending') AS pending, sum(status = 'retrying') AS retrying
       FROM outbox INDEXED BY outbox_due WHERE status IN ('pending', 'retrying')`
    ),
    countProcessing: db.prepare<[], { n: number }>(
      `SELECT count(*) AS n FROM outbox INDEXED BY outbox_processing WHERE status = 'processing'`
    ),
    countCompleted: db.prepare<[], { n: number }>(
      `SELECT count(*) AS n FROM outbox INDEXED BY outbox_completed WHERE status = 'completed'`
    ),
    countDead: db.prepare<[], { n: number }>(
      `SELECT count(*) AS n FROM outbox INDEXED BY outbox_dead WHERE status = 'dead'`
    ),
    // Rows are inserted in creation order, so the oldest undelivered row is the one with the
    // smallest rowid among the undelivered ones — found in the partial indexes, not by a scan.
    oldest: db.prepare<[], { t: number | null }>(
      `SELECT created_at AS t FROM outbox WHERE rowid = (SELECT min(r) FROM (
         SELECT min(rowid) AS r FROM outbox INDEXED BY outbox_due WHERE status IN ('pending', 'retrying')
         UNION ALL
         SELECT min(rowid) AS r FROM outbox INDEXED BY outbox_processing WHERE status = 'processing'))`
    ),
    list: db.prepare<[string, number, number], RawEntry>(
      `SELECT id, subject, priority, status, attempts, next_attempt_at, last_error, size,
         created_at, updated_at, stream, seq, duplicate
       FROM outbox WHERE status = ? ORDER BY updated_at DESC, id LIMIT ? OFFSET ?`
    ),
    // Completed rows (up to the retention, 100,000 by default) in the order of their index.
    listCompleted: db.prepare<[number, number], RawEntry>(
      `SELECT id, subject, priority, status, attempts, next_attempt_at, last_error, size,
         created_at, updated_at, stream, seq, duplicate
       FROM outbox INDEXED BY outbox_completed WHERE status = 'completed' ORDER BY completed_at DESC, id LIMIT ? OFFSET ?`
    ),
    getEntry: db.prepare<[string], RawEntry>(
      `SELECT id, subject, priority, status, attempts, next_attempt_at, last_error, size,
         created_at, updated_at, stream, seq, duplicate
       FROM outbox WHERE id = ?`
    ),
    retryDead: db.prepare(
      `UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = ?, updated_at = ? WHERE id = ? AND status = 'dead'`
    ),
    retryAllDead: db.prepare(
      `UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = ?, updated_at = ? WHERE status = 'dead'`
    ),
    discardDead: db.prepare(`DELETE FROM outbox WHERE id = ? AND status = 'dead'`),
    discardAllDead: db.prepare(`DELETE FROM outbox WHERE status = 'dead'`),
    pruneAge: db.prepare(`DELETE FROM outbox WHERE status = 'completed' AND completed_at < ?`),
    pruneCount: db.prepare(
      `DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE status = 'completed' ORDER BY completed_at DESC LIMIT -1 OFFSET ?)`
    ),
    // Many rows per statement on the hot path: one call into SQLite per chunk, not per row.
    completeChunk: db.prepare(
      `UPDATE outbox SET status = 'completed', owner = NULL, stream = v.column3, seq = v.column4, duplicate = v.column5,
         last_error = NULL, completed_at = ?, updated_at = ?
       FROM (VALUES ${new Array(CHUNK).fill('(?, ?, ?, ?, ?)').join(', ')}) AS v
       WHERE outbox.rowid = v.column1 AND outbox.id = v.column2`
    )
  };
}

/**
 * Where claimed inserts go (see {@link RowInserter}): the drainer that owns them, and the list the
 * rows are appended to, ready to publish.
 */
export interface ClaimedInsert {
  owner: string;
  out: OutboxRow[];
}

/**
 * Writes messages as outbox rows inside the caller's transaction and returns rows added (a known id
 * is skipped, and so are its bytes). With `claim`, the rows are written already claimed by that
 * drainer — `processing`, its owner, one attempt — exactly as a claim would leave them, and each
 * added row is appended to `claim.out`.
 */
export type RowInserter = (messages: readonly OutboundMessage[], now: number, claim?: ClaimedInsert) => number;

/**
 * The insert of the hot path: the small rows of up to CHUNK messages per statement, then their
 * payloads in one statement under the keys the small rows got.
 */
export function rowInserter(db: Database, s: OutboxStatements): RowInserter {
  // Statements per row count (a full chunk and each remainder) and per kind (pending, claimed),
  // prepared when first needed.
  const rowStatements: Statement[] = [];
  const claimedStatements: Statement[] = [];
  const payloadStatements: Statement[] = [];
  // Arrays of parameters per row count, reused: no per-row arrays or closures on the hot path.
  const rowArgs: unknown[][] = [];
  const claimedArgs: unknown[][] = [];
  const payloadArgs: unknown[][] = [];
  const headersOf = (m: OutboundMessage): string | null =>
    m.headers && Object.keys(m.headers).length > 0 ? JSON.stringify(m.headers) : null;
  const bytesOf = (m: OutboundMessage): Buffer =>
    Buffer.from(m.payload.buffer, m.payload.byteOffset, m.payload.byteLength);
  const rowOf = (m: OutboundMessage, rowid: number, now: number): OutboxRow => ({
    id: m.id,
    rowid,
    subject: m.subject,
    headers: m.headers && Object.keys(m.headers).length > 0 ? m.headers : null,
    payload: m.payload,
    priority: m.priority,
    attempts: 1,
    createdAt: now
  });
  const insertPart = (
    messages: readonly OutboundMessage[],
    from: number,
    n: number,
    now: number,
    claim: ClaimedInsert | undefined
  ): number => {
    const params = claim ? ROW_PARAMS + 1 : ROW_PARAMS;
    const rows = claim
      ? (claimedStatements[n] ??= prepareInsertRows(db, n, true))
      : (rowStatements[n] ??= prepareInsertRows(db, n, false));
    const args = claim
      ? (claimedArgs[n] ??= new Array<unknown>(n * params))
      : (rowArgs[n] ??= new Array<unknown>(n * params));
    for (let k = 0; k < n; k++) {
      const m = messages[from + k] as OutboundMessage;
      const at = k * params;
      args[at] = m.id;
      args[at + 1] = m.subject;
      args[at + 2] = m.payload.byteLength;
      args[at + 3] = PRIORITY_RANK[m.priority] ?? 1;
      args[at + 4] = now;
      args[at + 5] = now;
      args[at + 6] = now;
      if (claim) args[at + 7] = claim.owner;
    }
    const result = rows.run(args);
    const added = result.changes;
    if (added === 0) return 0;
    const last = Number(result.lastInsertRowid);
    if (added === n) {
      // Every id was new: keys last-n+1 … last, in the order of the values.
      const payloads = (payloadStatements[n] ??= prepareInsertPayloads(db, n));
      const pargs = (payloadArgs[n] ??= new Array<unknown>(n * PAYLOAD_PARAMS));
      for (let k = 0; k < n; k++) {
        const m = messages[from + k] as OutboundMessage;
        pargs[k * PAYLOAD_PARAMS] = last - n + 1 + k;
        pargs[k * PAYLOAD_PARAMS + 1] = headersOf(m);
        pargs[k * PAYLOAD_PARAMS + 2] = bytesOf(m);
        if (claim) claim.out.push(rowOf(m, last - n + 1 + k, now));
      }
      payloads.run(pargs);
      return added;
    }
    // Some ids were known: the keys the added ones got, by id.
    const byId = new Map<string, OutboundMessage>();
    for (let k = from; k < from + n; k++) byId.set((messages[k] as OutboundMessage).id, messages[k] as OutboundMessage);
    for (const { rid, id } of s.ridsIn.all(last - added + 1, last)) {
      const m = byId.get(id);
      if (!m) continue;
      s.insertPayload.run(rid, headersOf(m), bytesOf(m));
      if (claim) claim.out.push(rowOf(m, rid, now));
    }
    return added;
  };
  return (messages, now, claim) => {
    let inserted = 0;
    for (let i = 0; i < messages.length; i += CHUNK) {
      inserted += insertPart(messages, i, Math.min(CHUNK, messages.length - i), now, claim);
    }
    return inserted;
  };
}

/** The status of `count` ids at once (`SELECT … WHERE id IN (?, …)`). */
export function prepareStatusOf(
  db: Database,
  count: number
): Statement<string[], { id: string; status: OutboxStatus }> {
  return db.prepare<string[], { id: string; status: OutboxStatus }>(
    `SELECT id, status FROM outbox WHERE id IN (${new Array(count).fill('?').join(',')})`
  );
}
