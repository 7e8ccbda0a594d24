/**
 * The application messages of Syn_OS on NATS (docs/architecture.md §2): the CloudEvents 1.0 envelope and one
 * zod schema per event type — engine outputs, orchestrator inputs, security events, heartbeat,
 * metrics summary and alerts — and the subjects they travel on. Part of the contract: imports only zod.
 */
import { z } from 'zod';

// ---------------------------------------------------------------------------------------------
// Envelope
// ---------------------------------------------------------------------------------------------

export const PrioritySchema = z.enum(['low', 'normal', 'high', 'critical']);
export type Priority = z.infer<typeof PrioritySchema>;

/** CloudEvents 1.0, structured JSON mode. Extension attributes other than ours are tolerated. */
export const EnvelopeSchema = z.object({
  specversion: z.literal('1.0'),
  id: z.string().min(1).max(200),
  source: z.string().min(1).max(500),
  type: z.string().min(1).max(200),
  time: z.iso.datetime({ offset: true }),
  datacontenttype: z.literal('application/json'),
  data: z.unknown(),
  priority: PrioritySchema.optional(),
  correlationid: z.string().min(1).max(200).optional(),
  /**
   * The leader lease's epoch (fencing token) of the engine term that produced this output; a
   * consumer that has seen a higher epoch can drop it. Absent on messages not made by the engine.
   */
  synosepoch: z.number().int().min(0).optional()
});
export type Envelope<T = unknown> = Omit<z.infer<typeof EnvelopeSchema>, 'data'> & { data: T };

const unit = z.number().min(0).max(1);
const name = z.string().min(1).max(200);

// ---------------------------------------------------------------------------------------------
// Engine outputs (consciousness.<type>)
// ---------------------------------------------------------------------------------------------

export const LearningModeSchema = z.enum(['focused', 'adaptive', 'exploratory']);
export type LearningMode = z.infer<typeof LearningModeSchema>;

export const ProblemKindSchema = z.enum([
  'service_unhealthy',
  'service_stopped',
  'security_threat',
  'resource_exhaustion'
]);
export type ProblemKind = z.infer<typeof ProblemKindSchema>;

export const StrategyActionSchema = z.enum(['investigate', 'restart_service', 'scale_out', 'notify_operator']);
export type StrategyAction = z.infer<typeof StrategyActionSchema>;

export const StateChangeDataSchema = z.object({
  focus: z.string().nullable(),
  valence: z.number().min(-1).max(1),
  arousal: unit,
  confidence: unit,
  curiosity: unit,
  load: unit,
  mode: LearningModeSchema,
  open_problems: z.number().int().min(0)
});

export const AttentionShiftDataSchema = z.object({
  from: z.string().nullable(),
  to: z.string().nullable(),
  weight: unit,
  reason: z.string()
});

export const MemoryUpdateDataSchema = z.object({
  /** store: new working-memory item; promote: to long-term; evict: out of working memory (LRU); forget: out of long-term (bound). */
  op: z.enum(['store', 'promote', 'evict', 'forget']),
  key: name,
  touches: z.number().int().min(0).optional()
});

export const DecisionMadeDataSchema = z.object({
  problem_id: name,
  kind: ProblemKindSchema,
  action: StrategyActionSchema,
  confidence: unit,
  rationale: z.string(),
  /** The service, `system` or threat target the problem is about. */
  target: z.string().optional()
});

export const LearningEventDataSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('mode'), from: LearningModeSchema, to: LearningModeSchema }),
  z.object({
    kind: z.literal('strategy'),
    problem_kind: ProblemKindSchema,
    action: StrategyActionSchema,
    success: z.boolean(),
    weight: unit,
    problem_id: z.string().optional()
  })
]);

export const EngineErrorDataSchema = z.object({ code: z.string().min(1), message: z.string() });

// ---------------------------------------------------------------------------------------------
// Orchestrator inputs (orchestrator.service.*, orchestrator.system.*, orchestrator.user.*)
// ---------------------------------------------------------------------------------------------

