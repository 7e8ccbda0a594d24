/**
 * Problems, decisions and strategy learning: a problem is opened once per cause (service,
 * threat, `system`) with the action of highest learned weight for its kind; it is judged once —
 * success when resolved within the window, failure when the window passes — and the judgement
 * moves that action's weight. Owned by the engine; its state is part of the handover.
 */
import type { ProblemKind, StrategyAction } from '../contract/messages';
import { RingBuffer } from '../core/ring-buffer';
import type { EngineConfig } from './config';
import { emitEvent } from './events';
import { clamp, round } from './math';
import type { EngineCounters, EngineEvent, EngineHandover, Problem, ProblemOutcome, StrategyWeight } from './types';

export class ProblemBook {
  readonly openProblems = new Map<string, Problem>();
  /** kind|key → problem id. */
  readonly openByCause = new Map<string, string>();
  /** The newest `problems.historySize` resolved problems, oldest first. */
  readonly resolved: RingBuffer<Problem>;
  readonly weights = new Map<string, StrategyWeight>();
  /** Problems opened, resolved or judged since the last takeChanges(). */
  private readonly changedProblems = new Map<string, Problem>();
  problemSeq = 0;
  /**
   * Grows with every change that decides later decisions: a problem opened, resolved or judged (a
   * strategy weight moved). Read before and after a step to tell whether it changed them.
   */
  changes = 0;

  constructor(
    private readonly config: EngineConfig,
    private readonly counters: EngineCounters,
    initialWeights: readonly StrategyWeight[],
    /** A problem was judged (the engine's confidence follows outcomes). */
    private readonly onJudged: (outcome: ProblemOutcome) => void
  ) {
    this.resolved = new RingBuffer<Problem>(config.problems.historySize);
    for (const kind of Object.keys(config.problems.initialWeights) as ProblemKind[]) {
      for (const action of config.problems.actions) {
        const weight = config.problems.initialWeights[kind][action] ?? 0.5;
        this.weights.set(`${kind}|${action}`, {
          problemKind: kind,
          action,
          weight,
          successes: 0,
          failures: 0,
          updatedAt: null
        });
      }
    }
    for (const w of initialWeights) {
      this.weights.set(`${w.problemKind}|${w.action}`, { ...w, weight: clamp(w.weight, 0, 1) });
    }
  }

  /** Continues the open problems and the id sequence the last leader left. */
  takeOver(h: EngineHandover): void {
    for (const p of h.openProblems) {
      if (p.status !== 'open' || this.openProblems.size >= this.config.problems.maxOpen) continue;
      this.openProblems.set(p.id, { ...p });
      this.openByCause.set(`${p.kind}|${p.key}`, p.id);
    }
    this.problemSeq = Math.max(this.problemSeq, h.problemSeq);
  }

  weightOf(kind: ProblemKind, action: StrategyAction): number {
    return this.weights.get(`${kind}|${action}`)?.weight ?? 0;
  }

  /** Problems opened, resolved or judged since the last call, for persistence. */
  takeChanges(): Problem[] {
    const out = [...this.changedProblems.values()].map((p) => ({ ...p }));
    this.changedProblems.clear();
    return out;
  }

