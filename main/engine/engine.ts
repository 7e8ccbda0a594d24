/**
 * The consciousness engine (docs/architecture.md §3): attention, emotion, cognitive load, learning mode,
 * working and long-term memory, problems and decisions from learned strategy weights.
 *
 * Pure and deterministic: `step(input, now)` and `tick(now)` return the events to emit; the
 * clock is the `now` argument (ms); there is no I/O. The bridge persists what the events say
 * (weights, promotions) and publishes them.
 */
import {
  ENGINE_INPUT_TYPES,
  parseMessageData,
  type EngineInputType,
  type EngineOutputType,
  type LearningMode,
  type MessageData,
  type Priority,
  type ProblemKind,
  type StrategyAction
} from '../contract/messages';
import { resolveEngineConfig, type DeepPartial, type EngineConfig } from './config';

/** One input as the bridge hands it over (the envelope's type, data and ids). */
export interface EngineInput {
  type: string;
  data: unknown;
  /** Envelope id, carried as the correlation id of what this input causes. */
  id?: string;
  /** True when `data` already passed its schema (the bridge validates every envelope); skips a second parse. */
  validated?: boolean;
}

/** One event the engine wants emitted. */
export interface EngineEvent<T extends EngineOutputType = EngineOutputType> {
  type: T;
  data: MessageData<T>;
  priority: Priority;
  /** Engine clock (ms) when it happened. */
  time: number;
  /** Id of the input that caused it, if any. */
  correlationid?: string;
}

export type StateSnapshot = MessageData<'consciousness.state_change'>;

export interface AttentionEntry {
  target: string;
  weight: number;
}

export interface WorkingMemoryItem {
  key: string;
  touches: number;
  firstSeen: number;
  lastTouched: number;
}

export interface LongTermItem {
  key: string;
  kind: 'service' | 'system' | 'user';
  firstSeen: number;
  promotedAt: number;
  lastSeen: number;
  touches: number;
  /** The last thing learned about it, in words ("payments unhealthy: probe failed"). */
  summary: string;
}

export interface StrategyWeight {
  problemKind: ProblemKind;
  action: StrategyAction;
  weight: number;
  successes: number;
  failures: number;
  updatedAt: number | null;
}

export type ProblemOutcome = 'success' | 'failure';

export interface Problem {
  id: string;
  kind: ProblemKind;
  /** What identifies the cause (service name, threat id, `system`). */
  key: string;
  /** The service, `system` or threat target it is about. */
  target: string;
  trigger: string;
  openedAt: number;
  status: 'open' | 'resolved';
  resolvedAt: number | null;
  action: StrategyAction;
  confidence: number;
  rationale: string;
  /** Judged once: success when resolved within the window, failure when the window passes. */
  outcome: ProblemOutcome | null;
  judgedAt: number | null;
  /** The chosen action's weight after the update. */
  weightAfter: number | null;
}

export interface EngineSnapshot {
  state: StateSnapshot;
  attention: AttentionEntry[];
  workingMemory: WorkingMemoryItem[];
  inputRatePerSecond: number;
  counters: EngineCounters;
}

export interface EngineCounters {
  inputs: number;
  events: number;
  errors: number;
  decisions: number;
  problemsOpened: number;
  problemsResolved: number;
}

/** What a restart restores (from SQLite), and what a new leader takes over from the last one. */
export interface EngineInitialState {
  weights?: readonly StrategyWeight[];
  longTerm?: readonly LongTermItem[];
  handover?: EngineHandover;
}

/**
 * The engine's live state beyond weights and memory, as one leader leaves it for the next
 * (main/leadership): open problems stay open and are judged by the next leader, service conditions
 * keep their transitions, and focus, attention and emotion continue instead of starting cold.
 */
export interface EngineHandover {
  /** Engine time the figures below are taken at. */
  at: number;
  openProblems: Problem[];
  services: Array<{ service: string; health: ServiceCondition['health']; running: boolean | null }>;
  problemSeq: number;
  emotion: { valence: number; arousal: number; confidence: number; curiosity: number };
  focus: string | null;
  attention: Array<{ target: string; weight: number }>;
}

const EPSILON = 1e-9;

function clamp(value: number, min: number, max: number): number {
  return value < min ? min : value > max ? max : value;
}

function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

/** Exponential decay factor over dt with the given half-life. */
function halfLifeFactor(dtMs: number, halfLifeMs: number): number {
  return dtMs <= 0 ? 1 : Math.pow(0.5, dtMs / halfLifeMs);
}

