/**
 * The Engine, Security and Overview views' part of the contract: engine state (snapshot and
 * pushed updates), recent engine events, problems and decisions with their outcomes, long-term
 * memory, strategy weights, security events, invalid messages, bridge status and the health of
 * services seen on `health.>`.
 */
import { z } from 'zod';
import { event, procedure } from './define';
import {
  AttentionShiftDataSchema,
  DecisionMadeDataSchema,
  EngineErrorDataSchema,
  InvalidReasonSchema,
  LearningEventDataSchema,
  MemoryUpdateDataSchema,
  PrioritySchema,
  ProblemKindSchema,
  SECURITY_EVENT_TYPES,
  SeveritySchema,
  StateChangeDataSchema,
  StrategyActionSchema,
  ENGINE_OUTPUT_TYPES
} from './messages';
import { IsoTime } from './schemas';

const Empty = z.object({}).strict();
const limit = (max: number, fallback: number) => z.number().int().min(1).max(max).default(fallback);

export const EngineOutputTypeSchema = z.enum(ENGINE_OUTPUT_TYPES);

export const EngineSnapshotSchema = z.object({
  state: StateChangeDataSchema,
  /** Targets by weight, heaviest first. */
  attention: z.array(z.object({ target: z.string(), weight: z.number() })),
  /** Most recently touched first. */
  workingMemory: z.array(
    z.object({ key: z.string(), touches: z.number().int(), firstSeen: IsoTime, lastTouched: IsoTime })
  ),
  inputRatePerSecond: z.number(),
  counters: z.object({
    inputs: z.number().int(),
    events: z.number().int(),
    errors: z.number().int(),
    decisions: z.number().int(),
    problemsOpened: z.number().int(),
    problemsResolved: z.number().int()
  }),
  updatedAt: IsoTime
});
export type EngineSnapshotView = z.infer<typeof EngineSnapshotSchema>;

const eventBase = {
  /** Envelope id (= Nats-Msg-Id of the outbound publish). */
  id: z.string(),
  time: IsoTime,
  priority: PrioritySchema,
  correlationid: z.string().optional(),
  /** The subjects it was handed to the publisher on. */
  subjects: z.array(z.string())
};

export const EngineEventRecordSchema = z.discriminatedUnion('type', [
  z.object({ ...eventBase, type: z.literal('consciousness.state_change'), data: StateChangeDataSchema }),
  z.object({ ...eventBase, type: z.literal('consciousness.attention_shift'), data: AttentionShiftDataSchema }),
  z.object({ ...eventBase, type: z.literal('consciousness.memory_update'), data: MemoryUpdateDataSchema }),
  z.object({ ...eventBase, type: z.literal('consciousness.decision_made'), data: DecisionMadeDataSchema }),
  z.object({ ...eventBase, type: z.literal('consciousness.learning_event'), data: LearningEventDataSchema }),
  z.object({ ...eventBase, type: z.literal('consciousness.error'), data: EngineErrorDataSchema })
]);
export type EngineEventRecord = z.infer<typeof EngineEventRecordSchema>;

export const ProblemSchema = z.object({
  id: z.string(),
  kind: ProblemKindSchema,
  target: z.string(),
  trigger: z.string(),
  openedAt: IsoTime,
  status: z.enum(['open', 'resolved']),
  resolvedAt: IsoTime.nullable(),
  action: StrategyActionSchema,
  confidence: z.number(),
  rationale: z.string(),
  outcome: z.enum(['success', 'failure']).nullable(),
  judgedAt: IsoTime.nullable(),
  weightAfter: z.number().nullable()
});
export type ProblemView = z.infer<typeof ProblemSchema>;

export const LongTermItemSchema = z.object({
  key: z.string(),
  kind: z.enum(['service', 'system', 'user']),
  firstSeen: IsoTime,
  promotedAt: IsoTime,
  lastSeen: IsoTime,
  touches: z.number().int(),
  summary: z.string()
});

