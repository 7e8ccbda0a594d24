/**
 * BenchHistoryStore: the kept benchmark runs in SQLite, newest first, bounded so the history
 * never grows without limit. Statements are prepared once.
 */
import { ContractError } from '../contract';
import { BenchRunSchema, type BenchMode, type BenchRun, type BenchRunSummary } from '../contract/bench';
import type { Logger } from '../core/logger';
import type { Database } from '../store/database';
import { summarizeRun } from './results';

/** Runs kept at most; the oldest beyond this are dropped when a new one is stored. */
export const DEFAULT_MAX_RUNS = 2000;

interface Row {
  id: string;
  run_json: string;
}

export interface HistoryQuery {
  mode?: BenchMode | undefined;
  limit: number;
  /** Only runs started strictly before this ISO time. */
  before?: string | undefined;
}

export class BenchHistoryStore {
  private readonly insertStmt;
  private readonly getStmt;
  private readonly deleteStmt;
  private readonly listStmt;
  private readonly countStmt;
  private readonly pruneStmt;
  private readonly allStmt;
  private readonly maxRuns: number;

  private readonly logger: Logger | null;

  constructor(
    private readonly db: Database,
    options: { maxRuns?: number; logger?: Logger } = {}
  ) {
    this.maxRuns = options.maxRuns ?? DEFAULT_MAX_RUNS;
    this.logger = options.logger ?? null;
    this.insertStmt = db.prepare(
      `INSERT INTO bench_runs (id, mode, label, started_at, finished_at, msgs_per_sec, bytes_per_sec, p99_ms, server_version, run_json)
       VALUES (@id, @mode, @label, @started_at, @finished_at, @msgs_per_sec, @bytes_per_sec, @p99_ms, @server_version, @run_json)`
    );
    this.getStmt = db.prepare<[string], Row>('SELECT id, run_json FROM bench_runs WHERE id = ?');
    this.deleteStmt = db.prepare<[string]>('DELETE FROM bench_runs WHERE id = ?');
    // NULL parameters mean "no filter", so one statement serves every combination.
    this.listStmt = db.prepare<{ mode: string | null; before: string | null; limit: number }, Row>(
      `SELECT id, run_json FROM bench_runs
        WHERE (@mode IS NULL OR mode = @mode) AND (@before IS NULL OR started_at < @before)
        ORDER BY started_at DESC, id DESC LIMIT @limit`
    );
    this.countStmt = db.prepare<{ mode: string | null }, { n: number }>(
      'SELECT COUNT(*) AS n FROM bench_runs WHERE (@mode IS NULL OR mode = @mode)'
    );
    this.pruneStmt = db.prepare<[number]>(
      'DELETE FROM bench_runs WHERE id NOT IN (SELECT id FROM bench_runs ORDER BY started_at DESC, id DESC LIMIT ?)'
    );
    this.allStmt = db.prepare<{ mode: string | null }, Row>(
      'SELECT id, run_json FROM bench_runs WHERE (@mode IS NULL OR mode = @mode) ORDER BY started_at ASC, id ASC'
    );
  }

  /** Keeps a finished run (and drops the oldest beyond the bound, in the same transaction). */
  save(run: BenchRun): void {
    const tx = this.db.transaction(() => {
      this.insertStmt.run({
        id: run.id,
        mode: run.mode,
        label: run.label,
        started_at: run.startedAt,
        finished_at: run.finishedAt,
        msgs_per_sec: run.totals.msgsPerSec,
        bytes_per_sec: run.totals.bytesPerSec,
        p99_ms: run.latency?.p99Ms ?? null,
        server_version: run.environment.serverVersion,
        run_json: JSON.stringify(run)
      });
      this.pruneStmt.run(this.maxRuns);
    });
    tx();
  }

  /** One run; NOT_FOUND with a next step when it is not kept. */
  get(id: string): BenchRun {
    const row = this.getStmt.get(id);
    if (!row) {
      throw new ContractError('NOT_FOUND', `no benchmark run "${id}"`, {
        id,
        hint: 'List the kept runs with synos-cc bench history.'
      });
    }
    return this.parse(row);
  }

  list(query: HistoryQuery): { runs: BenchRunSummary[]; total: number } {
    const mode = query.mode ?? null;
    const rows = this.listStmt.all({ mode, before: query.before ?? null, limit: query.limit });
    const total = this.countStmt.get({ mode })?.n ?? 0;
    return { runs: this.readable(rows).map(summarizeRun), total };
  }

  /** Every kept run (optionally of one mode), oldest first — for export. */
  all(mode?: BenchMode): BenchRun[] {
    return this.readable(this.allStmt.all({ mode: mode ?? null }));
  }

  /** Lists skip a damaged row (logged) instead of failing the whole history; get() reports it. */
  private readable(rows: Row[]): BenchRun[] {
    const out: BenchRun[] = [];
    for (const row of rows) {
      try {
        out.push(this.parse(row));
      } catch (error) {
        this.logger?.warn('skipping an unreadable benchmark run', { id: row.id, error });
      }
    }
    return out;
  }

  delete(id: string): boolean {
    return this.deleteStmt.run(id).changes > 0;
  }

  private parse(row: Row): BenchRun {
    let value: unknown;
    try {
      value = JSON.parse(row.run_json);
    } catch (error) {
      throw new ContractError('DATABASE', `benchmark run ${row.id} is stored unreadably: ${(error as Error).message}`, {
        id: row.id,
        hint: `Delete it with synos-cc bench delete ${row.id}.`
      });
    }
    const parsed = BenchRunSchema.safeParse(value);
    if (!parsed.success) {
      throw new ContractError('DATABASE', `benchmark run ${row.id} does not match the result schema`, {
        id: row.id,
        hint: `Delete it with synos-cc bench delete ${row.id}.`
      });
    }
    return parsed.data;
  }
}
