/**
 * The application messages of Syn_OS on NATS (docs/architecture.md §2): the CloudEvents 1.0 envelope and one
 * zod schema per event type — engine outputs, orchestrator inputs, security events, heartbeat,
 * metrics summary and alerts — each with examples ({@link EXAMPLES}) that the tests validate.
 *
 * {@link validateEnvelope} turns raw bytes (or a parsed object) into a typed envelope, or into a
 * precise reason an operator can act on. Part of the contract: imports only zod.
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

// ---------------------------------------------------------------------------------------------
// Examples (valid data per type), used by the tests and the simulator's documentation
// ---------------------------------------------------------------------------------------------

/** At least one valid `data` per message type. */
export const EXAMPLES: { readonly [T in MessageType]: readonly MessageData<T>[] } = {
  'consciousness.state_change': [
    {
      focus: 'payments',
      valence: -0.2,
      arousal: 0.5,
      confidence: 0.5,
      curiosity: 0.6,
      load: 0.42,
      mode: 'adaptive',
      open_problems: 1
    },
    {
      focus: null,
      valence: 0,
      arousal: 0.3,
      confidence: 0.5,
      curiosity: 0.5,
      load: 0,
      mode: 'adaptive',
      open_problems: 0
    }
  ],
  'consciousness.attention_shift': [
    { from: null, to: 'payments', weight: 1, reason: 'service.health.update: payments is unhealthy' },
    { from: 'payments', to: null, weight: 0.19, reason: 'attention on payments decayed below 0.2' }
  ],
  'consciousness.memory_update': [
    { op: 'store', key: 'payments', touches: 1 },
    { op: 'promote', key: 'payments', touches: 3 },
    { op: 'evict', key: 'user:alice' }
  ],
  'consciousness.decision_made': [
    {
      problem_id: 'p-17',
      kind: 'service_unhealthy',
      action: 'restart_service',
      confidence: 0.6,
      rationale: 'restart_service has the highest learned weight for service_unhealthy (0.60)',
      target: 'payments'
    }
  ],
  'consciousness.learning_event': [
    { kind: 'mode', from: 'adaptive', to: 'focused' },
    {
      kind: 'strategy',
      problem_kind: 'service_unhealthy',
      action: 'restart_service',
      success: true,
      weight: 0.68,
      problem_id: 'p-17'
    }
  ],
  'consciousness.error': [{ code: 'INVALID_INPUT_DATA', message: 'service.health.update: status: Invalid option' }],
  'service.lifecycle.started': [
    { service: 'payments', instance: 'payments-1', version: '2.4.1' },
    { service: 'search' }
  ],
  'service.lifecycle.stopped': [
    { service: 'payments', reason: 'crashed', exit_code: 137 },
    { service: 'search', reason: 'requested', exit_code: 0 }
  ],
  'service.health.update': [
    { service: 'payments', status: 'unhealthy', detail: 'readiness probe failed 3 times' },
    { service: 'payments', status: 'healthy' }
  ],
  'system.resource.update': [
    { cpu: 0.42, memory: 0.61, disk: 0.3 },
    { cpu: 0.97, memory: 0.5 }
  ],
  'user.request.received': [{ request_id: 'r-1001', user: 'alice', intent: 'show failing services', priority: 'high' }],
  'security.auth.failure': [
    { user: 'mallory', source_ip: '203.0.113.7', method: 'password', reason: 'bad password', attempts: 5 }
  ],
  'security.threat.detected': [
    {
      threat_id: 't-42',
      severity: 'high',
      target: 'payments',
      category: 'intrusion',
      description: 'port scan from 203.0.113.7',
      source_ip: '203.0.113.7'
    }
  ],
  'security.threat.resolved': [{ threat_id: 't-42', target: 'payments', resolution: 'source blocked at the firewall' }],
  'security.policy.violation': [
    {
      policy: 'no-root-containers',
      actor: 'deploy-bot',
      target: 'search',
      detail: 'container runs as uid 0',
      severity: 'medium'
    }
  ],
  'health.heartbeat': [
    { service: 'control_center', instance: 'workstation-1', status: 'healthy', version: '0.1.0', uptime_s: 120 }
  ],
  'metrics.summary': [
    {
      service: 'control_center',
      instance: 'workstation-1',
      window_s: 30,
      inbound: {
        received: 1500,
        accepted: 1498,
        invalid: 2,
        invalid_by_reason: { not_json: 2 },
        naks: 0,
        rate_per_s: 50
      },
      outbound: { published: 40, failed: 0, dropped: 0 },
      engine: {
        focus: 'payments',
        valence: -0.1,
        arousal: 0.4,
        confidence: 0.5,
        curiosity: 0.5,
        load: 0.55,
        mode: 'adaptive',
        open_problems: 1,
        events_emitted: 20,
        errors: 0
      },
      rss_bytes: 123_456_789
    }
  ],
  'alert.notification': [
    {
      rule: 'nats_disconnected',
      severity: 'ERROR',
      state: 'firing',
      target: 'nats://127.0.0.1:4222',
      message: 'NATS disconnected for more than 10 s',
      since: '2026-01-01T00:00:00.000Z',
      value: 12,
      threshold: 10
    }
  ]
};