export const StrategyWeightSchema = z.object({
  problemKind: ProblemKindSchema,
  action: StrategyActionSchema,
  weight: z.number(),
  successes: z.number().int(),
  failures: z.number().int(),
  updatedAt: IsoTime.nullable()
});

export const SecurityEventTypeSchema = z.enum(SECURITY_EVENT_TYPES);

export const SecurityEventSchema = z.object({
  id: z.string(),
  seq: z.number().int(),
  /** The envelope's time. */
  time: IsoTime,
  receivedAt: IsoTime,
  type: SecurityEventTypeSchema,
  severity: SeveritySchema,
  source: z.string(),
  target: z.string().nullable(),
  summary: z.string(),
  data: z.record(z.string(), z.unknown())
});
export type SecurityEventView = z.infer<typeof SecurityEventSchema>;

export const InvalidMessageSchema = z.object({
  id: z.number().int(),
  receivedAt: IsoTime,
  subject: z.string(),
  stream: z.string().nullable(),
  streamSeq: z.number().int().nullable(),
  reason: InvalidReasonSchema,
  message: z.string(),
  issues: z.array(z.object({ path: z.string(), message: z.string() })),
  rawSize: z.number().int(),
  /** True when only the first bytes were kept. */
  truncated: z.boolean(),
  /** The kept bytes as text when they are valid UTF-8, else null. */
  rawText: z.string().nullable(),
  rawBase64: z.string()
});
export type InvalidMessageView = z.infer<typeof InvalidMessageSchema>;

export const InboundConsumerSchema = z.object({
  stream: z.string(),
  durable: z.string(),
  bound: z.boolean(),
  received: z.number().int(),
  lastError: z.string().nullable()
});

export const BridgeStatusSchema = z.object({
  running: z.boolean(),
  consumers: z.array(InboundConsumerSchema),
  inbound: z.object({
    received: z.number().int(),
    accepted: z.number().int(),
    invalid: z.number().int(),
    naks: z.number().int(),
    /** Redeliveries of inputs already committed (acked without stepping the engine again). */
    duplicates: z.number().int(),
    invalidByReason: z.record(z.string(), z.number().int())
  }),
  outbound: z.object({
    published: z.number().int(),
    failed: z.number().int(),
    dropped: z.number().int(),
    queued: z.number().int(),
    /** Which publisher carries outbound messages (outbox or direct JetStream). */
    publisher: z.string()
  }),
  heartbeat: z.object({ subject: z.string(), intervalMs: z.number().int(), lastAt: IsoTime.nullable() }),
  metricsSummary: z.object({ subject: z.string(), intervalMs: z.number().int(), lastAt: IsoTime.nullable() }),
  /** Engine event type → orchestrator subject; null when config.json turned that forward off. */
  outboundMapping: z.record(z.string(), z.string().nullable()),
  inboundMapping: z.record(z.string(), z.string())
});
export type BridgeStatus = z.infer<typeof BridgeStatusSchema>;

export const ServiceHealthSchema = z.object({
  service: z.string(),
  instance: z.string(),
  status: z.string(),
  version: z.string().nullable(),
  uptimeS: z.number().nullable(),
  detail: z.string().nullable(),
  subject: z.string(),
  lastSeen: IsoTime,
  /** Nothing heard for three heartbeat intervals (30 s by default). */
  stale: z.boolean()
});

/** One inbound message that caused a decision, and where it sits in its stream (for the message browser). */
export const DecisionInputSchema = z.object({
  /** The CloudEvent's id and source (together unique per event). */
  id: z.string(),
  source: z.string(),
  type: z.string(),
  /** The envelope's own time, as sent. */
  time: z.string(),
  subject: z.string(),
  stream: z.string(),
  /** Stream sequence of the message as delivered; null when the delivery carried none. */
  seq: z.number().int().nullable(),
  /** The durable consumer that delivered it. */
  durable: z.string(),
  /** Which delivery of the message stepped the engine (1 = the first). */
  deliveryCount: z.number().int()
});
export type DecisionInputView = z.infer<typeof DecisionInputSchema>;

