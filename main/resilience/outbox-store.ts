/**
 * The SQLite outbox (docs/architecture.md §4). Every outbound message is written here first, then published,
 * then marked. Row id = envelope id = Nats-Msg-Id, so a re-publish after a crash is dropped by
 * JetStream inside the stream's duplicate window.
 *
 * The row is small (status, attempts, owner, PubAck); headers and payload bytes live in
 * `outbox_payload` under the row's `rid`, written once, so the claim and the completion rewrite only
 * the small row.
 *
 * Several processes may share one data directory: rows are claimed atomically (read and marked in
 * one immediate transaction) and stamped with the claiming drainer (`owner`). A drainer keeps a heartbeat
 * in `outbox_drainers`; rows held by a drainer whose heartbeat is stale (or whose process is gone)
 * go back to `retrying`, so a crashed owner's rows are reclaimed and two live drainers never
 * publish the same row at the same time.
 */
import os from 'node:os';
import { randomUUID } from 'node:crypto';
import type BetterSqlite3 from 'better-sqlite3';
import type { Database } from '../store/database';
import type { MessagePriority, OutboundMessage, PublishReceipt } from '../core/outbound';
import { isProcessAlive } from '../core/process';
import { backoffDelayMs as backoff } from '../core/backoff';
import {
  CHUNK,
  PRIORITY_RANK,
  RANK_PRIORITY,
  prepareOutboxStatements,
  prepareStatusOf,
  rowInserter,
  type OutboxRow,
  type OutboxStatements,
  type OutboxStatus,
  type RawEntry,
  type RowInserter
} from './outbox-sql';

export type { OutboxRow, OutboxStatus } from './outbox-sql';
export const OUTBOX_STATUSES: readonly OutboxStatus[] = ['pending', 'processing', 'retrying', 'completed', 'dead'];

const MISSING_PAYLOAD =
  'the payload of this message is missing from the outbox (table outbox_payload): it cannot be published; discard it with "synos-cc dlq discard"';

export function priorityRank(priority: MessagePriority): number {
  return PRIORITY_RANK[priority];
}

/** A row as listings show it (without the payload bytes). */
export interface OutboxEntry {
  id: string;
  subject: string;
  priority: MessagePriority;
  status: OutboxStatus;
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  size: number;
  createdAt: number;
  updatedAt: number;
  stream: string | null;
  seq: number | null;
  duplicate: boolean | null;
}

export interface OutboxCounts {
  pending: number;
  processing: number;
  retrying: number;
  completed: number;
  dead: number;
}

export interface OutboxStats {
  counts: OutboxCounts;
  /** Creation time (epoch ms) of the oldest row not yet delivered, or null. */
  oldestUndeliveredAt: number | null;
}

/** Retry policy: 0.5 s doubling, capped at 60 s, with ±20 % jitter; dead after 10 attempts. */
export interface RetryPolicy {
  initialMs: number;
  maxMs: number;
  maxAttempts: number;
  /** 0.2 = ±20 %. */
  jitter: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { initialMs: 500, maxMs: 60_000, maxAttempts: 10, jitter: 0.2 };

/** Delay before attempt `attempts + 1`, given `attempts` failed ones (≥ 1). */
export function backoffDelayMs(
  attempts: number,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
  random = Math.random
): number {
  return backoff(attempts, policy, random);
}

export interface OutboxStoreOptions {
  retry?: RetryPolicy;
  /** A drainer whose heartbeat is older than this has lost its rows. */
  leaseMs?: number;
  now?: () => number;
  random?: () => number;
  /** Drainer id; unique per process by default. */
  owner?: string;
}

function toEntry(row: RawEntry): OutboxEntry {
  return {
    id: row.id,
    subject: row.subject,
    priority: RANK_PRIORITY[row.priority] ?? 'normal',
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    lastError: row.last_error,
    size: row.size,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    stream: row.stream,
    seq: row.seq,
    duplicate: row.duplicate === null ? null : row.duplicate === 1
  };
}

/** A PubAck for a row; `rowid` (from the claim) makes the update cheaper. */
export interface Receipt extends PublishReceipt {
  id: string;
  rowid?: number;
}

export interface Failure {
  id: string;
  error: string;
}

export class OutboxStore {
  readonly owner: string;
  readonly retry: RetryPolicy;
  readonly leaseMs: number;
  private readonly db: Database;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly stmts: OutboxStatements;
  private readonly insertRows: RowInserter;
  private readonly insertMany: (messages: readonly OutboundMessage[], now: number) => number;
  private readonly completeMany: (receipts: ReadonlyArray<Receipt>, now: number) => void;
  private readonly failMany: (failures: readonly Failure[], now: number) => number;
  private readonly releaseMany: (ids: readonly string[], now: number) => void;
  private readonly settleAll: BetterSqlite3.Transaction<(fn: () => void) => void>;
  private readonly claimTx: BetterSqlite3.Transaction<(limit: number) => OutboxRow[]>;
  private statusChunk: BetterSqlite3.Statement<string[], { id: string; status: OutboxStatus }> | null = null;

