/**
 * The consciousness engine (docs/architecture.md §3): attention, emotion, cognitive load, learning mode,
 * working and long-term memory, problems and decisions from learned strategy weights.
 *
 * This class keeps the clock, attention and focus, the load and learning mode and the state_change
 * events, and runs the parts: what each input does (./inputs.ts), problems and strategy learning
 * (./problems.ts), memory (./memory.ts), emotion (./emotion.ts), the input-rate window
 * (./input-window.ts), emitting (./events.ts); its data types are in ./types.ts.
 *
 * Pure and deterministic: `step(input, now)` and `tick(now)` return the events to emit; the
 * clock is the `now` argument (ms); there is no I/O. The bridge persists what the events say
 * (weights, promotions) and publishes them.
 */
import {
  ENGINE_INPUT_TYPES,
  parseMessageData,
  type EngineInputType,
  type LearningMode,
  type ProblemKind,
  type StrategyAction
} from '../contract/messages';
import { resolveEngineConfig, type DeepPartial, type EngineConfig } from './config';
import { InputWindow } from './input-window';
import { EPSILON, clamp, round } from './math';
import { emitEvent } from './events';
import { ProblemBook } from './problems';
import { Memory } from './memory';
import { Emotion } from './emotion';
import { applyInput, ServiceConditions } from './inputs';
import type {
  AttentionEntry,
  EngineCounters,
  EngineEvent,
  EngineHandover,
  EngineInitialState,
  EngineInput,
  EngineSnapshot,
  LongTermItem,
  Problem,
  StateSnapshot,
  StrategyWeight
} from './types';

export type {
  AttentionEntry,
  EngineCounters,
  EngineEvent,
  EngineHandover,
  EngineInitialState,
  EngineInput,
  EngineSnapshot,
  LongTermItem,
  Problem,
  ProblemOutcome,
  ServiceCondition,
  StateSnapshot,
  StrategyWeight
} from './types';

/**
 * A target's weight as of the attention epoch: weight(t) = ref · 0.5^((t − epoch) / half-life).
 * All targets decay alike, so one factor serves every target per step and their order never
 * changes with time alone: finding the heaviest is a comparison of refs, no power per target.
 */
interface AttentionState {
  ref: number;
}

/** Rebase the attention epoch after this many half-lives, long before refs could overflow. */
const REBASE_AFTER_HALF_LIVES = 200;

const INPUT_TYPES = new Set<string>(ENGINE_INPUT_TYPES);

export class ConsciousnessEngine {
  readonly config: EngineConfig;

  private lastNow = Number.NEGATIVE_INFINITY;
  private readonly attention = new Map<string, AttentionState>();
  private attentionEpoch: number | null = null;
  private focus: string | null = null;
  /** Valence, arousal, confidence, curiosity (./emotion.ts). */
  private readonly emotion: Emotion;
  private readonly inputs = new InputWindow();
  /** Working and long-term memory (./memory.ts). */
  private readonly memory: Memory;
  /** Services seen and their last known condition (./inputs.ts). */
  private readonly services: ServiceConditions;
  /** Problems, decisions and strategy weights (./problems.ts). */
  private readonly book: ProblemBook;
  private mode: LearningMode = 'adaptive';
  private lastState: StateSnapshot | null = null;
  private lastStateAt: number | null = null;
  private readonly counters: EngineCounters = {
    inputs: 0,
    events: 0,
    errors: 0,
    decisions: 0,
    problemsOpened: 0,
    problemsResolved: 0
  };

  constructor(config: DeepPartial<EngineConfig> | EngineConfig = {}, initial: EngineInitialState = {}) {
    this.config = resolveEngineConfig(config as DeepPartial<EngineConfig>);
    this.emotion = new Emotion(this.config.emotion);
    this.services = new ServiceConditions(this.config.memory.maxKnownServices);
    this.book = new ProblemBook(this.config, this.counters, initial.weights ?? [], (outcome) =>
      this.emotion.judged(outcome)
    );
    this.memory = new Memory(this.config, this.counters, initial.longTerm ?? []);
    for (const item of this.memory.longTerm.values()) if (item.kind === 'service') this.services.known.add(item.key);
    if (initial.handover) this.takeOver(initial.handover);
  }