/** An output of the input that caused the decision, with what JetStream acknowledged for it. */
export const DecisionOutputSchema = z.object({
  /** Envelope id = Nats-Msg-Id. */
  id: z.string(),
  type: EngineOutputTypeSchema,
  subject: z.string(),
  /**
   * From the outbox row: pending (not yet acknowledged, retrying included), published (PubAck
   * received: stream, seq), dead (a dead letter: lastError says why), or unknown (no outbox row:
   * sent by the direct publisher, or the row was pruned after delivery).
   */
  state: z.enum(['pending', 'published', 'dead', 'unknown']),
  stream: z.string().nullable(),
  seq: z.number().int().nullable(),
  /** JetStream reported the publish as a duplicate of one it already had. */
  duplicate: z.boolean().nullable(),
  attempts: z.number().int().nullable(),
  lastError: z.string().nullable()
});
export type DecisionOutputView = z.infer<typeof DecisionOutputSchema>;

/** Why a decision was made: recorded in the same transaction as the decision itself. */
export const DecisionWhySchema = z.object({
  /** The problem id (`p-…`), which is the decision's id. */
  decisionId: z.string(),
  /** Envelope id of the consciousness.decision_made output. */
  messageId: z.string(),
  decidedAt: IsoTime,
  decision: DecisionMadeDataSchema,
  inputs: z.array(DecisionInputSchema),
  /** The engine right after it took the input: emotion, load, mode, focus and the heaviest attention targets. */
  state: z.object({
    state: StateChangeDataSchema,
    attention: z.array(z.object({ target: z.string(), weight: z.number() })),
    inputRatePerSecond: z.number()
  }),
  /** The chosen action and its learned weight, with the weights of the actions not chosen. */
  strategy: z.object({
    kind: ProblemKindSchema,
    action: StrategyActionSchema,
    weight: z.number(),
    alternatives: z.array(z.object({ action: StrategyActionSchema, weight: z.number() }))
  }),
  outputs: z.array(DecisionOutputSchema)
});
export type DecisionWhy = z.infer<typeof DecisionWhySchema>;

/** Input families of the timeline: the first token of the input's CloudEvents type. */
export const INPUT_FAMILIES = ['service', 'system', 'user', 'security'] as const;
export const InputFamilySchema = z.enum(INPUT_FAMILIES);

export const TimelineEventSchema = z.object({
  at: IsoTime,
  kind: z.enum(['decision', 'attention', 'mode', 'learning']),
  /** In words ("payments → orders", "restart_service for service_unhealthy on payments"). */
  label: z.string(),
  /** A decision's problem id (the why panel opens it), or the problem a learning event judged. */
  decisionId: z.string().nullable(),
  /** A decision's input: its family, stream and sequence, when its provenance is recorded. */
  input: z
    .object({ family: InputFamilySchema.nullable(), stream: z.string(), seq: z.number().int().nullable() })
    .nullable()
});
export type TimelineEvent = z.infer<typeof TimelineEventSchema>;

export const EngineTimelineSchema = z.object({
  from: IsoTime,
  to: IsoTime,
  events: z.array(TimelineEventSchema),
  /** Inputs taken per second by family (seconds with none are left out), counted by this core since it started. */
  inputs: z.array(
    z.object({
      at: IsoTime,
      service: z.number().int(),
      system: z.number().int(),
      user: z.number().int(),
      security: z.number().int()
    })
  ),
  /** When this core began counting inputs (null: it takes none: a standby, an observer, a one-shot command). */
  inputsSince: IsoTime.nullable(),
  /** Load, valence and mode (0 focused, 1 adaptive, 2 exploratory) as the engine reported them, oldest first. */
  series: z.array(z.object({ at: IsoTime, load: z.number(), valence: z.number(), mode: z.number().int() }))
});
export type EngineTimeline = z.infer<typeof EngineTimelineSchema>;

