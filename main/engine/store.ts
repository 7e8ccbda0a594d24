/**
 * What the engine learns and must keep across restarts: strategy weights and long-term memory,
 * in the app's SQLite database (migrations 0200–0209).
 */
import type { Database, Migration } from '../store/database';
import type { ProblemKind, StrategyAction } from '../contract/messages';
import type { LongTermItem, Problem, StrategyWeight } from './engine';

export const ENGINE_MIGRATIONS: readonly Migration[] = [
  {
    id: '0200',
    description: 'engine: learned strategy weights and long-term memory',
    sql: `CREATE TABLE engine_strategy_weights (
            problem_kind TEXT NOT NULL,
            action TEXT NOT NULL,
            weight REAL NOT NULL,
            successes INTEGER NOT NULL DEFAULT 0,
            failures INTEGER NOT NULL DEFAULT 0,
            updated_at INTEGER,
            PRIMARY KEY (problem_kind, action)
          );
          CREATE TABLE engine_long_term_memory (
            key TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            first_seen INTEGER NOT NULL,
            promoted_at INTEGER NOT NULL,
            last_seen INTEGER NOT NULL,
            touches INTEGER NOT NULL,
            summary TEXT NOT NULL
          );
          CREATE INDEX engine_long_term_memory_last_seen ON engine_long_term_memory (last_seen);`
  },
  {
    id: '0201',
    description: 'engine: problems with the decision taken and its outcome',
    sql: `CREATE TABLE engine_problems (
            id TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            target TEXT NOT NULL,
            trigger TEXT NOT NULL,
            opened_at INTEGER NOT NULL,
            status TEXT NOT NULL,
            resolved_at INTEGER,
            action TEXT NOT NULL,
            confidence REAL NOT NULL,
            rationale TEXT NOT NULL,
            outcome TEXT,
            judged_at INTEGER,
            weight_after REAL
          );
          CREATE INDEX engine_problems_opened ON engine_problems (opened_at);`
  }
];

/** Problems kept in SQLite for the Engine view; the oldest go first. */
export const MAX_STORED_PROBLEMS = 5000;
/** Tables are pruned back to their bound after this many rows written (they may exceed it by that much meanwhile). */
const PRUNE_EVERY = 500;

/** Added to the trigger of problems still open when the app stopped: the engine no longer tracks them. */
export const ABANDONED_NOTE = ' (still open when the engine stopped; no longer tracked)';

interface ProblemRow {
  id: string;
  kind: string;
  target: string;
  trigger: string;
  opened_at: number;
  status: string;
  resolved_at: number | null;
  action: string;
  confidence: number;
  rationale: string;
  outcome: string | null;
  judged_at: number | null;
  weight_after: number | null;
}

interface WeightRow {
  problem_kind: string;
  action: string;
  weight: number;
  successes: number;
  failures: number;
  updated_at: number | null;
}

interface MemoryRow {
  key: string;
  kind: string;
  first_seen: number;
  promoted_at: number;
  last_seen: number;
  touches: number;
  summary: string;
}

/** Strategy weights and long-term memory in SQLite; statements prepared once. */
export class EngineStore {
  private readonly selectWeights;
  private readonly upsertWeight;
  private readonly selectMemory;
  private readonly upsertMemory;
  private readonly deleteMemory;
  private readonly pruneMemory;
  private readonly saveBatch;
  private readonly upsertProblem;
  private readonly pruneProblems;
  private problemWrites = 0;
  private memoryWrites = 0;