  private takeOver(h: EngineHandover): void {
    this.book.takeOver(h);
    for (const c of h.services) {
      this.services.conditions.set(c.service, { health: c.health, running: c.running });
      this.services.known.add(c.service);
    }
    this.emotion.takeOver(h.emotion, h.at);
    this.attentionEpoch = h.at;
    for (const a of h.attention) if (a.weight > 0) this.attention.set(a.target, { ref: Math.min(1, a.weight) });
    this.focus = h.focus !== null && this.attention.has(h.focus) ? h.focus : null;
  }

  /** What the next leader needs to continue from here (see {@link EngineHandover}). */
  handover(now: number = this.lastNow): EngineHandover {
    const t = Number.isFinite(now) ? now : 0;
    return {
      at: t,
      openProblems: [...this.book.openProblems.values()].map((p) => ({ ...p })),
      services: [...this.services.conditions].map(([service, c]) => ({
        service,
        health: c.health,
        running: c.running
      })),
      problemSeq: this.book.problemSeq,
      emotion: this.emotion.valueAt(t),
      focus: this.focus,
      attention: [...this.attention].map(([target, st]) => ({ target, weight: this.decayed(st, t) }))
    };
  }

  // -------------------------------------------------------------------------------------------
  // The two entry points
  // -------------------------------------------------------------------------------------------

  /** Takes one input at time `now` (ms) and returns what to emit. */
  step(input: EngineInput, now: number): EngineEvent[] {
    const t = this.advanceClock(now);
    const out: EngineEvent[] = [];
    const cause = input.id;
    if (typeof input?.type !== 'string' || !INPUT_TYPES.has(input.type)) {
      emitEvent(
        this.counters,
        out,
        'consciousness.error',
        { code: 'UNKNOWN_INPUT_TYPE', message: `the engine does not take inputs of type "${String(input?.type)}"` },
        t,
        cause
      );
      this.counters.errors++;
      return out;
    }
    const type = input.type as EngineInputType;
    const parsed =
      input.validated === true ? { ok: true as const, data: input.data } : parseMessageData(type, input.data);
    if (!parsed.ok) {
      emitEvent(
        this.counters,
        out,
        'consciousness.error',
        { code: 'INVALID_INPUT_DATA', message: parsed.message },
        t,
        cause
      );
      this.counters.errors++;
      return out;
    }
    this.counters.inputs++;
    this.inputs.push(t);
    this.emotion.relax(t);

    const effect = applyInput(this.config, this.book, this.emotion, this.services, type, parsed.data, t, out, cause);
    this.addAttention(effect.target, effect.salience, t);
    this.memory.touch(effect.target, effect.summary, t, out, cause);
    this.evaluate(t, out, effect.reason, cause);
    return out;
  }

  /** Lets time pass: decay, focus loss, outcome deadlines, deferred state_change. */
  tick(now: number): EngineEvent[] {
    const t = this.advanceClock(now);
    const out: EngineEvent[] = [];
    this.emotion.relax(t);
    this.forgetFaintTargets(t);
    this.evaluate(t, out, null, undefined);
    return out;
  }

  // -------------------------------------------------------------------------------------------
  // Reads (for the views); none of them change the state
  // -------------------------------------------------------------------------------------------

  snapshot(now: number = this.lastNow): EngineSnapshot {
    const t = Number.isFinite(now) ? Math.max(now, this.lastNow) : 0;
    return {
      state: this.currentState(t, this.emotion.at === null ? this.emotion.current : this.emotion.valueAt(t)),
      attention: this.attentionAt(t),
      workingMemory: [...this.memory.working.values()].reverse().map((i) => ({ ...i })),
      inputRatePerSecond: this.rateAt(t),
      counters: { ...this.counters }
    };
  }

  /** Targets by weight at `now`, heaviest first. */
  attentionAt(now: number): AttentionEntry[] {
    const list: AttentionEntry[] = [];
    for (const [target, s] of this.attention) list.push({ target, weight: round(this.decayed(s, now)) });
    return list.sort((a, b) => b.weight - a.weight || a.target.localeCompare(b.target));
  }

