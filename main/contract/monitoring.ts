/**
 * Monitoring: alerts (list, acknowledge, rule settings, pushed transitions) and the metrics the
 * Metrics view charts (a snapshot with a bounded time series, and one pushed sample per interval).
 */
import { z } from 'zod';
import { event, procedure } from './define';
import { IsoTime } from './schemas';
import { ConnectionStateSchema } from './connection';
import { AlertSeveritySchema } from './messages';

/** Severities, lowest first (the schema lives with the `alert.notification` message). ERROR and CRITICAL raise a desktop notification. */
export const ALERT_SEVERITIES = AlertSeveritySchema.options;
export type AlertSeverity = z.infer<typeof AlertSeveritySchema>;

/** The stable ids of the alert rules (docs/architecture.md §5). */
export const ALERT_RULE_IDS = [
  'nats.disconnected',
  'breaker.open',
  'emergency.mode',
  'outbox.backlog',
  'dlq.nonempty',
  'consumer.pending',
  'consumer.ack_pending',
  'stream.usage',
  'kv.usage',
  'publish.p99',
  'invalid.rate',
  'engine.overload',
  'server.unhealthy',
  'server.jetstream_storage',
  'server.slow_consumers',
  'engine.no_leader',
  'database.unwritable'
] as const;
export const AlertRuleIdSchema = z.enum(ALERT_RULE_IDS);
export type AlertRuleId = z.infer<typeof AlertRuleIdSchema>;

/** firing: the condition holds; acknowledged: it holds and an operator has seen it; resolved: it cleared. */
export const AlertStateSchema = z.enum(['firing', 'acknowledged', 'resolved']);
export type AlertState = z.infer<typeof AlertStateSchema>;

export const AlertSchema = z.object({
  id: z.number().int(),
  rule: AlertRuleIdSchema,
  /** What the alert is about: `connection`, a breaker, `STREAM`, `STREAM/consumer`, … (dedupe key with rule). */
  target: z.string(),
  severity: AlertSeveritySchema,
  state: AlertStateSchema,
  message: z.string(),
  /** The measured value when the alert last changed (unit of the rule). */
  value: z.number().nullable(),
  threshold: z.number().nullable(),
  /** When it started firing. */
  since: IsoTime,
  resolvedAt: IsoTime.nullable(),
  acknowledgedAt: IsoTime.nullable(),
  acknowledgedBy: z.string().nullable(),
  updatedAt: IsoTime
});
export type Alert = z.infer<typeof AlertSchema>;

export const AlertTransitionKindSchema = z.enum(['fired', 'escalated', 'deescalated', 'acknowledged', 'resolved']);
export type AlertTransitionKind = z.infer<typeof AlertTransitionKindSchema>;

export const AlertTransitionSchema = z.object({
  id: z.number().int(),
  alertId: z.number().int(),
  kind: AlertTransitionKindSchema,
  severity: AlertSeveritySchema,
  at: IsoTime,
  value: z.number().nullable(),
  message: z.string(),
  /** When it was handed to the publisher for `alert.<severity>.<rule>`; null while waiting. */
  publishedAt: IsoTime.nullable()
});
export type AlertTransition = z.infer<typeof AlertTransitionSchema>;

export const AlertListInputSchema = z
  .object({
    /** `active` = firing or acknowledged (the default); `all` includes resolved ones. */
    state: z.enum(['active', 'firing', 'acknowledged', 'resolved', 'all']).default('active'),
    severity: z.array(AlertSeveritySchema).min(1).optional(),
    rule: AlertRuleIdSchema.optional(),
    target: z.string().min(1).max(300).optional(),
    limit: z.number().int().min(1).max(5000).default(500),
    /** Only alerts with an id below this one (paging, newest first). */
    beforeId: z.number().int().min(1).optional()
  })
  .strict();

export const AlertListSchema = z.object({
  alerts: z.array(AlertSchema),
  /** How many match the filters in total (for "showing n of m"). */
  total: z.number().int()
});

export const RuleUnitSchema = z.enum(['seconds', 'count', 'ratio', 'per_minute']);

export const RuleValuesSchema = z.object({
  enabled: z.boolean(),
  /** The condition fires when the measured value is above this. */
  threshold: z.number(),
  /** At or above this the alert is CRITICAL; null when the rule has one level only. */
  criticalThreshold: z.number().nullable(),
  severity: AlertSeveritySchema,
  /** The condition must hold this long before the alert fires. */
  forSeconds: z.number()
});
export type RuleValues = z.infer<typeof RuleValuesSchema>;

export const RuleSettingSchema = RuleValuesSchema.extend({
  rule: AlertRuleIdSchema,
  title: z.string(),
  description: z.string(),
  unit: RuleUnitSchema,
  defaults: RuleValuesSchema,
  /** When an operator last edited it; null while on the defaults. */
  updatedAt: IsoTime.nullable()
});
export type RuleSetting = z.infer<typeof RuleSettingSchema>;

export const RuleSetInputSchema = z
  .object({
    rule: AlertRuleIdSchema,
    enabled: z.boolean().optional(),
    threshold: z.number().finite().min(0).optional(),
    criticalThreshold: z.number().finite().min(0).nullable().optional(),
    severity: AlertSeveritySchema.optional(),
    forSeconds: z.number().finite().min(0).max(86_400).optional()
  })
  .strict();