/** Timestamps of recent inputs, for the rate over the load window; a growable ring. */
class InputWindow {
  private buf = new Float64Array(1024);
  private head = 0;
  private size = 0;

  push(t: number): void {
    if (this.size === this.buf.length) {
      const next = new Float64Array(this.buf.length * 2);
      for (let i = 0; i < this.size; i++) next[i] = this.buf[(this.head + i) % this.buf.length] as number;
      this.buf = next;
      this.head = 0;
    }
    this.buf[(this.head + this.size) % this.buf.length] = t;
    this.size++;
  }

  /** Drops everything at or before `cutoff`; returns how many remain. */
  prune(cutoff: number): number {
    while (this.size > 0 && (this.buf[this.head] as number) <= cutoff) {
      this.head = (this.head + 1) % this.buf.length;
      this.size--;
    }
    return this.size;
  }

  count(): number {
    return this.size;
  }
}

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

export interface ServiceCondition {
  health: 'healthy' | 'degraded' | 'unhealthy' | null;
  running: boolean | null;
}

/** What one input does, before the shared bookkeeping. */
interface Effect {
  target: string;
  salience: number;
  reason: string;
  summary: string;
}

const PRIORITY: Record<EngineOutputType, Priority> = {
  'consciousness.state_change': 'low',
  'consciousness.attention_shift': 'normal',
  'consciousness.memory_update': 'low',
  'consciousness.decision_made': 'high',
  'consciousness.learning_event': 'normal',
  'consciousness.error': 'high'
};

const INPUT_TYPES = new Set<string>(ENGINE_INPUT_TYPES);

export class ConsciousnessEngine {
  readonly config: EngineConfig;