export const ServiceHealthStatusSchema = z.enum(['healthy', 'degraded', 'unhealthy']);
export type ServiceHealthStatus = z.infer<typeof ServiceHealthStatusSchema>;

export const ServiceStartedDataSchema = z.object({
  service: name,
  instance: z.string().max(200).optional(),
  version: z.string().max(100).optional()
});
export const ServiceStoppedDataSchema = z.object({
  service: name,
  reason: z.string().max(500).optional(),
  exit_code: z.number().int().optional()
});
export const ServiceHealthDataSchema = z.object({
  service: name,
  status: ServiceHealthStatusSchema,
  detail: z.string().max(2000).optional()
});
export const ResourceDataSchema = z.object({ cpu: unit, memory: unit, disk: unit.optional() });
export const UserRequestDataSchema = z.object({
  request_id: name,
  user: name,
  intent: z.string().min(1).max(2000),
  priority: PrioritySchema.optional()
});

// ---------------------------------------------------------------------------------------------
// Security events (security.*)
// ---------------------------------------------------------------------------------------------

export const SeveritySchema = z.enum(['low', 'medium', 'high', 'critical']);
export type Severity = z.infer<typeof SeveritySchema>;

export const AuthFailureDataSchema = z.object({
  user: z.string().max(200).optional(),
  source_ip: z.string().max(100).optional(),
  method: z.string().max(100).optional(),
  reason: z.string().max(500).optional(),
  attempts: z.number().int().min(1).optional(),
  severity: SeveritySchema.optional()
});
export const ThreatDetectedDataSchema = z.object({
  threat_id: name,
  severity: SeveritySchema,
  /** The service (or `system`) under threat. */
  target: z.string().min(1).max(200).optional(),
  category: z.string().max(100).optional(),
  description: z.string().max(2000).optional(),
  source_ip: z.string().max(100).optional()
});
export const ThreatResolvedDataSchema = z.object({
  threat_id: name,
  target: z.string().min(1).max(200).optional(),
  resolution: z.string().max(2000).optional()
});
export const PolicyViolationDataSchema = z.object({
  policy: name,
  actor: name,
  target: z.string().max(200).optional(),
  detail: z.string().max(2000).optional(),
  severity: SeveritySchema.optional()
});

// ---------------------------------------------------------------------------------------------
// The control center's own messages: heartbeat, metrics summary, alerts
// ---------------------------------------------------------------------------------------------

export const HeartbeatDataSchema = z.object({
  service: name,
  instance: z.string().max(200),
  status: z.enum(['healthy', 'degraded', 'unhealthy', 'starting', 'stopping']),
  version: z.string().max(100).optional(),
  uptime_s: z.number().min(0),
  detail: z.string().max(2000).optional()
});

export const MetricsSummaryDataSchema = z.object({
  service: name,
  instance: z.string().max(200),
  window_s: z.number().min(0),
  inbound: z.object({
    received: z.number().int().min(0),
    accepted: z.number().int().min(0),
    invalid: z.number().int().min(0),
    invalid_by_reason: z.record(z.string(), z.number().int().min(0)),
    naks: z.number().int().min(0),
    rate_per_s: z.number().min(0)
  }),
  outbound: z.object({
    published: z.number().int().min(0),
    failed: z.number().int().min(0),
    dropped: z.number().int().min(0)
  }),
  engine: StateChangeDataSchema.extend({ events_emitted: z.number().int().min(0), errors: z.number().int().min(0) }),
  rss_bytes: z.number().int().min(0)
});

export const AlertSeveritySchema = z.enum(['INFO', 'WARNING', 'ERROR', 'CRITICAL']);
export const AlertDataSchema = z.object({
  rule: name,
  severity: AlertSeveritySchema,
  state: z.enum(['firing', 'resolved', 'acknowledged']),
  target: z.string().max(500),
  message: z.string().max(4000),
  since: z.iso.datetime({ offset: true }),
  value: z.number().optional(),
  threshold: z.number().optional()
});

// ---------------------------------------------------------------------------------------------
// The registry: one schema per envelope `type`
// ---------------------------------------------------------------------------------------------