  constructor(db: Database, options: OutboxStoreOptions = {}) {
    this.db = db;
    this.retry = options.retry ?? DEFAULT_RETRY_POLICY;
    this.leaseMs = options.leaseMs ?? 15_000;
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.owner = options.owner ?? `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.stmts = prepareOutboxStatements(db);
    const s = this.stmts;
    this.insertRows = rowInserter(db, s);
    this.insertMany = db.transaction((messages: readonly OutboundMessage[], now: number) =>
      this.insertRows(messages, now)
    );
    this.completeMany = db.transaction((receipts: ReadonlyArray<Receipt>, now: number) => {
      const byRowid = receipts.filter((r) => r.rowid !== undefined);
      let i = 0;
      for (; i + CHUNK <= byRowid.length; i += CHUNK) {
        const args: unknown[] = [now, now];
        for (let k = i; k < i + CHUNK; k++) {
          const r = byRowid[k] as Receipt;
          args.push(r.rowid, r.id, r.stream, r.seq, r.duplicate ? 1 : 0);
        }
        s.completeChunk.run(...args);
      }
      for (const r of [...byRowid.slice(i), ...receipts.filter((x) => x.rowid === undefined)]) {
        if (r.rowid !== undefined) s.completeByRowid.run(r.stream, r.seq, r.duplicate ? 1 : 0, now, now, r.rowid, r.id);
        else s.complete.run(r.stream, r.seq, r.duplicate ? 1 : 0, now, now, r.id);
      }
    });
    this.failMany = db.transaction((failures: readonly Failure[], now: number) => {
      let dead = 0;
      for (const f of failures) {
        const row = s.attemptsOf.get(f.id);
        if (!row || row.status !== 'processing') continue;
        if (row.attempts >= this.retry.maxAttempts) {
          dead += s.toDead.run(f.error, now, f.id).changes;
        } else {
          s.toRetry.run(now + backoffDelayMs(row.attempts, this.retry, this.random), f.error, now, f.id);
        }
      }
      return dead;
    });
    this.settleAll = db.transaction((fn: () => void) => fn());
    this.claimTx = db.transaction((limit: number) => this.claimIn(limit));
    this.releaseMany = db.transaction((ids: readonly string[], now: number) => {
      for (const id of ids) s.release.run(now, id, this.owner);
    });
  }

  /**
   * Writes messages as `pending`, in one transaction — or inside the caller's open one (the
   * bridge's inbound commit), so they commit or roll back with its rows. A known id is ignored
   * (idempotent). Returns rows added.
   */
  enqueue(messages: readonly OutboundMessage[]): number {
    if (messages.length === 0) return 0;
    if (this.db.inTransaction) return this.insertRows(messages, this.now());
    return this.insertMany(messages, this.now());
  }

  /**
   * Inside the caller's open transaction: writes the first `claim` messages already claimed by this
   * drainer (`processing`, one attempt, as {@link claim} leaves a row) and the rest `pending`.
   * Returns the claimed rows that were added, in order, ready to publish once the transaction has
   * committed; a known id is skipped as in {@link enqueue}. A crash after the commit leaves them
   * `processing` under this drainer, and its lease running out hands them back (reclaimOrphans),
   * exactly as for rows claimed the usual way.
   */
  enqueueClaimed(messages: readonly OutboundMessage[], claim: number): OutboxRow[] {
    if (!this.db.inTransaction) throw new Error('enqueueClaimed runs inside the caller’s transaction');
    const now = this.now();
    const out: OutboxRow[] = [];
    const n = Math.max(0, Math.min(claim, messages.length));
    if (n > 0)
      this.insertRows(n === messages.length ? messages : messages.slice(0, n), now, { owner: this.owner, out });
    if (n < messages.length) this.insertRows(n === 0 ? messages : messages.slice(n), now);
    return out;
  }

  /**
   * Atomically claims up to `limit` due rows for this drainer, highest priority first, then
   * oldest due time. Each claim counts as an attempt.
   */
  claim(limit: number): OutboxRow[] {
    if (limit <= 0) return [];
    // Immediate: the read and the mark must see no other drainer's claim in between (a deferred
    // transaction that reads first cannot upgrade to a write once another process has committed).
    return this.db.inTransaction ? this.claimIn(limit) : this.claimTx.immediate(limit);
  }

  private claimIn(limit: number): OutboxRow[] {
    const now = this.now();
    const rows = this.stmts.claimSelect.all(now, limit);
    if (rows.length === 0) return [];
    this.stmts.claimMark.run(this.owner, now, JSON.stringify(rows.map((r) => r.rowid)));
    const out: OutboxRow[] = [];
    for (const r of rows) {
      if (r.payload === null) {
        // Only a damaged or hand-edited file lacks it: the message cannot be published, so it is a
        // dead letter that says why instead of a row retried forever.
        this.stmts.toDead.run(MISSING_PAYLOAD, now, r.id);
        continue;
      }
      out.push({
        id: r.id,
        rowid: r.rowid,
        subject: r.subject,
        headers: r.headers ? (JSON.parse(r.headers) as Record<string, string>) : null,
        payload: r.payload,
        priority: RANK_PRIORITY[r.priority] ?? 'normal',
        attempts: r.attempts + 1,
        createdAt: r.created_at
      });
    }
    return out;
  }

  /**
   * Records outcomes and claims the next rows in one transaction: one commit per drain round
   * instead of two.
   */
  settleAndClaim(
    outcome: {
      completed: ReadonlyArray<Receipt>;
      failed: readonly Failure[];
      released: readonly string[];
    },
    limit: number
  ): { dead: number; rows: OutboxRow[] } {
    let dead = 0;
    let rows: OutboxRow[] = [];
    // Immediate, as the claim inside it reads before it writes.
    this.settleAll.immediate(() => {
      this.complete(outcome.completed);
      dead = this.fail(outcome.failed);
      this.release(outcome.released);
      rows = this.claim(limit);
    });
    return { dead, rows };
  }

  /** Priority rank (0 low … 3 critical) of the most urgent due row, or -1 when none is due. */
  topDuePriority(): number {
    return this.stmts.topDue.get(this.now())?.priority ?? -1;
  }

  /** Whether any row is due now. */
  hasDue(): boolean {
    return (this.stmts.dueCount.get(this.now())?.n ?? 0) > 0;
  }

  /** Epoch ms of the earliest pending/retrying row's due time, or null when there is none. */
  nextDueAt(): number | null {
    return this.stmts.nextDue.get()?.t ?? null;
  }

  /** Marks rows completed with their PubAck (one transaction). */
  complete(receipts: ReadonlyArray<Receipt>): void {
    if (receipts.length > 0) this.completeMany(receipts, this.now());
  }

  /** Records failed attempts: `retrying` with back-off, or `dead` after the last attempt. Returns rows that died. */
  fail(failures: readonly Failure[]): number {
    return failures.length > 0 ? this.failMany(failures, this.now()) : 0;
  }

  /** Gives claimed rows back without counting the attempt (shutdown, breaker refused). */
  release(ids: readonly string[]): void {
    if (ids.length > 0) this.releaseMany(ids, this.now());
  }

  /**
   * Records the outcome of a round of publishes in one transaction (group commit of the drain side):
   * PubAcks, failed attempts, and rows handed back unattempted.
   */
  settle(outcome: {
    completed: ReadonlyArray<Receipt>;
    failed: readonly Failure[];
    released: readonly string[];
  }): number {
    let dead = 0;
    this.settleAll(() => {
      this.complete(outcome.completed);
      dead = this.fail(outcome.failed);
      this.release(outcome.released);
    });
    return dead;
  }

  /** Runs `write` in one immediate write transaction of the outbox's database (a producer's group commit). */
  inTransaction<T>(write: () => T): T {
    return this.db.transaction(write).immediate();
  }

  /** Renews this drainer's lease. */
  heartbeat(): void {
    const now = this.now();
    this.stmts.heartbeat.run(this.owner, process.pid, os.hostname(), now, now);
  }

  /** Removes this drainer from the registry (clean stop, after releasing its rows). */
  retire(): void {
    this.stmts.dropDrainer.run(this.owner);
  }

  /**
   * Returns rows held by drainers that are gone — a stale heartbeat, a dead process on this host,
   * or no registration at all — to `retrying`, due now. Run at start and periodically.
   */
  reclaimOrphans(): number {
    const now = this.now();
    const host = os.hostname();
    const live = new Set<string>();
    for (const d of this.stmts.drainers.all()) {
      const dead =
        now - d.heartbeat_at > this.leaseMs || (d.host === host && d.pid !== process.pid && !isProcessAlive(d.pid));
      if (dead && d.owner !== this.owner) this.stmts.dropDrainer.run(d.owner);
      else live.add(d.owner);
    }
    let reclaimed = 0;
    const run = this.db.transaction(() => {
      for (const { owner } of this.stmts.orphanOwners.all()) {
        if (!live.has(owner)) reclaimed += this.stmts.reclaimOwner.run(now, now, owner).changes;
      }
      reclaimed += this.stmts.reclaimNullOwner.run(now, now).changes;
    });
    run.immediate();
    return reclaimed;
  }

  stats(): OutboxStats {
    const s = this.stmts;
    const read = this.db.transaction((): OutboxStats => {
      const queued = s.countQueued.get();
      const counts: OutboxCounts = {
        pending: queued?.pending ?? 0,
        processing: s.countProcessing.get()?.n ?? 0,
        retrying: queued?.retrying ?? 0,
        completed: s.countCompleted.get()?.n ?? 0,
        dead: s.countDead.get()?.n ?? 0
      };
      return { counts, oldestUndeliveredAt: s.oldest.get()?.t ?? null };
    });
    // One read transaction: the counts are of one moment even while another process writes.
    return read.deferred();
  }

  /** Rows of one status, newest change first (completed: newest completion first). */
  list(status: OutboxStatus, limit = 100, offset = 0): OutboxEntry[] {
    if (status === 'completed') return this.stmts.listCompleted.all(limit, offset).map(toEntry);
    return this.stmts.list.all(status, limit, offset).map(toEntry);
  }

  get(id: string): OutboxEntry | null {
    const row = this.stmts.getEntry.get(id);
    return row ? toEntry(row) : null;
  }

  /**
   * Status of each id (ids not in the outbox are left out). Looks ids up in chunks so a
   * `pub --outbox --wait` of a million messages stays cheap.
   */
  statusOf(ids: readonly string[]): Map<string, OutboxStatus> {
    const out = new Map<string, OutboxStatus>();
    const size = 500;
    for (let i = 0; i < ids.length; i += size) {
      const chunk = ids.slice(i, i + size);
      const stmt =
        chunk.length === size
          ? (this.statusChunk ??= prepareStatusOf(this.db, size))
          : prepareStatusOf(this.db, chunk.length);
      for (const row of stmt.all(...chunk)) out.set(row.id, row.status);
    }
    return out;
  }

  /** Puts dead rows back in the queue with a fresh attempt budget. Returns how many. */
  retryDead(target: { ids: readonly string[] } | { all: true }): number {
    const now = this.now();
    if ('all' in target) return this.stmts.retryAllDead.run(now, now).changes;
    return this.db.transaction(() =>
      target.ids.reduce((n, id) => n + this.stmts.retryDead.run(now, now, id).changes, 0)
    )();
  }

  /** Deletes dead rows. Returns how many. */
  discardDead(target: { ids: readonly string[] } | { all: true }): number {
    if ('all' in target) return this.stmts.discardAllDead.run().changes;
    return this.db.transaction(() => target.ids.reduce((n, id) => n + this.stmts.discardDead.run(id).changes, 0))();
  }

  /** Deletes completed rows older than maxAgeMs and beyond the newest maxCount. Returns how many. */
  prune({ maxAgeMs, maxCount }: { maxAgeMs: number; maxCount: number }): number {
    const byAge = this.stmts.pruneAge.run(this.now() - maxAgeMs).changes;
    const byCount = this.stmts.pruneCount.run(maxCount).changes;
    return byAge + byCount;
  }
}
