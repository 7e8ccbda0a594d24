/**
 * JetStream operations: provisioning with drift, inspection of any stream and consumer, the
 * message browser, destructive actions behind an explicit confirmation, and the snapshot cache
 * that answers while disconnected (marked `cached: true` with the snapshot's time).
 */
import { z } from 'zod';
import { event, procedure } from './define';
import { IsoTime } from './schemas';
import { ServerInfoSchema } from './system';

// ---------------------------------------------------------------------------------------------
// Provisioning

const DiffValue = z.union([z.string(), z.number(), z.boolean(), z.array(z.string()), z.null()]);

/** One field that differs between the desired topology and the server. */
export const ProvisionDifferenceSchema = z.object({
  /** Config field in natscli's spelling: max_msgs, max_age, storage, filter_subject, … */
  field: z.string(),
  want: DiffValue,
  have: DiffValue,
  /** Human form used in `want X, have Y` (durations as 24h, 7d, …). */
  wantText: z.string(),
  haveText: z.string(),
  /** True when it cannot be changed in place (storage type …) or the server refused the update. */
  blocked: z.boolean(),
  reason: z.string().optional()
});
export type ProvisionDifference = z.infer<typeof ProvisionDifferenceSchema>;

export const ProvisionStatusSchema = z.enum([
  'created',
  'updated',
  'unchanged',
  /** At least one difference cannot be fixed in place; fixable ones were applied (apply mode). */
  'blocked',
  /** Check mode: does not exist; provision would create it. */
  'missing',
  /** Check mode: differs and every difference can be fixed in place. */
  'drift',
  'failed'
]);

export const ProvisionItemSchema = z.object({
  kind: z.enum(['stream', 'consumer']),
  /** Stream name, or STREAM/durable for a consumer. */
  name: z.string(),
  stream: z.string(),
  status: ProvisionStatusSchema,
  differences: z.array(ProvisionDifferenceSchema),
  error: z.string().optional()
});
export type ProvisionItem = z.infer<typeof ProvisionItemSchema>;

/** Which shape the bridge's inbound durables take on the connected server, and why. */
export const BridgeConsumerShapeSchema = z.object({
  /** per-family: one durable per inbound family (nats-server 2.9); filtered: one durable with filter_subjects (≥ 2.10). */
  shape: z.enum(['per-family', 'filtered']),
  durables: z.array(z.string()),
  reason: z.string(),
  /** The filtered durable does not exist yet and per-family durables with state do: the bridge's leader hands over. */
  handoverPending: z.boolean(),
  /** Per-family durables still on the server although the filtered shape is in use (STREAM/durable). */
  retired: z.array(z.string())
});
export type BridgeConsumerShape = z.infer<typeof BridgeConsumerShapeSchema>;

export const ProvisionReportSchema = z.object({
  mode: z.enum(['apply', 'check']),
  time: IsoTime,
  serverVersion: z.string().nullable(),
  replicas: z.number().int(),
  duplicateWindowMs: z.number().int(),
  streams: z.array(ProvisionItemSchema),
  consumers: z.array(ProvisionItemSchema),
  bridgeConsumers: BridgeConsumerShapeSchema.optional(),
  summary: z.object({
    created: z.number().int(),
    updated: z.number().int(),
    unchanged: z.number().int(),
    blocked: z.number().int(),
    missing: z.number().int(),
    drift: z.number().int(),
    failed: z.number().int()
  }),
  /** True when the server now matches the desired topology (apply) or already does (check). */
  inSync: z.boolean()
});
export type ProvisionReport = z.infer<typeof ProvisionReportSchema>;

export const ProvisionInputSchema = z
  .object({
    /** Replicas for every stream (clusters: 3). Defaults to the configured value. */
    replicas: z.number().int().min(1).max(5).optional(),
    /** Dedupe window for Nats-Msg-Id, milliseconds. */
    duplicateWindowMs: z
      .number()
      .int()
      .min(1000)
      .max(7 * 24 * 3_600_000)
      .optional()
  })
  .strict();

// ---------------------------------------------------------------------------------------------
// Inspection

const StreamName = z
  .string()
  .trim()
  .min(1)
  .max(255)
  .regex(/^[^\s.*>/\\]+$/, 'a stream name has no spaces, dots, *, >, / or \\');
