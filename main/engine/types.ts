/**
 * The engine's data: what goes in (EngineInput), what comes out (EngineEvent), and the state it
 * keeps, shows, persists and hands over to the next leader.
 */
import type { EngineOutputType, MessageData, Priority, ProblemKind, StrategyAction } from '../contract/messages';

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

export interface ServiceCondition {
  health: 'healthy' | 'degraded' | 'unhealthy' | null;
  running: boolean | null;
}