  private lastNow = Number.NEGATIVE_INFINITY;
  private readonly attention = new Map<string, AttentionState>();
  private attentionEpoch: number | null = null;
  private focus: string | null = null;
  private emotion: { valence: number; arousal: number; confidence: number; curiosity: number };
  private emotionAt: number | null = null;
  private readonly inputs = new InputWindow();
  /** Map order is LRU order: first = least recently touched. */
  private readonly working = new Map<string, WorkingMemoryItem>();
  private readonly longTerm = new Map<string, LongTermItem>();
  private readonly dirtyLongTerm = new Set<string>();
  private readonly forgotten = new Set<string>();
  /** Problems opened, resolved or judged since the last takeProblemChanges(). */
  private readonly changedProblems = new Map<string, Problem>();
  private readonly knownServices = new Set<string>();
  private readonly services = new Map<string, ServiceCondition>();
  private readonly openProblems = new Map<string, Problem>();
  /** kind|key → problem id. */
  private readonly openByCause = new Map<string, string>();
  private readonly resolved: Problem[] = [];
  private readonly weights = new Map<string, StrategyWeight>();
  private mode: LearningMode = 'adaptive';
  private lastState: StateSnapshot | null = null;
  private lastStateAt: number | null = null;
  private problemSeq = 0;
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
    this.emotion = { ...this.config.emotion.baseline };
    for (const kind of Object.keys(this.config.problems.initialWeights) as ProblemKind[]) {
      for (const action of this.config.problems.actions) {
        const weight = this.config.problems.initialWeights[kind][action] ?? 0.5;
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
    for (const w of initial.weights ?? []) {
      this.weights.set(`${w.problemKind}|${w.action}`, { ...w, weight: clamp(w.weight, 0, 1) });
    }
    const items = [...(initial.longTerm ?? [])].sort((a, b) => a.lastSeen - b.lastSeen);
    for (const item of items.slice(-this.config.memory.longTermCapacity)) {
      this.longTerm.set(item.key, { ...item });
      if (item.kind === 'service') this.knownServices.add(item.key);
    }
    if (initial.handover) this.takeOver(initial.handover);
  }

  private takeOver(h: EngineHandover): void {
    for (const p of h.openProblems) {
      if (p.status !== 'open' || this.openProblems.size >= this.config.problems.maxOpen) continue;
      this.openProblems.set(p.id, { ...p });
      this.openByCause.set(`${p.kind}|${p.key}`, p.id);
    }
    for (const c of h.services) {
      this.services.set(c.service, { health: c.health, running: c.running });
      this.knownServices.add(c.service);
    }
    this.problemSeq = Math.max(this.problemSeq, h.problemSeq);
    this.emotion = { ...h.emotion };
    this.emotionAt = h.at;
    this.attentionEpoch = h.at;
    for (const a of h.attention) if (a.weight > 0) this.attention.set(a.target, { ref: Math.min(1, a.weight) });
    this.focus = h.focus !== null && this.attention.has(h.focus) ? h.focus : null;
  }

  /** What the next leader needs to continue from here (see {@link EngineHandover}). */
  handover(now: number = this.lastNow): EngineHandover {
    const t = Number.isFinite(now) ? now : 0;
    return {
      at: t,
      openProblems: [...this.openProblems.values()].map((p) => ({ ...p })),
      services: [...this.services].map(([service, c]) => ({ service, health: c.health, running: c.running })),
      problemSeq: this.problemSeq,
      emotion: this.emotionAt_(t),
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
      this.emit(
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
      this.emit(out, 'consciousness.error', { code: 'INVALID_INPUT_DATA', message: parsed.message }, t, cause);
      this.counters.errors++;
      return out;
    }
    this.counters.inputs++;
    this.inputs.push(t);
    this.relaxEmotion(t);

    const effect = this.apply(type, parsed.data, t, out, cause);
    this.addAttention(effect.target, effect.salience, t);
    this.touchMemory(effect.target, effect.summary, t, out, cause);
    this.evaluate(t, out, effect.reason, cause);
    return out;
  }

  /** Lets time pass: decay, focus loss, outcome deadlines, deferred state_change. */
  tick(now: number): EngineEvent[] {
    const t = this.advanceClock(now);
    const out: EngineEvent[] = [];
    this.relaxEmotion(t);
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
      state: this.currentState(t, this.emotionAt === null ? this.emotion : this.emotionAt_(t)),
      attention: this.attentionAt(t),
      workingMemory: [...this.working.values()].reverse().map((i) => ({ ...i })),
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
      open: [...this.openProblems.values()].map((p) => ({ ...p })),
      resolved: this.resolved.map((p) => ({ ...p }))
    };
  }

  strategyWeights(): StrategyWeight[] {
    return [...this.weights.values()].map((w) => ({ ...w }));
  }

  weightOf(kind: ProblemKind, action: StrategyAction): number {
    return this.weights.get(`${kind}|${action}`)?.weight ?? 0;
  }

  longTermMemory(): LongTermItem[] {
    return [...this.longTerm.values()].map((i) => ({ ...i }));
  }

  /** Long-term items changed (or forgotten) since the last call, for persistence. */
  /** Problems opened, resolved or judged since the last call, for persistence. */
  takeProblemChanges(): Problem[] {
    const out = [...this.changedProblems.values()].map((p) => ({ ...p }));
    this.changedProblems.clear();
    return out;
  }

  takeLongTermChanges(): { upserts: LongTermItem[]; removed: string[] } {
    const upserts: LongTermItem[] = [];
    for (const key of this.dirtyLongTerm) {
      const item = this.longTerm.get(key);
      if (item) upserts.push({ ...item });
    }
    const removed = [...this.forgotten];
    this.dirtyLongTerm.clear();
    this.forgotten.clear();
    return { upserts, removed };
  }

  // -------------------------------------------------------------------------------------------
  // Inputs
  // -------------------------------------------------------------------------------------------

  private apply(
    type: EngineInputType,
    data: unknown,
    t: number,
    out: EngineEvent[],
    cause: string | undefined
  ): Effect {
    const s = this.config.attention.salience;
    switch (type) {
      case 'service.lifecycle.started': {
        const d = data as MessageData<'service.lifecycle.started'>;
        this.notice(d.service);
        const cond = this.condition(d.service);
        const wasDown = cond.running === false;
        cond.running = true;
        if (this.resolveCause('service_stopped', d.service, t, out, cause) || wasDown) this.recovery();
        return {
          target: d.service,
          salience: s.started,
          reason: `service.lifecycle.started: ${d.service} started`,
          summary: `${d.service} started${d.version ? ` (version ${d.version})` : ''}`
        };
      }
      case 'service.lifecycle.stopped': {
        const d = data as MessageData<'service.lifecycle.stopped'>;
        this.notice(d.service);
        const cond = this.condition(d.service);
        cond.running = false;
        const expected =
          d.exit_code === 0 || (d.reason !== undefined && this.config.problems.expectedStopReasons.includes(d.reason));
        const why = `${d.service} stopped${d.reason ? ` (${d.reason})` : ''}${d.exit_code !== undefined ? ` with exit code ${d.exit_code}` : ''}`;
        if (!expected) {
          this.openProblem('service_stopped', d.service, d.service, `${why}, unexpectedly`, t, out, cause);
          return {
            target: d.service,
            salience: s.stoppedUnexpectedly,
            reason: `service.lifecycle.stopped: ${why}, unexpectedly`,
            summary: why
          };
        }
        return {
          target: d.service,
          salience: s.stoppedExpectedly,
          reason: `service.lifecycle.stopped: ${why}`,
          summary: why
        };
      }
      case 'service.health.update': {
        const d = data as MessageData<'service.health.update'>;
        this.notice(d.service);
        const cond = this.condition(d.service);
        const before = cond.health;
        cond.health = d.status;
        cond.running = true;
        const why = `${d.service} is ${d.status}${d.detail ? `: ${d.detail}` : ''}`;
        if (d.status === 'unhealthy') {
          // Alarm on the transition, not on every repeated report, or a chatty prober would pin valence at -1.
          if (before !== 'unhealthy') this.alarm();
          this.openProblem('service_unhealthy', d.service, d.service, why, t, out, cause);
          return { target: d.service, salience: s.unhealthy, reason: `service.health.update: ${why}`, summary: why };
        }
        if (d.status === 'degraded') {
          return { target: d.service, salience: s.degraded, reason: `service.health.update: ${why}`, summary: why };
        }
        const cleared = this.resolveCause('service_unhealthy', d.service, t, out, cause);
        const restarted = this.resolveCause('service_stopped', d.service, t, out, cause);
        if (cleared || restarted || before === 'degraded') this.recovery();
        return { target: d.service, salience: s.healthy, reason: `service.health.update: ${why}`, summary: why };
      }
      case 'system.resource.update': {
        const d = data as MessageData<'system.resource.update'>;
        const peak = Math.max(d.cpu, d.memory, d.disk ?? 0);
        const which = peak === d.cpu ? 'cpu' : peak === d.memory ? 'memory' : 'disk';
        const why = `${which} at ${Math.round(peak * 100)}%`;
        const p = this.config.problems;
        if (peak > p.resourceOpenAbove) {
          this.openProblem('resource_exhaustion', 'system', 'system', why, t, out, cause);
        } else if (peak <= p.resourceClearAtOrBelow) {
          if (this.resolveCause('resource_exhaustion', 'system', t, out, cause)) this.recovery();
        }
        const high = peak > this.config.attention.resourceHighAbove;
        return {
          target: 'system',
          salience: high ? s.resourceHigh : s.resourceNormal,
          reason: `system.resource.update: ${why}`,
          summary: `cpu ${Math.round(d.cpu * 100)}%, memory ${Math.round(d.memory * 100)}%${d.disk !== undefined ? `, disk ${Math.round(d.disk * 100)}%` : ''}`
        };
      }
      case 'user.request.received': {
        const d = data as MessageData<'user.request.received'>;
        const target = `user:${d.user}`;
        return {
          target,
          salience: s.userRequest,
          reason: `user.request.received: ${d.user} asks "${d.intent}"`,
          summary: `asked "${d.intent}"`
        };
      }
      case 'security.threat.detected': {
        const d = data as MessageData<'security.threat.detected'>;
        const target = d.target ?? 'system';
        const why = `${d.severity} threat ${d.threat_id} against ${target}${d.description ? `: ${d.description}` : ''}`;
        if (!this.openByCause.has(`security_threat|${d.threat_id}`)) this.alarm();
        this.openProblem('security_threat', d.threat_id, target, why, t, out, cause);
        return { target, salience: s.threat, reason: `security.threat.detected: ${why}`, summary: why };
      }
      case 'security.threat.resolved': {
        const d = data as MessageData<'security.threat.resolved'>;
        const problem = this.openProblems.get(this.openByCause.get(`security_threat|${d.threat_id}`) ?? '');
        const target = d.target ?? problem?.target ?? 'system';
        if (this.resolveCause('security_threat', d.threat_id, t, out, cause)) this.recovery();
        return {
          target,
          salience: s.threatResolved,
          reason: `security.threat.resolved: threat ${d.threat_id} resolved`,
          summary: `threat ${d.threat_id} resolved`
        };
      }
      case 'security.auth.failure': {
        const d = data as MessageData<'security.auth.failure'>;
        const target = d.user ? `user:${d.user}` : 'system';
        const why = `authentication failure${d.user ? ` for ${d.user}` : ''}${d.source_ip ? ` from ${d.source_ip}` : ''}`;
        return { target, salience: s.authFailure, reason: `security.auth.failure: ${why}`, summary: why };
      }
      case 'security.policy.violation': {
        const d = data as MessageData<'security.policy.violation'>;
        const target = d.target ?? 'system';
        const why = `${d.actor} violated ${d.policy}${d.target ? ` on ${d.target}` : ''}`;
        return { target, salience: s.policyViolation, reason: `security.policy.violation: ${why}`, summary: why };
      }
    }
  }

  private condition(service: string): ServiceCondition {
    let c = this.services.get(service);
    if (!c) {
      // Bounded like the novelty set: the oldest-seen service's condition goes first.
      if (this.services.size >= this.config.memory.maxKnownServices) {
        const oldest = this.services.keys().next().value;
        if (oldest !== undefined) this.services.delete(oldest);
      }
      c = { health: null, running: null };
      this.services.set(service, c);
    }
    return c;
  }

  /** Curiosity rises for a service never seen before. */
  private notice(service: string): void {
    if (this.knownServices.has(service)) return;
    if (this.knownServices.size >= this.config.memory.maxKnownServices) {
      const oldest = this.knownServices.values().next().value;
      if (oldest !== undefined) this.knownServices.delete(oldest);
    }
    this.knownServices.add(service);
    this.emotion.curiosity = clamp(this.emotion.curiosity + this.config.emotion.noveltyCuriosity, 0, 1);
  }

  private alarm(): void {
    const e = this.config.emotion;
    this.emotion.valence = clamp(this.emotion.valence + e.alarmValence, -1, 1);
    this.emotion.arousal = clamp(this.emotion.arousal + e.alarmArousal, 0, 1);
  }

  private recovery(): void {
    this.emotion.valence = clamp(this.emotion.valence + this.config.emotion.recoveryValence, -1, 1);
  }

  // -------------------------------------------------------------------------------------------
  // Clock, emotion, attention, memory
  // -------------------------------------------------------------------------------------------

  /** Time never runs backwards inside the engine: an earlier `now` counts as the last one. */
  private advanceClock(now: number): number {
    const t = Number.isFinite(now) ? Math.max(now, this.lastNow) : this.lastNow;
    this.lastNow = Number.isFinite(t) ? t : 0;
    return this.lastNow;
  }

  private emotionAt_(t: number): { valence: number; arousal: number; confidence: number; curiosity: number } {
    const f = halfLifeFactor(t - (this.emotionAt ?? t), this.config.emotion.halfLifeMs);
    const b = this.config.emotion.baseline;
    const e = this.emotion;
    return {
      valence: b.valence + (e.valence - b.valence) * f,
      arousal: b.arousal + (e.arousal - b.arousal) * f,
      confidence: b.confidence + (e.confidence - b.confidence) * f,
      curiosity: b.curiosity + (e.curiosity - b.curiosity) * f
    };
  }

  private relaxEmotion(t: number): void {
    if (this.emotionAt !== null && t > this.emotionAt) this.emotion = this.emotionAt_(t);
    this.emotionAt = t;
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

  private touchMemory(key: string, summary: string, t: number, out: EngineEvent[], cause: string | undefined): void {
    const m = this.config.memory;
    let item = this.working.get(key);
    if (item) {
      item.touches++;
      item.lastTouched = t;
      this.working.delete(key);
      this.working.set(key, item);
    } else {
      if (this.working.size >= m.workingCapacity) {
        const lru = this.working.keys().next().value;
        if (lru !== undefined) {
          this.working.delete(lru);
          this.emit(out, 'consciousness.memory_update', { op: 'evict', key: lru }, t, cause);
        }
      }
      item = { key, touches: 1, firstSeen: t, lastTouched: t };
      this.working.set(key, item);
      this.emit(out, 'consciousness.memory_update', { op: 'store', key, touches: 1 }, t, cause);
    }
    const known = this.longTerm.get(key);
    if (known) {
      known.lastSeen = t;
      known.touches++;
      known.summary = summary;
      this.dirtyLongTerm.add(key);
      return;
    }
    if (item.touches >= m.promoteAfterTouches) {
      if (this.longTerm.size >= m.longTermCapacity) this.forgetOldestLongTerm(t, out, cause);
      const kind: LongTermItem['kind'] = key === 'system' ? 'system' : key.startsWith('user:') ? 'user' : 'service';
      this.longTerm.set(key, {
        key,
        kind,
        firstSeen: item.firstSeen,
        promotedAt: t,
        lastSeen: t,
        touches: item.touches,
        summary
      });
      this.dirtyLongTerm.add(key);
      this.forgotten.delete(key);
      this.emit(out, 'consciousness.memory_update', { op: 'promote', key, touches: item.touches }, t, cause);
    }
  }

  private forgetOldestLongTerm(t: number, out: EngineEvent[], cause: string | undefined): void {
    let oldest: LongTermItem | null = null;
    for (const item of this.longTerm.values()) if (!oldest || item.lastSeen < oldest.lastSeen) oldest = item;
    if (!oldest) return;
    this.longTerm.delete(oldest.key);
    this.dirtyLongTerm.delete(oldest.key);
    this.forgotten.add(oldest.key);
    this.emit(out, 'consciousness.memory_update', { op: 'forget', key: oldest.key }, t, cause);
  }

  // -------------------------------------------------------------------------------------------
  // Problems, decisions, learning
  // -------------------------------------------------------------------------------------------

  private openProblem(
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
      this.emit(
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
    this.openByCause.set(causeKey, id);
    this.counters.problemsOpened++;
    this.counters.decisions++;
    this.emit(
      out,
      'consciousness.decision_made',
      { problem_id: id, kind, action: best.action, confidence: problem.confidence, rationale, target },
      t,
      cause
    );
  }

  /** Resolves the open problem with this cause, if any; true when one was resolved. */
  private resolveCause(
    kind: ProblemKind,
    key: string,
    t: number,
    out: EngineEvent[],
    cause: string | undefined
  ): boolean {
    const causeKey = `${kind}|${key}`;
    const id = this.openByCause.get(causeKey);
    if (id === undefined) return false;
    const problem = this.openProblems.get(id);
    this.openByCause.delete(causeKey);
    this.openProblems.delete(id);
    if (!problem) return false;
    problem.status = 'resolved';
    this.changedProblems.set(problem.id, problem);
    problem.resolvedAt = t;
    this.counters.problemsResolved++;
    if (problem.outcome === null) {
      const inTime = t - problem.openedAt <= this.config.problems.successWindowMs;
      this.judge(problem, inTime ? 'success' : 'failure', t, out, cause);
    }
    this.resolved.push(problem);
    if (this.resolved.length > this.config.problems.historySize) this.resolved.shift();
    return true;
  }

  /** Problems still open when their window passes are failures (judged once). */
  private judgeOverdue(t: number, out: EngineEvent[]): void {
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
    const delta = this.config.emotion.outcomeConfidence;
    this.emotion.confidence = clamp(this.emotion.confidence + (outcome === 'success' ? delta : -delta), 0, 1);
    this.emit(
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

  // -------------------------------------------------------------------------------------------
  // Focus, mode, state_change
  // -------------------------------------------------------------------------------------------

  private evaluate(t: number, out: EngineEvent[], reason: string | null, cause: string | undefined): void {
    this.judgeOverdue(t, out);
    this.updateFocus(t, out, reason, cause);
    const state = this.currentState(t, this.emotion);
    if (state.mode !== this.mode) {
      this.emit(out, 'consciousness.learning_event', { kind: 'mode', from: this.mode, to: state.mode }, t, cause);
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
    this.emit(out, 'consciousness.attention_shift', { from, to: next, weight, reason: why }, t, cause);
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
        l.memoryWeight * (this.working.size / this.config.memory.workingCapacity) +
        l.problemsWeight * (this.openProblems.size / l.problemsFull),
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
      open_problems: this.openProblems.size
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
    this.emit(out, 'consciousness.state_change', state, t, cause);
  }

  private emit<T extends EngineOutputType>(
    out: EngineEvent[],
    type: T,
    data: MessageData<T>,
    t: number,
    cause: string | undefined
  ): void {
    const event: EngineEvent<T> = { type, data, priority: PRIORITY[type], time: t };
    if (cause !== undefined) event.correlationid = cause;
    out.push(event as unknown as EngineEvent);
    this.counters.events++;
  }
}
