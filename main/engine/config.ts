/**
 * Every number the consciousness engine uses (docs/architecture.md §3), in one place. The engine reads only
 * this object, so an operator or a test can change a rule's parameters without touching code.
 */
import { z } from 'zod';
import { ProblemKindSchema, StrategyActionSchema, type ProblemKind, type StrategyAction } from '../contract/messages';

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

/** The defaults of docs/architecture.md §3. */
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

export type DeepPartial<T> = {
  [K in keyof T]?: T[K] extends unknown[] ? T[K] : T[K] extends object ? DeepPartial<T[K]> : T[K];
};

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

/** The defaults (or `base`) with some values replaced; arrays are replaced whole. */
export function resolveEngineConfig(
  overrides: DeepPartial<EngineConfig> = {},
  base: EngineConfig = DEFAULT_ENGINE_CONFIG
): EngineConfig {
  return merge(structuredClone(base), overrides);
}

// ---------------------------------------------------------------------------------------------
// The `engine` section of config.json
// ---------------------------------------------------------------------------------------------

const unit = z.number().min(0).max(1);
const signedUnit = z.number().min(-1).max(1);
const DAY_MS = 86_400_000;
/** A duration that must pass for anything to happen: a zero half-life or window would divide by zero. */
const positiveMs = z.number().int().min(1).max(DAY_MS);
const count = (min: number, max: number) => z.number().int().min(min).max(max);

/**
 * Any subset of {@link EngineConfig}, as an operator writes it in config.json (`engine`), with
 * bounds that keep the engine's arithmetic meaningful (weights in [0,1], half-lives > 0,
 * capacities > 0). Unknown keys are errors, so a typo never passes silently.
 */
export const EngineConfigFileSchema = z
  .object({
    attention: z
      .object({
        halfLifeMs: positiveMs,
        focusThreshold: unit,
        hysteresis: unit,
        salience: z
          .object({
            unhealthy: unit,
            threat: unit,
            userRequest: unit,
            stoppedUnexpectedly: unit,
            stoppedExpectedly: unit,
            resourceHigh: unit,
            resourceNormal: unit,
            degraded: unit,
            started: unit,
            healthy: unit,
            authFailure: unit,
            policyViolation: unit,
            threatResolved: unit
          })
          .partial()
          .strict(),
        resourceHighAbove: unit,
        forgetBelow: unit,
        maxTargets: count(1, 1_000_000)
      })
      .partial()
      .strict(),
    emotion: z
      .object({
        halfLifeMs: positiveMs,
        baseline: z
          .object({ valence: signedUnit, arousal: unit, confidence: unit, curiosity: unit })
          .partial()
          .strict(),
        alarmValence: signedUnit,
        alarmArousal: signedUnit,
        recoveryValence: signedUnit,
        noveltyCuriosity: signedUnit,
        outcomeConfidence: unit
      })
      .partial()
      .strict(),
    load: z
      .object({
        windowMs: count(100, DAY_MS),
        capacityPerSecond: z.number().positive().max(10_000_000),
        rateWeight: unit,
        memoryWeight: unit,
        problemsWeight: unit,
        problemsFull: count(1, 100_000)
      })
      .partial()
      .strict(),
    learning: z
      .object({ focusedAbove: unit, exploratoryBelow: unit, exploratoryCuriosityAbove: unit })
      .partial()
      .strict(),
    memory: z
      .object({
        workingCapacity: count(1, 10_000),
        promoteAfterTouches: count(1, 10_000),
        longTermCapacity: count(1, 1_000_000),
        maxKnownServices: count(1, 10_000_000)
      })
      .partial()
      .strict(),
    problems: z
      .object({
        resourceOpenAbove: unit,
        resourceClearAtOrBelow: unit,
        successWindowMs: positiveMs,
        learningRate: z.number().gt(0).max(1),
        actions: z
          .array(StrategyActionSchema)
          .min(1)
          .refine((a) => new Set(a).size === a.length, 'must not list an action twice'),
        initialWeights: z.partialRecord(ProblemKindSchema, z.partialRecord(StrategyActionSchema, unit)),
        expectedStopReasons: z.array(z.string().trim().min(1).max(200)).max(1000),
        maxOpen: count(1, 1_000_000),
        historySize: count(0, 100_000)
      })
      .partial()
      .strict(),
    stateChange: z
      .object({ minIntervalMs: count(0, DAY_MS), minDelta: unit })
      .partial()
      .strict()
  })
  .partial()
  .strict();
export type EngineConfigFile = z.infer<typeof EngineConfigFileSchema>;

/**
 * Rules between values that hold only once the file's section is merged onto the defaults.
 * Each issue names its field under `engine`.
 */
export function engineConfigIssues(config: EngineConfig): Array<{ field: string; message: string }> {
  const issues: Array<{ field: string; message: string }> = [];
  if (config.problems.resourceClearAtOrBelow > config.problems.resourceOpenAbove) {
    issues.push({
      field: 'problems.resourceClearAtOrBelow',
      message: `must be at most problems.resourceOpenAbove (${config.problems.resourceOpenAbove}), or a resource problem would clear while still open`
    });
  }
  if (config.learning.exploratoryBelow > config.learning.focusedAbove) {
    issues.push({
      field: 'learning.exploratoryBelow',
      message: `must be at most learning.focusedAbove (${config.learning.focusedAbove})`
    });
  }
  return issues;
}

/** The values of `config` that differ from the defaults, by dotted path (what an operator changed). */
export function engineConfigChanges(config: EngineConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const walk = (value: unknown, base: unknown, prefix: string): void => {
    if (isPlainObject(value) && isPlainObject(base)) {
      for (const key of Object.keys(value)) walk(value[key], base[key], prefix ? `${prefix}.${key}` : key);
      return;
    }
    if (JSON.stringify(value) !== JSON.stringify(base)) out[prefix] = value;
  };
  walk(config, DEFAULT_ENGINE_CONFIG, '');
  return out;
}
