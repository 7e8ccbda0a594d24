/**
 * Every number the consciousness engine uses (DESIGN §3), in one place. The engine reads only
 * this object, so an operator or a test can change a rule's parameters without touching code.
 */
import type { ProblemKind, StrategyAction } from '../contract/messages';

export interface EngineConfig {
  attention: {
    /** Weights halve every this many ms. */
    halfLifeMs: number;
    /** The focus must weigh at least this much. */
    focusThreshold: number;
    /** Another target must beat the focus by this much to take it (hysteresis). */
    hysteresis: number;
    /** What each kind of input adds to its target's weight (capped at 1). */
    salience: {
      unhealthy: number;
      threat: number;
      userRequest: number;
      stoppedUnexpectedly: number;
      stoppedExpectedly: number;
      resourceHigh: number;
      resourceNormal: number;
      degraded: number;
      started: number;
      healthy: number;
      authFailure: number;
      policyViolation: number;
      threatResolved: number;
    };
    /** A resource value above this is "high" (salience resourceHigh). */
    resourceHighAbove: number;
    /** Targets lighter than this are forgotten on tick. */
    forgetBelow: number;
    /** At most this many targets are tracked; the lightest goes first. */
    maxTargets: number;
  };
  emotion: {
    halfLifeMs: number;
    baseline: { valence: number; arousal: number; confidence: number; curiosity: number };
    /** On a service turning unhealthy or a new threat. */
    alarmValence: number;
    alarmArousal: number;
    /** On a recovery (a problem's cause clears, a degraded service turns healthy). */
    recoveryValence: number;
    /** On a service never seen before. */
    noveltyCuriosity: number;
    /** ± on a decision outcome (success / failure). */
    outcomeConfidence: number;
  };
  load: {
    /** Input rate is measured over this window. */
    windowMs: number;
    /** Inputs per second that count as full capacity. */
    capacityPerSecond: number;
    rateWeight: number;
    memoryWeight: number;
    problemsWeight: number;
    /** Open problems that count as full. */
    problemsFull: number;
  };
  learning: {
    /** focused when load is above this. */
    focusedAbove: number;
    /** exploratory when load is below this and curiosity above exploratoryCuriosityAbove. */
    exploratoryBelow: number;
    exploratoryCuriosityAbove: number;
  };
  memory: {
    workingCapacity: number;
    /** An item touched this many times is promoted to long-term memory. */
    promoteAfterTouches: number;
    longTermCapacity: number;
    /** How many services the novelty check remembers. */
    maxKnownServices: number;
  };
  problems: {
    /** A resource above this opens a resource_exhaustion problem. */
    resourceOpenAbove: number;
    /** The problem clears when every resource is at or below this. */
    resourceClearAtOrBelow: number;
    /** Resolved within this window: success. Still open when it passes: failure (judged once). */
    successWindowMs: number;
    /** weight ← weight + learningRate·(outcome − weight). */
    learningRate: number;
    actions: StrategyAction[];
    /** Prior weights per problem kind before anything is learned. */
    initialWeights: Record<ProblemKind, Record<StrategyAction, number>>;
    /** Stop reasons (or exit code 0) that make a stop expected. */
    expectedStopReasons: string[];
    maxOpen: number;
    /** Resolved problems kept for the views. */
    historySize: number;
  };
  stateChange: {
    minIntervalMs: number;
    /** A numeric value must move at least this much (focus or mode changes always count). */
    minDelta: number;
  };
}

/** The defaults of DESIGN §3. */
export const DEFAULT_ENGINE_CONFIG: EngineConfig = {
  attention: {
    halfLifeMs: 30_000,
    focusThreshold: 0.2,
    hysteresis: 0.1,
    salience: {
      unhealthy: 1.0,
      threat: 1.0,
      userRequest: 0.8,
      stoppedUnexpectedly: 0.7,
      // Not in the design table: an orderly stop is worth a glance, like a start.
      stoppedExpectedly: 0.2,
      resourceHigh: 0.7,
      resourceNormal: 0,
      degraded: 0.6,
      started: 0.2,
      healthy: 0.1,
      authFailure: 0.4,
      policyViolation: 0.5,
      threatResolved: 0.1
    },
    resourceHighAbove: 0.9,
    forgetBelow: 0.001,
    maxTargets: 1000
  },
  emotion: {
    halfLifeMs: 60_000,
    baseline: { valence: 0, arousal: 0.3, confidence: 0.5, curiosity: 0.5 },
    alarmValence: -0.2,
    alarmArousal: 0.2,
    recoveryValence: 0.15,
    noveltyCuriosity: 0.1,
    outcomeConfidence: 0.1
  },
  load: {
    windowMs: 10_000,
    capacityPerSecond: 50,
    rateWeight: 0.5,
    memoryWeight: 0.3,
    problemsWeight: 0.2,
    problemsFull: 5
  },
  learning: { focusedAbove: 0.75, exploratoryBelow: 0.3, exploratoryCuriosityAbove: 0.6 },
  memory: { workingCapacity: 7, promoteAfterTouches: 3, longTermCapacity: 1000, maxKnownServices: 10_000 },
  problems: {
    resourceOpenAbove: 0.95,
    resourceClearAtOrBelow: 0.95,
    successWindowMs: 60_000,
    learningRate: 0.2,
    actions: ['investigate', 'restart_service', 'scale_out', 'notify_operator'],
    initialWeights: {
      service_unhealthy: { investigate: 0.5, restart_service: 0.6, scale_out: 0.3, notify_operator: 0.4 },
      service_stopped: { investigate: 0.4, restart_service: 0.7, scale_out: 0.2, notify_operator: 0.4 },
      security_threat: { investigate: 0.5, restart_service: 0.1, scale_out: 0.1, notify_operator: 0.7 },
      resource_exhaustion: { investigate: 0.4, restart_service: 0.2, scale_out: 0.6, notify_operator: 0.4 }
    },
    expectedStopReasons: ['requested', 'shutdown', 'maintenance', 'scale_in', 'deploy', 'upgrade'],
    maxOpen: 1000,
    historySize: 200
  },
  stateChange: { minIntervalMs: 1000, minDelta: 0.1 }
};

export type DeepPartial<T> = { [K in keyof T]?: T[K] extends unknown[] ? T[K] : T[K] extends object ? DeepPartial<T[K]> : T[K] };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function merge<T>(base: T, override: unknown): T {
  if (!isPlainObject(base) || !isPlainObject(override)) return (override === undefined ? base : override) as T;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) {
    if (value !== undefined) out[key] = merge((base as Record<string, unknown>)[key], value);
  }
  return out as T;
}

/** The defaults with some values replaced. */
export function resolveEngineConfig(overrides: DeepPartial<EngineConfig> = {}): EngineConfig {
  return merge(structuredClone(DEFAULT_ENGINE_CONFIG), overrides);
}