export const engineProcedures = {
  'engine.state': procedure(
    Empty,
    EngineSnapshotSchema,
    'The engine now: focus, emotion, load, mode, attention, working memory'
  ),
  'engine.events': procedure(
    z.object({ limit: limit(2000, 200), types: z.array(EngineOutputTypeSchema).optional() }).strict(),
    z.array(EngineEventRecordSchema),
    'Recent engine events, newest first'
  ),
  'engine.problems': procedure(
    z.object({ status: z.enum(['open', 'resolved', 'all']).default('all'), limit: limit(1000, 200) }).strict(),
    z.array(ProblemSchema),
    'Problems with the decision taken and its outcome, newest first'
  ),
  'engine.memory': procedure(
    z.object({ limit: limit(5000, 500), query: z.string().max(200).optional() }).strict(),
    z.object({ longTerm: z.array(LongTermItemSchema), total: z.number().int() }),
    'Long-term memory (persisted), most recently seen first'
  ),
  'engine.why': procedure(
    z.object({ id: z.string().min(1).max(200) }).strict(),
    DecisionWhySchema,
    'Why a decision was made: its input messages (stream, seq), the engine state then, the strategy and weight, and its outputs with their PubAck state. NOT_FOUND for an id no decision of this data directory has'
  ),
  'engine.timeline': procedure(
    z.object({ minutes: z.number().int().min(1).max(1440).default(60) }).strict(),
    EngineTimelineSchema,
    'The engine over the last minutes: decisions, attention shifts, mode changes and learning (events, problems and decision provenance), inputs per second by family, and load / valence / mode'
  ),
  'engine.strategies': procedure(
    Empty,
    z.array(StrategyWeightSchema),
    'Learned strategy weights per problem kind and action'
  ),
  'security.events': procedure(
    z
      .object({
        types: z.array(SecurityEventTypeSchema).optional(),
        minSeverity: SeveritySchema.optional(),
        target: z.string().max(200).optional(),
        since: IsoTime.optional(),
        beforeSeq: z.number().int().optional(),
        limit: limit(1000, 200)
      })
      .strict(),
    z.object({ items: z.array(SecurityEventSchema), countsBySeverity: z.record(z.string(), z.number().int()) }),
    'Security events received on SECURITY_EVENTS, newest first, filtered'
  ),
  'bridge.invalidMessages': procedure(
    z
      .object({
        reason: InvalidReasonSchema.optional(),
        beforeId: z.number().int().optional(),
        limit: limit(1000, 100)
      })
      .strict(),
    z.object({
      counts: z.record(z.string(), z.number().int()),
      total: z.number().int(),
      items: z.array(InvalidMessageSchema)
    }),
    'Rejected inbound messages with their reason, and counts by reason'
  ),
  'bridge.status': procedure(
    Empty,
    BridgeStatusSchema,
    'Inbound consumers, counters, publisher, heartbeat and mappings'
  ),
  'health.services': procedure(
    Empty,
    z.array(ServiceHealthSchema),
    'Services heard on health.> (heartbeats), with their last status'
  )
} as const;

export const engineEvents = {
  'engine.state': event(EngineSnapshotSchema, 'The engine state, a few times a second at most', {
    latestOnly: true,
    maxQueued: 5
  }),
  'engine.event': event(EngineEventRecordSchema, 'Each event the engine emits', { maxQueued: 500 }),
  'security.event': event(SecurityEventSchema, 'Each security event received', { maxQueued: 500 }),
  'bridge.invalidMessage': event(InvalidMessageSchema, 'Each rejected inbound message', { maxQueued: 200 })
} as const;