const ConsumerName = StreamName;

/** Present on every answer the snapshot cache can give: live answers say cached: false. */
const CacheMark = {
  cached: z.boolean(),
  /** When the data was read from the server (the snapshot's time when cached). */
  snapshotTime: IsoTime
};

export const ClusterPeerSchema = z.object({
  name: z.string(),
  current: z.boolean(),
  offline: z.boolean(),
  /** Milliseconds since the peer was last seen. */
  activeMs: z.number().nullable(),
  lag: z.number().nullable()
});

export const StreamClusterSchema = z.object({
  name: z.string().nullable(),
  leader: z.string().nullable(),
  replicas: z.array(ClusterPeerSchema)
});
export type StreamCluster = z.infer<typeof StreamClusterSchema>;

export const StreamSummarySchema = z.object({
  name: z.string(),
  description: z.string().nullable(),
  subjects: z.array(z.string()),
  storage: z.string(),
  retention: z.string(),
  replicas: z.number().int(),
  messages: z.number(),
  bytes: z.number(),
  firstSeq: z.number(),
  lastSeq: z.number(),
  firstTime: IsoTime.nullable(),
  lastTime: IsoTime.nullable(),
  consumerCount: z.number().int(),
  /** -1 means unlimited, as NATS reports it. */
  maxMsgs: z.number(),
  maxBytes: z.number(),
  maxAgeMs: z.number(),
  /** messages / max_msgs, 0–1; null when unlimited. */
  usageMsgs: z.number().nullable(),
  /** bytes / max_bytes, 0–1; null when unlimited. */
  usageBytes: z.number().nullable(),
  created: IsoTime,
  /** The cluster leader, when clustered. */
  leader: z.string().nullable()
});
export type StreamSummary = z.infer<typeof StreamSummarySchema>;

export const StreamListSchema = z.object({ ...CacheMark, streams: z.array(StreamSummarySchema) });
export type StreamList = z.infer<typeof StreamListSchema>;

export const StreamDetailSchema = z.object({
  ...CacheMark,
  stream: StreamSummarySchema,
  /** The stream configuration as the server returns it (snake_case, durations in nanoseconds). */
  config: z.record(z.string(), z.unknown()),
  /** The stream state as the server returns it. */
  state: z.record(z.string(), z.unknown()),
  cluster: StreamClusterSchema.nullable()
});
export type StreamDetail = z.infer<typeof StreamDetailSchema>;

const SequencePointSchema = z.object({
  consumerSeq: z.number(),
  streamSeq: z.number(),
  lastActive: IsoTime.nullable()
});

export const ConsumerSummarySchema = z.object({
  stream: z.string(),
  name: z.string(),
  durable: z.boolean(),
  description: z.string().nullable(),
  /** filter_subject, or filter_subjects joined with ", "; null for the whole stream. */
  filter: z.string().nullable(),
  pull: z.boolean(),
  ackPolicy: z.string(),
  deliverPolicy: z.string(),
  maxDeliver: z.number(),
  ackWaitMs: z.number().nullable(),
  numPending: z.number(),
  numAckPending: z.number(),
  numRedelivered: z.number(),
  numWaiting: z.number(),
  delivered: SequencePointSchema,
  ackFloor: SequencePointSchema,
  /** The later of delivered/ack-floor activity. */
  lastActive: IsoTime.nullable(),
  created: IsoTime,
  leader: z.string().nullable(),
  /** nats-server ≥ 2.11: whether the consumer is paused, and until when. Absent on older servers. */
  paused: z.boolean().optional(),
  pauseUntil: IsoTime.nullable().optional(),
  /** nats-server ≥ 2.11: the consumer's priority groups and policy (overflow, pinned_client …). */
  priorityGroups: z.array(z.string()).optional(),
  priorityPolicy: z.string().nullable().optional(),
  /** nats-server ≥ 2.10: metadata set by users or tools (the server's own `_nats.*` keys left out). */
  metadata: z.record(z.string(), z.string()).optional()
});
export type ConsumerSummary = z.infer<typeof ConsumerSummarySchema>;

export const ConsumerListSchema = z.object({
  ...CacheMark,
  stream: z.string(),
  consumers: z.array(ConsumerSummarySchema)
});
export type ConsumerList = z.infer<typeof ConsumerListSchema>;