  /** Opens a problem for this cause (unless one is open) and decides its action from the learned weights. */
  open(
    kind: ProblemKind,
    key: string,
    target: string,
    trigger: string,
    t: number,
    out: EngineEvent[],
    cause: string | undefined
  ): void {
    const causeKey = `${kind}|${key}`;
    if (this.openByCause.has(causeKey)) return;
    if (this.openProblems.size >= this.config.problems.maxOpen) {
      this.counters.errors++;
      emitEvent(
        this.counters,
        out,
        'consciousness.error',
        {
          code: 'PROBLEM_LIMIT',
          message: `${this.openProblems.size} problems are open; not opening another for ${target} (${kind})`
        },
        t,
        cause
      );
      return;
    }
    const ranked = this.config.problems.actions
      .map((action) => ({ action, weight: this.weightOf(kind, action) }))
      // Stable: on equal weights the earlier action in the configured list wins.
      .sort((a, b) => b.weight - a.weight);
    const best = ranked[0] ?? { action: 'notify_operator' as StrategyAction, weight: 0 };
    const others = ranked
      .slice(1)
      .map((r) => `${r.action} ${r.weight.toFixed(2)}`)
      .join(', ');
    const rationale = `${trigger}; ${best.action} has the highest learned weight for ${kind} (${best.weight.toFixed(2)}; ${others})`;
    const id = `p-${Math.max(0, Math.trunc(t)).toString(36)}-${++this.problemSeq}`;
    const problem: Problem = {
      id,
      kind,
      key,
      target,
      trigger,
      openedAt: t,
      status: 'open',
      resolvedAt: null,
      action: best.action,
      confidence: round(clamp(best.weight, 0, 1)),
      rationale,
      outcome: null,
      judgedAt: null,
      weightAfter: null
    };
    this.openProblems.set(id, problem);
    this.changedProblems.set(id, problem);
    this.changes++;
    this.openByCause.set(causeKey, id);
    this.counters.problemsOpened++;
    this.counters.decisions++;
    emitEvent(
      this.counters,
      out,
      'consciousness.decision_made',
      { problem_id: id, kind, action: best.action, confidence: problem.confidence, rationale, target },
      t,
      cause
    );
  }

  /** Resolves the open problem with this cause, if any; true when one was resolved. */
  resolve(kind: ProblemKind, key: string, t: number, out: EngineEvent[], cause: string | undefined): boolean {
    const causeKey = `${kind}|${key}`;
    const id = this.openByCause.get(causeKey);
    if (id === undefined) return false;
    const problem = this.openProblems.get(id);
    this.openByCause.delete(causeKey);
    this.openProblems.delete(id);
    if (!problem) return false;
    problem.status = 'resolved';
    this.changedProblems.set(problem.id, problem);
    this.changes++;
    problem.resolvedAt = t;
    this.counters.problemsResolved++;
    if (problem.outcome === null) {
      const inTime = t - problem.openedAt <= this.config.problems.successWindowMs;
      this.judge(problem, inTime ? 'success' : 'failure', t, out, cause);
    }
    this.resolved.push(problem);
    return true;
  }

  /** Problems still open when their window passes are failures (judged once). */
  judgeOverdue(t: number, out: EngineEvent[]): void {
    const window = this.config.problems.successWindowMs;
    for (const problem of this.openProblems.values()) {
      if (problem.outcome === null && t - problem.openedAt > window) this.judge(problem, 'failure', t, out, undefined);
    }
  }

  private judge(
    problem: Problem,
    outcome: ProblemOutcome,
    t: number,
    out: EngineEvent[],
    cause: string | undefined
  ): void {
    const key = `${problem.kind}|${problem.action}`;
    const w = this.weights.get(key) ?? {
      problemKind: problem.kind,
      action: problem.action,
      weight: 0,
      successes: 0,
      failures: 0,
      updatedAt: null
    };
    const target = outcome === 'success' ? 1 : 0;
    w.weight = clamp(w.weight + this.config.problems.learningRate * (target - w.weight), 0, 1);
    if (outcome === 'success') w.successes++;
    else w.failures++;
    w.updatedAt = t;
    this.weights.set(key, w);
    problem.outcome = outcome;
    problem.judgedAt = t;
    problem.weightAfter = w.weight;
    this.changedProblems.set(problem.id, problem);
    this.changes++;
    this.onJudged(outcome);
    emitEvent(
      this.counters,
      out,
      'consciousness.learning_event',
      {
        kind: 'strategy',
        problem_kind: problem.kind,
        action: problem.action,
        success: outcome === 'success',
        weight: round(w.weight),
        problem_id: problem.id
      },
      t,
      cause
    );
  }
}