/** A complete example envelope for a type (tests, docs). */
export function exampleEnvelope<T extends MessageType>(type: T, index = 0): Envelope<MessageData<T>> {
  const data = EXAMPLES[type][index];
  if (data === undefined) throw new RangeError(`no example ${index} for ${type}`);
  return {
    specversion: '1.0',
    id: `example-${type}-${index}`,
    source: 'synos/examples',
    type,
    time: '2026-01-01T00:00:00.000Z',
    datacontenttype: 'application/json',
    data
  };
}

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

/** Why a message was rejected; the invalid-messages table counts by these. */
export const INVALID_REASONS = [
  'oversized',
  'binary',
  'not_json',
  'not_envelope',
  'unknown_type',
  'wrong_type',
  'invalid_data'
] as const;
export type InvalidReason = (typeof INVALID_REASONS)[number];
export const InvalidReasonSchema = z.enum(INVALID_REASONS);

export interface ValidationIssue {
  path: string;
  message: string;
}

export type EnvelopeValidation =
  | { ok: true; envelope: Envelope; type: MessageType }
  | { ok: false; reason: InvalidReason; message: string; issues: ValidationIssue[] };

export interface ValidateOptions {
  /** Largest accepted message in bytes (default {@link DEFAULT_MAX_MESSAGE_BYTES}). */
  maxBytes?: number;
  /** The envelope type the subject requires (inbound mapping); another type is `wrong_type`. */
  expectedType?: string;
  /** Types accepted (default: every type in {@link MESSAGE_SCHEMAS}). */
  allowedTypes?: readonly string[];
  /** Where the message came from, for the reason text. */
  subject?: string;
}

export const DEFAULT_MAX_MESSAGE_BYTES = 256 * 1024;

function formatPath(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(root)' : path.map(String).join('.');
}

function toIssues(issues: readonly z.core.$ZodIssue[], prefix: string[] = []): ValidationIssue[] {
  return issues.map((i) => ({ path: formatPath([...prefix, ...i.path]), message: i.message }));
}

function describe(issues: ValidationIssue[]): string {
  const shown = issues.slice(0, 5).map((i) => `${i.path}: ${i.message}`);
  if (issues.length > 5) shown.push(`… and ${issues.length - 5} more`);
  return shown.join('; ');
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Control characters JSON text never contains outside strings (anything below 0x20 but tab, CR, LF). */
function hasBinaryControl(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) return true;
  }
  return false;
}

const PRIORITIES = new Set<string>(PrioritySchema.options);
/** A strict subset of what z.iso.datetime({ offset: true }) accepts; anything else goes to zod. */
const FAST_ISO =
  /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,9})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/;

function isText(value: unknown, max: number): value is string {
  return typeof value === 'string' && value.length >= 1 && value.length <= max;
}

/**
 * The common case without zod's per-object overhead: a well-formed envelope. Returns null when
 * anything is unusual, and the zod schema then decides (and explains).
 */
function fastEnvelope(v: Record<string, unknown>): Envelope | null {
  if (v.specversion !== '1.0' || v.datacontenttype !== 'application/json') return null;
  if (!isText(v.id, 200) || !isText(v.source, 500) || !isText(v.type, 200)) return null;
  if (typeof v.time !== 'string' || !FAST_ISO.test(v.time)) return null;
  if (v.priority !== undefined && !(typeof v.priority === 'string' && PRIORITIES.has(v.priority))) return null;
  if (v.correlationid !== undefined && !isText(v.correlationid, 200)) return null;
  if (v.synosepoch !== undefined && !(Number.isSafeInteger(v.synosepoch) && (v.synosepoch as number) >= 0)) return null;
  const env: Envelope = {
    specversion: '1.0',
    id: v.id,
    source: v.source,
    type: v.type,
    time: v.time,
    datacontenttype: 'application/json',
    data: v.data
  };
  if (v.priority !== undefined) env.priority = v.priority as Priority;
  if (v.correlationid !== undefined) env.correlationid = v.correlationid as string;
  if (v.synosepoch !== undefined) env.synosepoch = v.synosepoch as number;
  return env;
}