export const AccountOverviewSchema = z.object({
  ...CacheMark,
  server: ServerInfoSchema.nullable(),
  memory: z.number(),
  storage: z.number(),
  streams: z.number().int(),
  consumers: z.number().int(),
  /** Account limits (-1 unlimited). */
  limits: z.record(z.string(), z.unknown())
});
export type AccountOverview = z.infer<typeof AccountOverviewSchema>;

/** Destructive actions need this exact field, so nothing purges by accident. */
const Confirm = z.literal(true, { error: 'set confirm: true to confirm this destructive action' });

export const PurgeInputSchema = z
  .object({
    stream: StreamName,
    /** Only messages on this subject (wildcards allowed). */
    subject: z.string().trim().min(1).max(512).optional(),
    /** Keep this many of the newest messages. */
    keep: z.number().int().min(1).optional(),
    confirm: Confirm
  })
  .strict();

export const DeleteMessageInputSchema = z
  .object({
    stream: StreamName,
    seq: z.number().int().min(1),
    /** Overwrite the stored bytes too (slower). */
    erase: z.boolean().optional(),
    confirm: Confirm
  })
  .strict();

export const PauseConsumerInputSchema = z
  .object({
    stream: StreamName,
    consumer: ConsumerName,
    /** Deliver nothing until this time (the server resumes it then on its own). */
    until: z.iso.datetime({ offset: true }).refine((v) => Date.parse(v) > Date.now(), {
      message: 'the pause must end in the future'
    })
  })
  .strict();

export const ConsumerRefInputSchema = z.object({ stream: StreamName, consumer: ConsumerName }).strict();

/** What the connected server offers, for gating features in the UI and CLI. */
export const ServerFeaturesSchema = z.object({
  version: z.string().nullable(),
  /** JetStream API level from `$JS.API.INFO` (2.11+); null on older servers. */
  apiLevel: z.number().int().nullable(),
  features: z.array(z.object({ id: z.string(), label: z.string(), since: z.string(), available: z.boolean() }))
});
export type ServerFeatures = z.infer<typeof ServerFeaturesSchema>;

// ---------------------------------------------------------------------------------------------
// Message browser

export const PayloadFormatSchema = z.enum(['json', 'text', 'binary', 'empty']);

export const BrowsedMessageSchema = z.object({
  seq: z.number().int(),
  subject: z.string(),
  time: IsoTime,
  headers: z.record(z.string(), z.array(z.string())).nullable(),
  /** Stored size of the payload in bytes. */
  size: z.number().int(),
  format: PayloadFormatSchema,
  /** The payload (possibly truncated) as base64; the UI renders JSON / text / hex from it. */
  payloadBase64: z.string(),
  /** True when only the first bytes are included; load the whole one with streams.message. */
  truncated: z.boolean(),
  /**
   * What the server's own headers mean, in words (nats-server ≥ 2.11/2.12): a per-message TTL and
   * when it expires, a counter's increment and total, a schedule and its target. Absent when none.
   */
  notes: z.array(z.string()).optional()
});
export type BrowsedMessage = z.infer<typeof BrowsedMessageSchema>;

export const BrowseInputSchema = z
  .object({
    stream: StreamName,
    /** Where the page starts. Omitted: the first message. */
    from: z
      .union([
        z.object({ seq: z.number().int().min(1) }).strict(),
        z.object({ time: z.iso.datetime({ offset: true }) }).strict(),
        z.object({ last: z.number().int().min(1).max(100_000) }).strict()
      ])
      .optional(),
    /** Subject filter, wildcards allowed. */
    subject: z.string().trim().min(1).max(512).optional(),
    limit: z.number().int().min(1).max(1000).default(100),
    /** Payload bytes included per message in a page (the rest: streams.message). */
    maxPayloadBytes: z
      .number()
      .int()
      .min(0)
      .max(1024 * 1024)
      .default(8192)
  })
  .strict();

export const BrowsePageSchema = z.object({
  stream: z.string(),
  messages: z.array(BrowsedMessageSchema),
  /** Sequence to pass as from.seq for the next page; null at the end of the stream. */
  nextSeq: z.number().int().nullable(),
  firstSeq: z.number(),
  lastSeq: z.number(),
  /**
   * How the page was read: direct get, STREAM.MSG.GET (streams without allow_direct), or one
   * short-lived ephemeral consumer (Limits streams only, deleted after the page).
   */
  method: z.enum(['direct', 'msg-get', 'consumer'])
});
export type BrowsePage = z.infer<typeof BrowsePageSchema>;

