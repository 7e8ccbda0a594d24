/**
 * Durability procedures and events (docs/architecture.md §4): the outbox, its dead letters (DLQ), the circuit
 * breakers and the emergency switch.
 */
import { z } from 'zod';
import { event, procedure } from './define';
import { IsoTime } from './schemas';

export const OutboxStatusSchema = z.enum(['pending', 'processing', 'retrying', 'completed', 'dead']);
export const MessagePrioritySchema = z.enum(['low', 'normal', 'high', 'critical']);

export const OutboxCountsSchema = z.object({
  pending: z.number().int(),
  processing: z.number().int(),
  retrying: z.number().int(),
  completed: z.number().int(),
  dead: z.number().int()
});

export const OutboxStatsSchema = z.object({
  counts: OutboxCountsSchema,
  /** Creation time of the oldest message not yet delivered. */
  oldestUndeliveredAt: IsoTime.nullable(),
  /** Its age in milliseconds when the stats were taken. */
  oldestUndeliveredAgeMs: z.number().nullable(),
  /** Publishes of this core waiting for their PubAck. */
  inFlight: z.number().int(),
  /** Whether this core is draining right now (connected, publish breaker not open). */
  draining: z.boolean(),
  /** Optional drain rate limit, messages per second; null for none. */
  rateLimitPerSec: z.number().nullable(),
  /** Messages this core delivered since it started. */
  deliveredTotal: z.number().int(),
  /** Of those, how many JetStream reported as duplicates (already stored). */
  duplicatesTotal: z.number().int(),
  time: IsoTime
});
export type OutboxStatsPayload = z.infer<typeof OutboxStatsSchema>;

export const OutboxEntrySchema = z.object({
  id: z.string(),
  subject: z.string(),
  priority: MessagePrioritySchema,
  status: OutboxStatusSchema,
  attempts: z.number().int(),
  nextAttemptAt: IsoTime,
  lastError: z.string().nullable(),
  size: z.number().int(),
  createdAt: IsoTime,
  updatedAt: IsoTime,
  stream: z.string().nullable(),
  seq: z.number().int().nullable(),
  duplicate: z.boolean().nullable()
});
export type OutboxEntryPayload = z.infer<typeof OutboxEntrySchema>;

const PageInput = {
  limit: z.number().int().min(1).max(10_000).default(100),
  offset: z.number().int().min(0).default(0)
};

/** Which dead letters an operation targets: some ids, or all of them. */
export const DlqTargetSchema = z.union([
  z.object({ ids: z.array(z.string().min(1)).min(1).max(10_000) }).strict(),
  z.object({ all: z.literal(true) }).strict()
]);

export const BreakerOperationSchema = z.enum(['connect', 'publish', 'subscribe', 'jetstream-api']);
export type BreakerOperation = z.infer<typeof BreakerOperationSchema>;
export const BreakerStateSchema = z.enum(['closed', 'open', 'half-open', 'isolated']);
export type BreakerStateName = z.infer<typeof BreakerStateSchema>;

export const BreakerStatusSchema = z.object({
  operation: BreakerOperationSchema,
  state: BreakerStateSchema,
  since: IsoTime,
  consecutiveFailures: z.number().int(),
  /** How many times it opened since the core started. */
  openedCount: z.number().int(),
  lastError: z.string().nullable()
});
export type BreakerStatus = z.infer<typeof BreakerStatusSchema>;

export const EmergencySchema = z.object({
  active: z.boolean(),
  since: IsoTime.nullable(),
  reason: z.string().nullable()
});

export const BreakersReportSchema = z.object({
  /** The switch is shared by every process on the data directory (kept in SQLite). */
  emergency: EmergencySchema,
  /** This core's breakers. */
  breakers: z.array(BreakerStatusSchema),
  /** Breakers reported by the other cores running on the same data directory. */
  others: z.array(
    z.object({
      owner: z.string(),
      pid: z.number().int(),
      host: z.string(),
      updatedAt: IsoTime,
      breakers: z.array(BreakerStatusSchema)
    })
  ),
  time: IsoTime
});
export type BreakersReport = z.infer<typeof BreakersReportSchema>;

export const durabilityProcedures = {
  'outbox.stats': procedure(
    z.object({}).strict(),
    OutboxStatsSchema,
    'Outbox counts by status and the oldest undelivered age'
  ),
  'outbox.list': procedure(
    z.object({ status: OutboxStatusSchema, ...PageInput }).strict(),
    z.object({ entries: z.array(OutboxEntrySchema) }),
    'Outbox rows of one status, newest change first'
  ),
  'outbox.setRateLimit': procedure(
    z.object({ perSecond: z.number().positive().max(10_000_000).nullable() }).strict(),
    z.object({ perSecond: z.number().nullable() }),
    'Limit how fast the outbox drains (null for no limit); shared by every core on the data directory'
  ),
  'dlq.list': procedure(
    z.object(PageInput).strict(),
    z.object({ entries: z.array(OutboxEntrySchema), total: z.number().int() }),
    'Dead letters: messages that failed 10 attempts'
  ),
  'dlq.retry': procedure(
    DlqTargetSchema,
    z.object({ count: z.number().int() }),
    'Put dead letters back in the outbox with a fresh attempt budget'
  ),
  'dlq.discard': procedure(DlqTargetSchema, z.object({ count: z.number().int() }), 'Delete dead letters'),
  'resilience.breakers': procedure(
    z.object({}).strict(),
    BreakersReportSchema,
    'Circuit breaker states and the emergency switch'
  ),
  'resilience.emergency': procedure(
    z.object({ active: z.boolean(), reason: z.string().max(500).optional() }).strict(),
    BreakersReportSchema,
    'Emergency switch: force every breaker open (active) or release them'
  )
} as const;

export const durabilityEvents = {
  'outbox.stats': event(OutboxStatsSchema, 'Outbox counts, pushed when they change (at most a few times a second)', {
    latestOnly: true
  }),
  'resilience.breakers': event(BreakersReportSchema, 'Breaker states, pushed on every change', { latestOnly: true })
} as const;