function fail(reason: InvalidReason, message: string, issues: ValidationIssue[] = []): EnvelopeValidation {
  return { ok: false, reason, message, issues };
}

/**
 * Checks a message end to end: size, text, JSON, envelope, type, and `data` against its schema.
 * Accepts the raw bytes from NATS, a string, or an already parsed object. Never throws.
 */
export function validateEnvelope(
  input: Uint8Array | string | unknown,
  options: ValidateOptions = {}
): EnvelopeValidation {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const where = options.subject ? ` on ${options.subject}` : '';
  let value: unknown = input;
  if (input instanceof Uint8Array || typeof input === 'string') {
    let text: string;
    if (input instanceof Uint8Array) {
      if (input.length > maxBytes) {
        return fail('oversized', `message${where} is ${input.length} bytes, more than the ${maxBytes}-byte limit`);
      }
      if (input.length === 0) return fail('not_json', `message${where} is empty; expected a JSON CloudEvents envelope`);
      try {
        text = strictUtf8.decode(input);
      } catch {
        return fail('binary', `message${where} is not valid UTF-8; expected UTF-8 JSON text`);
      }
    } else {
      text = input;
      // String length is in UTF-16 units; it is a lower bound of the UTF-8 size, good enough for a limit.
      if (text.length > maxBytes) {
        return fail(
          'oversized',
          `message${where} is at least ${text.length} bytes, more than the ${maxBytes}-byte limit`
        );
      }
    }
    try {
      value = JSON.parse(text);
    } catch (error) {
      // JSON never holds raw control bytes (other than whitespace), so checking only on failure is enough.
      if (input instanceof Uint8Array && hasBinaryControl(input)) {
        return fail('binary', `message${where} contains binary control bytes; expected UTF-8 JSON text`);
      }
      const detail = error instanceof Error ? error.message : String(error);
      return fail('not_json', `message${where} is not JSON (${detail})`);
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
    return fail('not_envelope', `message${where} is ${kind}, not a CloudEvents envelope object`);
  }
  let env = fastEnvelope(value as Record<string, unknown>);
  if (env === null) {
    const envelope = EnvelopeSchema.safeParse(value);
    if (!envelope.success) {
      const issues = toIssues(envelope.error.issues);
      return fail('not_envelope', `message${where} is not a CloudEvents 1.0 envelope: ${describe(issues)}`, issues);
    }
    env = envelope.data as Envelope;
  }
  const type = env.type;
  if (options.expectedType !== undefined && type !== options.expectedType) {
    return fail('wrong_type', `message${where} has type "${type}", but this subject carries "${options.expectedType}"`);
  }
  const allowed = options.allowedTypes;
  if (!Object.prototype.hasOwnProperty.call(MESSAGE_SCHEMAS, type) || (allowed && !allowed.includes(type))) {
    return fail('unknown_type', `message${where} has type "${type}", which is not a known Syn_OS event type here`);
  }
  const schema = MESSAGE_SCHEMAS[type as MessageType] as z.ZodType;
  const data = schema.safeParse(env.data);
  if (!data.success) {
    const issues = toIssues(data.error.issues, ['data']);
    return fail('invalid_data', `${type}${where}: ${describe(issues)}`, issues);
  }
  env.data = data.data;
  return { ok: true, envelope: env, type: type as MessageType };
}

/** Parses one type's data; the engine uses it for inputs handed to it directly. */
export function parseMessageData<T extends MessageType>(
  type: T,
  data: unknown
): { ok: true; data: MessageData<T> } | { ok: false; message: string } {
  const parsed = (MESSAGE_SCHEMAS[type] as z.ZodType).safeParse(data);
  if (parsed.success) return { ok: true, data: parsed.data as MessageData<T> };
  return { ok: false, message: `${type}: ${describe(toIssues(parsed.error.issues, ['data']))}` };
}

export function isMessageType(value: string): value is MessageType {
  return Object.prototype.hasOwnProperty.call(MESSAGE_SCHEMAS, value);
}