  currentFocus(): string | null {
    return this.focus;
  }

  currentMode(): LearningMode {
    return this.mode;
  }

  problems(): { open: Problem[]; resolved: Problem[] } {
    return {
      open: [...this.book.openProblems.values()].map((p) => ({ ...p })),
      resolved: Array.from(this.book.resolved, (p) => ({ ...p }))
    };
  }

  /**
   * A count that grows whenever open problems or strategy weights change (a problem opened,
   * resolved or judged): what decides the engine's later decisions. Compared before and after a
   * step, it tells whether that input changed them.
   */
  decisionStateVersion(): number {
    return this.book.changes;
  }

  strategyWeights(): StrategyWeight[] {
    return [...this.book.weights.values()].map((w) => ({ ...w }));
  }

  weightOf(kind: ProblemKind, action: StrategyAction): number {
    return this.book.weightOf(kind, action);
  }

  longTermMemory(): LongTermItem[] {
    return [...this.memory.longTerm.values()].map((i) => ({ ...i }));
  }

  /** Long-term items changed (or forgotten) since the last call, for persistence. */
  /** Problems opened, resolved or judged since the last call, for persistence. */
  takeProblemChanges(): Problem[] {
    return this.book.takeChanges();
  }

  takeLongTermChanges(): { upserts: LongTermItem[]; removed: string[] } {
    return this.memory.takeLongTermChanges();
  }

  // -------------------------------------------------------------------------------------------
  // Inputs
  // -------------------------------------------------------------------------------------------

  // -------------------------------------------------------------------------------------------
  // Clock, emotion, attention, memory
  // -------------------------------------------------------------------------------------------

  /** Time never runs backwards inside the engine: an earlier `now` counts as the last one. */
  private advanceClock(now: number): number {
    const t = Number.isFinite(now) ? Math.max(now, this.lastNow) : this.lastNow;
    this.lastNow = Number.isFinite(t) ? t : 0;
    return this.lastNow;
  }

  /** The decay factor from the attention epoch to t. */
  private scaleAt(t: number): number {
    if (this.attentionEpoch === null) this.attentionEpoch = t;
    return Math.pow(0.5, (t - this.attentionEpoch) / this.config.attention.halfLifeMs);
  }

  private rebaseAttention(t: number): void {
    if (
      this.attentionEpoch === null ||
      (t - this.attentionEpoch) / this.config.attention.halfLifeMs < REBASE_AFTER_HALF_LIVES
    )
      return;
    const f = this.scaleAt(t);
    for (const s of this.attention.values()) s.ref *= f;
    this.attentionEpoch = t;
  }

  private decayed(s: AttentionState, t: number): number {
    return s.ref * this.scaleAt(t);
  }

  private weightAt(target: string | null, t: number): number {
    if (target === null) return 0;
    const s = this.attention.get(target);
    return s ? this.decayed(s, t) : 0;
  }

  private addAttention(target: string, salience: number, t: number): void {
    this.rebaseAttention(t);
    const f = this.scaleAt(t);
    const s = this.attention.get(target);
    if (s) {
      s.ref = Math.min(1, s.ref * f + salience) / f;
      return;
    }
    if (salience <= 0) return;
    if (this.attention.size >= this.config.attention.maxTargets) this.dropLightestTarget();
    this.attention.set(target, { ref: Math.min(1, salience) / f });
  }

  private dropLightestTarget(): void {
    let lightest: string | null = null;
    let lw = Infinity;
    for (const [target, s] of this.attention) {
      if (target === this.focus) continue;
      if (s.ref < lw) {
        lw = s.ref;
        lightest = target;
      }
    }
    if (lightest !== null) this.attention.delete(lightest);
  }