export const MESSAGE_SCHEMAS = {
  'consciousness.state_change': StateChangeDataSchema,
  'consciousness.attention_shift': AttentionShiftDataSchema,
  'consciousness.memory_update': MemoryUpdateDataSchema,
  'consciousness.decision_made': DecisionMadeDataSchema,
  'consciousness.learning_event': LearningEventDataSchema,
  'consciousness.error': EngineErrorDataSchema,
  'service.lifecycle.started': ServiceStartedDataSchema,
  'service.lifecycle.stopped': ServiceStoppedDataSchema,
  'service.health.update': ServiceHealthDataSchema,
  'system.resource.update': ResourceDataSchema,
  'user.request.received': UserRequestDataSchema,
  'security.auth.failure': AuthFailureDataSchema,
  'security.threat.detected': ThreatDetectedDataSchema,
  'security.threat.resolved': ThreatResolvedDataSchema,
  'security.policy.violation': PolicyViolationDataSchema,
  'health.heartbeat': HeartbeatDataSchema,
  'metrics.summary': MetricsSummaryDataSchema,
  'alert.notification': AlertDataSchema
} as const;

export type MessageType = keyof typeof MESSAGE_SCHEMAS;
export const MESSAGE_TYPES = Object.keys(MESSAGE_SCHEMAS) as [MessageType, ...MessageType[]];
export type MessageData<T extends MessageType> = z.infer<(typeof MESSAGE_SCHEMAS)[T]>;

export const ENGINE_OUTPUT_TYPES = [
  'consciousness.state_change',
  'consciousness.attention_shift',
  'consciousness.memory_update',
  'consciousness.decision_made',
  'consciousness.learning_event',
  'consciousness.error'
] as const satisfies readonly MessageType[];
export type EngineOutputType = (typeof ENGINE_OUTPUT_TYPES)[number];

export const ORCHESTRATOR_INPUT_TYPES = [
  'service.lifecycle.started',
  'service.lifecycle.stopped',
  'service.health.update',
  'system.resource.update',
  'user.request.received'
] as const satisfies readonly MessageType[];

export const SECURITY_EVENT_TYPES = [
  'security.auth.failure',
  'security.threat.detected',
  'security.threat.resolved',
  'security.policy.violation'
] as const satisfies readonly MessageType[];
export type SecurityEventType = (typeof SECURITY_EVENT_TYPES)[number];

/** Everything the engine takes as input. */
export const ENGINE_INPUT_TYPES = [...ORCHESTRATOR_INPUT_TYPES, ...SECURITY_EVENT_TYPES] as const;
export type EngineInputType = (typeof ENGINE_INPUT_TYPES)[number];

/** docs/architecture.md §2, outbound: engine event type → orchestrator subject (the engine event itself goes on its own type). */
export const DEFAULT_OUTBOUND_MAPPING: Readonly<Record<EngineOutputType, string>> = {
  'consciousness.state_change': 'orchestrator.consciousness.state',
  'consciousness.attention_shift': 'orchestrator.consciousness.attention',
  'consciousness.memory_update': 'orchestrator.consciousness.memory',
  'consciousness.decision_made': 'orchestrator.consciousness.decision',
  'consciousness.learning_event': 'orchestrator.consciousness.learning',
  'consciousness.error': 'orchestrator.consciousness.error'
};

/** docs/architecture.md §2, inbound: orchestrator subject → engine input type (= the envelope `type` expected there). */
export const DEFAULT_INBOUND_MAPPING: Readonly<Record<string, EngineInputType>> = {
  'orchestrator.service.started': 'service.lifecycle.started',
  'orchestrator.service.stopped': 'service.lifecycle.stopped',
  'orchestrator.service.health': 'service.health.update',
  'orchestrator.system.resource': 'system.resource.update',
  'orchestrator.user.request': 'user.request.received'
};

/** The control center's own subjects. */
export const HEARTBEAT_SUBJECT = 'health.control_center';
export const METRICS_SUMMARY_SUBJECT = 'metrics.control_center';
export function alertSubject(severity: z.infer<typeof AlertSeveritySchema>, rule: string): string {
  return `alert.${severity.toLowerCase()}.${rule}`;
}