export type RuleSetInput = z.infer<typeof RuleSetInputSchema>;

export const AlertTransitionEventSchema = z.object({ transition: AlertTransitionSchema, alert: AlertSchema });
export type AlertTransitionEvent = z.infer<typeof AlertTransitionEventSchema>;

/** One point of the Metrics view's time series. Rates are per second over the last interval. */
export const MetricsSampleSchema = z.object({
  time: IsoTime,
  connected: z.boolean(),
  publishedPerSecond: z.number(),
  receivedPerSecond: z.number(),
  invalidPerSecond: z.number(),
  /** Publish latency (to PubAck) over the recent window; null without samples. */
  publishP50Seconds: z.number().nullable(),
  publishP99Seconds: z.number().nullable(),
  handlerP99Seconds: z.number().nullable(),
  /** Outbox rows not yet completed (pending + processing + retrying); null without an outbox. */
  outboxBacklog: z.number().nullable(),
  outboxDead: z.number().nullable(),
  breakersOpen: z.number().nullable(),
  engineLoad: z.number().nullable(),
  engineValence: z.number().nullable()
});
export type MetricsSample = z.infer<typeof MetricsSampleSchema>;

export const MetricsSnapshotSchema = z.object({
  time: IsoTime,
  /** Where /metrics is served (http://127.0.0.1:P/metrics), or null when off. */
  endpoint: z.string().nullable(),
  sampleIntervalMs: z.number().int(),
  connection: z.object({ state: ConnectionStateSchema, offlineSince: IsoTime.nullable() }),
  totals: z.object({ published: z.number(), received: z.number(), invalid: z.number() }),
  /** The newest sample; null before the first one. */
  current: MetricsSampleSchema.nullable(),
  outbox: z
    .object({
      pending: z.number(),
      processing: z.number(),
      retrying: z.number(),
      dead: z.number(),
      completed: z.number(),
      oldestPendingAgeSeconds: z.number().nullable()
    })
    .nullable(),
  breakers: z
    .array(z.object({ name: z.string(), state: z.enum(['closed', 'open', 'half-open', 'isolated']) }))
    .nullable(),
  emergency: z.boolean().nullable(),
  consumers: z
    .array(z.object({ stream: z.string(), consumer: z.string(), pending: z.number(), ackPending: z.number() }))
    .nullable(),
  streams: z
    .array(
      z.object({
        stream: z.string(),
        messages: z.number(),
        bytes: z.number(),
        maxMsgs: z.number(),
        maxBytes: z.number(),
        /** max(messages/max_msgs, bytes/max_bytes) over the limits that are set; 0 when unlimited. */
        usage: z.number()
      })
    )
    .nullable(),
  /** When streams/consumers were last sampled from JetStream; null if never. */
  snapshotAt: IsoTime.nullable(),
  engine: z.object({ load: z.number(), valence: z.number() }).nullable(),
  alerts: z.object({ active: z.number().int(), bySeverity: z.record(AlertSeveritySchema, z.number().int()) }),
  /** Oldest first, bounded. */
  series: z.array(MetricsSampleSchema)
});
export type MetricsSnapshot = z.infer<typeof MetricsSnapshotSchema>;

export const monitoringProcedures = {
  'alerts.list': procedure(
    AlertListInputSchema,
    AlertListSchema,
    'Alerts, newest first, filtered by state/severity/rule/target'
  ),
  'alerts.history': procedure(
    z.object({ id: z.number().int().min(1) }).strict(),
    z.object({ alert: AlertSchema, transitions: z.array(AlertTransitionSchema) }),
    'One alert with every transition it went through'
  ),
  'alerts.acknowledge': procedure(
    z.object({ id: z.number().int().min(1), by: z.string().min(1).max(100).optional() }).strict(),
    AlertSchema,
    'Acknowledge a firing alert (idempotent)'
  ),
  'alerts.rules': procedure(
    z.object({}).strict(),
    z.array(RuleSettingSchema),
    'Every alert rule with its current and default settings'
  ),
  'alerts.rules.set': procedure(
    RuleSetInputSchema,
    RuleSettingSchema,
    'Change a rule (threshold, severity, enabled, for); persisted'
  ),
  'alerts.rules.reset': procedure(
    z.object({ rule: AlertRuleIdSchema }).strict(),
    RuleSettingSchema,
    'Put a rule back on its defaults'
  ),
  'metrics.snapshot': procedure(
    z.object({ seriesLimit: z.number().int().min(0).max(10_000).optional() }).strict(),
    MetricsSnapshotSchema,
    'Current metrics and the recent time series for the Metrics view'
  ),
  'metrics.text': procedure(
    z.object({}).strict(),
    z.object({ contentType: z.string(), text: z.string() }),
    'The Prometheus exposition text, as /metrics serves it'
  )
} as const;

export const monitoringEvents = {
  'alerts.transition': event(
    AlertTransitionEventSchema,
    'An alert fired, changed severity, was acknowledged or resolved',
    {
      maxQueued: 500
    }
  ),
  'metrics.sample': event(MetricsSampleSchema, 'One metrics sample per sampling interval', { maxQueued: 120 })
} as const;
