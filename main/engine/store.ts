/**
 * What the engine learns and must keep across restarts: strategy weights and long-term memory,
 * in the app's SQLite database (migrations 0200–0209).
 */
import type { Database, Migration } from '../store/database';
import type { ProblemKind, StrategyAction } from '../contract/messages';
import type { LongTermItem, StrategyWeight } from './engine';

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
  }
];

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
    this.selectMemory = db.prepare<[number], MemoryRow>('SELECT * FROM engine_long_term_memory ORDER BY last_seen DESC LIMIT ?');
    this.upsertMemory = db.prepare(
      `INSERT INTO engine_long_term_memory (key, kind, first_seen, promoted_at, last_seen, touches, summary)
       VALUES (@key, @kind, @first_seen, @promoted_at, @last_seen, @touches, @summary)
       ON CONFLICT (key) DO UPDATE SET last_seen = excluded.last_seen, touches = excluded.touches, summary = excluded.summary`
    );
    this.deleteMemory = db.prepare('DELETE FROM engine_long_term_memory WHERE key = ?');
    this.pruneMemory = db.prepare(
      'DELETE FROM engine_long_term_memory WHERE key NOT IN (SELECT key FROM engine_long_term_memory ORDER BY last_seen DESC LIMIT ?)'
    );
    this.saveBatch = db.transaction((weights: StrategyWeight[], upserts: LongTermItem[], removed: string[]) => {
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
      if (upserts.length > 0) this.pruneMemory.run(this.longTermCapacity);
    });
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

  /** Writes changed weights and long-term items in one transaction. */
  save(weights: StrategyWeight[], memory: { upserts: LongTermItem[]; removed: string[] }): void {
    if (weights.length === 0 && memory.upserts.length === 0 && memory.removed.length === 0) return;
    this.saveBatch(weights, memory.upserts, memory.removed);
  }
}