  constructor(
    private readonly db: Database,
    private readonly longTermCapacity: number
  ) {
    this.selectWeights = db.prepare<[], WeightRow>('SELECT * FROM engine_strategy_weights');
    this.upsertWeight = db.prepare(
      `INSERT INTO engine_strategy_weights (problem_kind, action, weight, successes, failures, updated_at)
       VALUES (@problem_kind, @action, @weight, @successes, @failures, @updated_at)
       ON CONFLICT (problem_kind, action) DO UPDATE SET weight = excluded.weight, successes = excluded.successes,
         failures = excluded.failures, updated_at = excluded.updated_at`
    );
    this.selectMemory = db.prepare<[number], MemoryRow>(
      'SELECT * FROM engine_long_term_memory ORDER BY last_seen DESC LIMIT ?'
    );
    this.upsertMemory = db.prepare(
      `INSERT INTO engine_long_term_memory (key, kind, first_seen, promoted_at, last_seen, touches, summary)
       VALUES (@key, @kind, @first_seen, @promoted_at, @last_seen, @touches, @summary)
       ON CONFLICT (key) DO UPDATE SET last_seen = excluded.last_seen, touches = excluded.touches, summary = excluded.summary`
    );
    this.deleteMemory = db.prepare('DELETE FROM engine_long_term_memory WHERE key = ?');
    this.pruneMemory = db.prepare(
      'DELETE FROM engine_long_term_memory WHERE key NOT IN (SELECT key FROM engine_long_term_memory ORDER BY last_seen DESC LIMIT ?)'
    );
    this.upsertProblem = db.prepare(
      `INSERT INTO engine_problems (id, kind, target, trigger, opened_at, status, resolved_at, action, confidence, rationale, outcome, judged_at, weight_after)
       VALUES (@id, @kind, @target, @trigger, @opened_at, @status, @resolved_at, @action, @confidence, @rationale, @outcome, @judged_at, @weight_after)
       ON CONFLICT (id) DO UPDATE SET status = excluded.status, resolved_at = excluded.resolved_at, outcome = excluded.outcome,
         judged_at = excluded.judged_at, weight_after = excluded.weight_after`
    );
    this.pruneProblems = db.prepare(
      'DELETE FROM engine_problems WHERE id NOT IN (SELECT id FROM engine_problems ORDER BY opened_at DESC LIMIT ?)'
    );
    this.saveBatch = db.transaction(
      (weights: StrategyWeight[], upserts: LongTermItem[], removed: string[], problems: Problem[]) => {
        for (const p of problems) {
          this.upsertProblem.run({
            id: p.id,
            kind: p.kind,
            target: p.target,
            trigger: p.trigger.slice(0, 2000),
            opened_at: p.openedAt,
            status: p.status,
            resolved_at: p.resolvedAt,
            action: p.action,
            confidence: p.confidence,
            rationale: p.rationale.slice(0, 4000),
            outcome: p.outcome,
            judged_at: p.judgedAt,
            weight_after: p.weightAfter
          });
        }
        // Pruning sorts the whole table: once per PRUNE_EVERY rows written, not at every commit (the
        // bridge commits learning with every batch of inbound messages).
        this.problemWrites += problems.length;
        if (this.problemWrites >= PRUNE_EVERY) {
          this.problemWrites = 0;
          this.pruneProblems.run(MAX_STORED_PROBLEMS);
        }
        for (const w of weights) {
          this.upsertWeight.run({
            problem_kind: w.problemKind,
            action: w.action,
            weight: w.weight,
            successes: w.successes,
            failures: w.failures,
            updated_at: w.updatedAt
          });
        }
        for (const key of removed) this.deleteMemory.run(key);
        for (const m of upserts) {
          this.upsertMemory.run({
            key: m.key,
            kind: m.kind,
            first_seen: m.firstSeen,
            promoted_at: m.promotedAt,
            last_seen: m.lastSeen,
            touches: m.touches,
            summary: m.summary.slice(0, 2000)
          });
        }
        this.memoryWrites += upserts.length;
        if (this.memoryWrites >= PRUNE_EVERY) {
          this.memoryWrites = 0;
          this.pruneMemory.run(this.longTermCapacity);
        }
      }
    );
  }

  loadWeights(): StrategyWeight[] {
    return this.selectWeights.all().map((r) => ({
      problemKind: r.problem_kind as ProblemKind,
      action: r.action as StrategyAction,
      weight: r.weight,
      successes: r.successes,
      failures: r.failures,
      updatedAt: r.updated_at
    }));
  }

  loadLongTerm(): LongTermItem[] {
    return this.selectMemory.all(this.longTermCapacity).map((r) => ({
      key: r.key,
      kind: r.kind === 'system' || r.kind === 'user' ? r.kind : 'service',
      firstSeen: r.first_seen,
      promotedAt: r.promoted_at,
      lastSeen: r.last_seen,
      touches: r.touches,
      summary: r.summary
    }));
  }

  /**
   * Problems a previous run left open are no longer tracked by anyone: marks them resolved (without
   * an outcome) with a note. Called when an engine starts on live traffic, never by one-shot commands.
   */
  abandonOpenProblems(): number {
    return this.db
      .prepare(`UPDATE engine_problems SET status = 'resolved', trigger = trigger || ? WHERE status = 'open'`)
      .run(ABANDONED_NOTE).changes;
  }

  /** Writes changed weights, long-term items and problems in one transaction. */
  save(
    weights: StrategyWeight[],
    memory: { upserts: LongTermItem[]; removed: string[] },
    problems: Problem[] = []
  ): void {
    if (weights.length === 0 && memory.upserts.length === 0 && memory.removed.length === 0 && problems.length === 0)
      return;
    this.saveBatch(weights, memory.upserts, memory.removed, problems);
  }

  /** Stored problems, newest first (resolved ones, and ones a previous run left open). */
  listProblems(query: { status?: 'open' | 'resolved'; limit: number }): Problem[] {
    const rows = query.status
      ? this.db
          .prepare<[string, number], ProblemRow>(
            'SELECT * FROM engine_problems WHERE status = ? ORDER BY opened_at DESC LIMIT ?'
          )
          .all(query.status, query.limit)
      : this.db
          .prepare<[number], ProblemRow>('SELECT * FROM engine_problems ORDER BY opened_at DESC LIMIT ?')
          .all(query.limit);
    return rows.map((r) => ({
      id: r.id,
      kind: r.kind as ProblemKind,
      key: r.target,
      target: r.target,
      trigger: r.trigger,
      openedAt: r.opened_at,
      status: r.status === 'open' ? 'open' : 'resolved',
      resolvedAt: r.resolved_at,
      action: r.action as StrategyAction,
      confidence: r.confidence,
      rationale: r.rationale,
      outcome: r.outcome === 'success' || r.outcome === 'failure' ? r.outcome : null,
      judgedAt: r.judged_at,
      weightAfter: r.weight_after
    }));
  }
}