  private forgetFaintTargets(t: number): void {
    this.rebaseAttention(t);
    const faint = this.config.attention.forgetBelow / this.scaleAt(t);
    for (const [target, s] of this.attention) {
      if (target !== this.focus && s.ref < faint) this.attention.delete(target);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Focus, mode, state_change
  // -------------------------------------------------------------------------------------------

  private evaluate(t: number, out: EngineEvent[], reason: string | null, cause: string | undefined): void {
    this.book.judgeOverdue(t, out);
    this.updateFocus(t, out, reason, cause);
    const state = this.currentState(t, this.emotion.current);
    if (state.mode !== this.mode) {
      emitEvent(
        this.counters,
        out,
        'consciousness.learning_event',
        { kind: 'mode', from: this.mode, to: state.mode },
        t,
        cause
      );
      this.mode = state.mode;
    }
    this.maybeEmitState(state, t, out, cause);
  }

  private updateFocus(t: number, out: EngineEvent[], reason: string | null, cause: string | undefined): void {
    const a = this.config.attention;
    const fw = this.weightAt(this.focus, t);
    let best: string | null = null;
    let bestRef = 0;
    for (const [target, s] of this.attention) {
      if (s.ref > bestRef || (s.ref === bestRef && best !== null && target === this.focus)) {
        best = target;
        bestRef = s.ref;
      }
    }
    const bw = bestRef * this.scaleAt(t);
    const focusHolds = this.focus !== null && fw >= a.focusThreshold - EPSILON;
    let next = this.focus;
    if (focusHolds) {
      if (best !== null && best !== this.focus && bw >= fw + a.hysteresis - EPSILON) next = best;
    } else if (best !== null && bw >= a.focusThreshold - EPSILON) {
      next = best;
    } else {
      next = null;
    }
    if (next === this.focus) return;
    const from = this.focus;
    this.focus = next;
    const weight = round(clamp(next === null ? fw : bw, 0, 1));
    // When the old focus decayed out, that is the reason, whatever input happened to arrive.
    const why =
      from !== null && !focusHolds
        ? next === null
          ? `attention on ${from} decayed below ${a.focusThreshold}`
          : `attention on ${from} decayed below ${a.focusThreshold}; ${next} is the heaviest target`
        : (reason ?? `${next} is the heaviest target`);
    emitEvent(this.counters, out, 'consciousness.attention_shift', { from, to: next, weight, reason: why }, t, cause);
  }

  private rateAt(t: number): number {
    const w = this.config.load.windowMs;
    this.inputs.prune(t - w);
    return this.inputs.count() / (w / 1000);
  }

  private currentState(
    t: number,
    e: { valence: number; arousal: number; confidence: number; curiosity: number }
  ): StateSnapshot {
    const l = this.config.load;
    const load = clamp(
      l.rateWeight * (this.rateAt(t) / l.capacityPerSecond) +
        l.memoryWeight * (this.memory.working.size / this.config.memory.workingCapacity) +
        l.problemsWeight * (this.book.openProblems.size / l.problemsFull),
      0,
      1
    );
    const c = this.config.learning;
    const mode: LearningMode =
      load > c.focusedAbove
        ? 'focused'
        : load < c.exploratoryBelow && e.curiosity > c.exploratoryCuriosityAbove
          ? 'exploratory'
          : 'adaptive';
    return {
      focus: this.focus,
      valence: round(clamp(e.valence, -1, 1)),
      arousal: round(clamp(e.arousal, 0, 1)),
      confidence: round(clamp(e.confidence, 0, 1)),
      curiosity: round(clamp(e.curiosity, 0, 1)),
      load: round(load),
      mode,
      open_problems: this.book.openProblems.size
    };
  }

  private maybeEmitState(state: StateSnapshot, t: number, out: EngineEvent[], cause: string | undefined): void {
    const last = this.lastState;
    if (last !== null) {
      const d = this.config.stateChange.minDelta - EPSILON;
      const moved =
        state.focus !== last.focus ||
        state.mode !== last.mode ||
        Math.abs(state.valence - last.valence) >= d ||
        Math.abs(state.arousal - last.arousal) >= d ||
        Math.abs(state.confidence - last.confidence) >= d ||
        Math.abs(state.curiosity - last.curiosity) >= d ||
        Math.abs(state.load - last.load) >= d ||
        Math.abs(state.open_problems - last.open_problems) >= d;
      if (!moved) return;
      if (this.lastStateAt !== null && t - this.lastStateAt < this.config.stateChange.minIntervalMs) return;
    }
    this.lastState = state;
    this.lastStateAt = t;
    emitEvent(this.counters, out, 'consciousness.state_change', state, t, cause);
  }
}