export const GetMessageInputSchema = z.object({ stream: StreamName, seq: z.number().int().min(1) }).strict();

// ---------------------------------------------------------------------------------------------
// Sampled series (sparklines)

export const SeriesInputSchema = z
  .object({
    stream: StreamName.optional(),
    consumer: ConsumerName.optional(),
    /** Only points at or after this time. */
    since: z.iso.datetime({ offset: true }).optional(),
    limit: z.number().int().min(1).max(10_000).default(1000)
  })
  .strict();

export const SeriesPointSchema = z.object({
  time: IsoTime,
  stream: z.string(),
  /** null for a stream point. */
  consumer: z.string().nullable(),
  messages: z.number().nullable(),
  bytes: z.number().nullable(),
  pending: z.number().nullable(),
  ackPending: z.number().nullable()
});
export type SeriesPoint = z.infer<typeof SeriesPointSchema>;

export const SeriesSchema = z.object({ points: z.array(SeriesPointSchema) });

/** Provisioning procedures (also exported alone for modules that only need these). */
export const provisioningProcedures = {
  'streams.provision': procedure(
    ProvisionInputSchema,
    ProvisionReportSchema,
    'Create or update the Syn_OS streams and durable consumers; reports created/updated/unchanged/blocked'
  ),
  'streams.drift': procedure(
    ProvisionInputSchema,
    ProvisionReportSchema,
    'Compare the Syn_OS topology with the server field by field, changing nothing'
  )
} as const;

export const streamsProcedures = {
  ...provisioningProcedures,
  'streams.list': procedure(
    z.object({}).strict(),
    StreamListSchema,
    'Every stream on the server with its state and usage (from the snapshot cache while offline)'
  ),
  'streams.info': procedure(
    z.object({ stream: StreamName }).strict(),
    StreamDetailSchema,
    'One stream: configuration, state, cluster leader and replicas'
  ),
  'streams.account': procedure(
    z.object({}).strict(),
    AccountOverviewSchema,
    'JetStream account usage and the server, for the overview'
  ),
  'consumers.list': procedure(
    z.object({ stream: StreamName }).strict(),
    ConsumerListSchema,
    'The consumers of a stream with pending, ack-pending, redelivered and floors'
  ),
  'consumers.pause': procedure(
    PauseConsumerInputSchema,
    ConsumerSummarySchema,
    'Pause a consumer until a time (nats-server ≥ 2.11); it keeps its state and delivers nothing meanwhile'
  ),
  'consumers.resume': procedure(
    ConsumerRefInputSchema,
    ConsumerSummarySchema,
    'Resume a paused consumer now (nats-server ≥ 2.11)'
  ),
  'streams.features': procedure(
    z.object({}).strict(),
    ServerFeaturesSchema,
    'What the connected nats-server offers (version, JetStream API level, version-gated features)'
  ),
  'streams.purge': procedure(
    PurgeInputSchema,
    z.object({ stream: z.string(), purged: z.number() }),
    'Purge a stream, optionally only one subject (needs confirm: true)'
  ),
  'streams.deleteMessage': procedure(
    DeleteMessageInputSchema,
    z.object({ stream: z.string(), seq: z.number().int(), deleted: z.boolean() }),
    'Delete one message by sequence (needs confirm: true)'
  ),
  'streams.browse': procedure(
    BrowseInputSchema,
    BrowsePageSchema,
    'A page of messages from a sequence, a time or the last N, without consumers'
  ),
  'streams.message': procedure(GetMessageInputSchema, BrowsedMessageSchema, 'One whole message by sequence'),
  'streams.series': procedure(
    SeriesInputSchema,
    SeriesSchema,
    'Sampled stream messages/bytes and consumer pending/ack-pending, oldest first'
  )
} as const;

export const streamsEvents = {
  'streams.snapshot': event(StreamListSchema, 'The stream list after each refresh or periodic sample', {
    latestOnly: true
  }),
  'streams.provisioned': event(ProvisionReportSchema, 'A provisioning run finished (on connect or on request)', {
    maxQueued: 20
  })
} as const;
