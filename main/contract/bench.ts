/**
 * Benchmarks (docs/architecture.md §6): a runner like `nats bench` — core publish, publish/subscribe,
 * request/reply, JetStream publish (sync and async), JetStream consume (ordered, fetch) and the
 * app's own pipeline — with results kept in SQLite, compared side by side and charted over time.
 * A run starts in the background (`bench.start` answers with its id at once), pushes
 * `bench.progress` while it runs and `bench.finished` when it ends.
 */
import { z } from 'zod';
import { event, procedure } from './define';
import { ErrorShapeSchema, IsoTime } from './schemas';

/** The modes, in the order `nats bench` documents its equivalents. */
export const BENCH_MODES = [
  'pub',
  'pubsub',
  'reqrep',
  'js-pub-sync',
  'js-pub-async',
  'js-consume',
  'pipeline'
] as const;
export const BenchModeSchema = z.enum(BENCH_MODES);
export type BenchMode = z.infer<typeof BenchModeSchema>;

/** Modes that work on a temporary JetStream stream (created at the start of a run, deleted at its end). */
export const BENCH_JETSTREAM_MODES: readonly BenchMode[] = ['js-pub-sync', 'js-pub-async', 'js-consume', 'pipeline'];

/** How `js-consume` reads: each client an ordered consumer over the whole stream, or all clients sharing one pull consumer with fetch. */
export const BenchConsumerKindSchema = z.enum(['ordered', 'fetch']);
export type BenchConsumerKind = z.infer<typeof BenchConsumerKindSchema>;

export const BenchStorageSchema = z.enum(['file', 'memory']);

/** Largest message count of one run; bigger runs take minutes and hold a latency sample per message. */
export const BENCH_MAX_MSGS = 10_000_000;
/** Largest message size; the server's max_payload may be lower (checked at start). */
export const BENCH_MAX_SIZE = 8 * 1024 * 1024;
export const BENCH_MAX_CLIENTS = 64;

/**
 * The parameters of a run. `pub` and `sub` count the clients of each role, each with its own NATS
 * connection: publishers (or requesters) and subscribers (or repliers, or consumers). A mode uses
 * the roles it has; see {@link BenchRolesSchema} in a result for what a run actually used.
 */
export const BenchParamsSchema = z
  .object({
    mode: BenchModeSchema,
    /** Messages to send in total (split over the publishers); 100,000 like nats bench. */
    msgs: z.number().int().min(1).max(BENCH_MAX_MSGS).default(100_000),
    /** Payload bytes per message; 128 like nats bench. For `pipeline` the envelope is padded to at least this. */
    size: z.number().int().min(0).max(BENCH_MAX_SIZE).default(128),
    /** Publishers (pub, pubsub, js-pub-*), requesters (reqrep). */
    pub: z.number().int().min(1).max(BENCH_MAX_CLIENTS).default(1),
    /** Subscribers (pubsub), repliers (reqrep), consumers (js-consume). */
    sub: z.number().int().min(1).max(BENCH_MAX_CLIENTS).default(1),
    /** Storage of the temporary stream (JetStream modes). */
    storage: BenchStorageSchema.default('file'),
    /** Publishes in flight per publisher (js-pub-async, and the preload of js-consume). */
    window: z.number().int().min(1).max(100_000).default(256),
    consumer: BenchConsumerKindSchema.default('ordered'),
    /** Messages per pull request (js-consume). */
    batch: z.number().int().min(1).max(10_000).default(500),
    /** pipeline: input events offered per second on a fixed schedule; 0 = flat out with `window` events in flight. */
    rate: z.number().int().min(0).max(1_000_000).default(1000),
    /** A note kept with the result ("after upgrading the server", …). */
    label: z.string().trim().max(200).optional()
  })
  .strict();
export type BenchParams = z.output<typeof BenchParamsSchema>;
export type BenchParamsInput = z.input<typeof BenchParamsSchema>;

/** Rates of a set of clients over one time span. */
export const BenchRateSchema = z.object({
  msgs: z.number().int(),
  bytes: z.number(),
  /** Wall time from the first client's start to the last client's end. */
  durationMs: z.number(),
  msgsPerSec: z.number(),
  bytesPerSec: z.number()
});
export type BenchRate = z.infer<typeof BenchRateSchema>;

export const BenchClientStatsSchema = BenchRateSchema.extend({
  /** `pub-1`, `sub-2`, … */
  name: z.string()
});
export type BenchClientStats = z.infer<typeof BenchClientStatsSchema>;

/** One role's clients, their combined rate, and min/avg/max/stddev of their individual msgs/s (as nats bench prints). */
export const BenchGroupSchema = z.object({
  role: z.enum(['publishers', 'subscribers', 'requesters', 'repliers', 'consumers']),
  aggregate: BenchRateSchema,
  clients: z.array(BenchClientStatsSchema),
  minMsgsPerSec: z.number(),
  avgMsgsPerSec: z.number(),
  maxMsgsPerSec: z.number(),
  stddevMsgsPerSec: z.number()
});
export type BenchGroup = z.infer<typeof BenchGroupSchema>;

/** Per-message latency in milliseconds; null in a result where a mode has no per-message round trip. */
export const BenchLatencySchema = z.object({
  /** What was timed: "request → reply", "publish → PubAck", … */
  measures: z.string(),
  samples: z.number().int(),
  minMs: z.number(),
  meanMs: z.number(),
  p50Ms: z.number(),
  p90Ms: z.number(),
  p99Ms: z.number(),
  p999Ms: z.number(),
  maxMs: z.number()
});
export type BenchLatency = z.infer<typeof BenchLatencySchema>;

/** Where a result was measured: the figures are only comparable on the same environment. */
export const BenchEnvironmentSchema = z.object({
  serverVersion: z.string(),
  serverName: z.string(),
  /** @nats-io/transport-node version. */
  clientVersion: z.string(),
  appVersion: z.string(),
  nodeVersion: z.string(),
  platform: z.string(),
  arch: z.string(),
  cpus: z.number().int(),
  cpuModel: z.string(),
  totalMemoryBytes: z.number()
});
export type BenchEnvironment = z.infer<typeof BenchEnvironmentSchema>;

/** A finished run as stored. */
export const BenchRunSchema = z.object({
  id: z.string(),
  mode: BenchModeSchema,
  params: BenchParamsSchema,
  label: z.string().nullable(),
  startedAt: IsoTime,
  finishedAt: IsoTime,
  /** The temporary stream the run used (already deleted), or null for core modes. */
  stream: z.string().nullable(),
  /** The headline figures: publishers' rate for publish modes, consumers' for js-consume, requests for reqrep, publishers + subscribers combined for pubsub (as nats bench sums them). */
  totals: BenchRateSchema,
  groups: z.array(BenchGroupSchema),
  latency: BenchLatencySchema.nullable(),
  environment: BenchEnvironmentSchema
});
export type BenchRun = z.infer<typeof BenchRunSchema>;

/** One row of the history list. */
export const BenchRunSummarySchema = z.object({
  id: z.string(),
  mode: BenchModeSchema,
  label: z.string().nullable(),
  startedAt: IsoTime,
  msgs: z.number().int(),
  size: z.number().int(),
  pub: z.number().int(),
  sub: z.number().int(),
  storage: BenchStorageSchema,
  msgsPerSec: z.number(),
  bytesPerSec: z.number(),
  p50Ms: z.number().nullable(),
  p99Ms: z.number().nullable(),
  serverVersion: z.string()
});
export type BenchRunSummary = z.infer<typeof BenchRunSummarySchema>;

export const BenchPhaseSchema = z.enum(['preparing', 'running', 'cleanup']);
export type BenchPhase = z.infer<typeof BenchPhaseSchema>;

export const BenchProgressSchema = z.object({
  runId: z.string(),
  mode: BenchModeSchema,
  phase: BenchPhaseSchema,
  /** Messages done of the measured role (received for consumers/subscribers, acknowledged for JetStream publishes). */
  done: z.number().int(),
  total: z.number().int(),
  elapsedMs: z.number(),
  /** Rate over the whole run so far. */
  msgsPerSec: z.number()
});
export type BenchProgress = z.infer<typeof BenchProgressSchema>;

export const BenchFinishedSchema = z.object({
  runId: z.string(),
  mode: BenchModeSchema,
  status: z.enum(['completed', 'cancelled', 'failed']),
  /** The stored run, when completed. */
  run: BenchRunSummarySchema.nullable(),
  error: ErrorShapeSchema.nullable()
});
export type BenchFinished = z.infer<typeof BenchFinishedSchema>;

/** The figures a comparison lines up, with which direction is better. */
export const BENCH_METRICS = [
  { key: 'msgsPerSec', label: 'msgs/s', unit: 'msgs/s', better: 'higher' },
  { key: 'bytesPerSec', label: 'bytes/s', unit: 'B/s', better: 'higher' },
  { key: 'durationMs', label: 'duration', unit: 'ms', better: 'lower' },
  { key: 'minClientMsgsPerSec', label: 'client min msgs/s', unit: 'msgs/s', better: 'higher' },
  { key: 'maxClientMsgsPerSec', label: 'client max msgs/s', unit: 'msgs/s', better: 'higher' },
  { key: 'p50Ms', label: 'latency p50', unit: 'ms', better: 'lower' },
  { key: 'p90Ms', label: 'latency p90', unit: 'ms', better: 'lower' },
  { key: 'p99Ms', label: 'latency p99', unit: 'ms', better: 'lower' },
  { key: 'p999Ms', label: 'latency p99.9', unit: 'ms', better: 'lower' }
] as const;
export type BenchMetricKey = (typeof BENCH_METRICS)[number]['key'];

export const BenchComparisonSchema = z.object({
  runs: z.array(BenchRunSummarySchema),
  /** One series per metric: `values[i]` belongs to `runs[i]` (null where a run has no such figure). */
  series: z.array(
    z.object({
      key: z.string(),
      label: z.string(),
      unit: z.string(),
      better: z.enum(['higher', 'lower']),
      values: z.array(z.number().nullable()),
      /** values[i] / values[0] − 1 (the first run is the baseline); null without both figures. */
      change: z.array(z.number().nullable())
    })
  ),
  /** Parameters that differ between the runs (a comparison across them is apples to oranges). */
  differences: z.array(z.string())
});
export type BenchComparison = z.infer<typeof BenchComparisonSchema>;

const RunId = z.string().trim().min(1).max(64);

export const benchProcedures = {
  'bench.start': procedure(
    BenchParamsSchema,
    z.object({ runId: z.string(), stream: z.string().nullable() }),
    'Start a benchmark run in the background; progress on bench.progress, the end on bench.finished'
  ),
  'bench.cancel': procedure(
    z.object({ runId: RunId }).strict(),
    z.object({ cancelled: z.boolean() }),
    'Stop a running benchmark; its temporary stream is deleted (false when it was not running)'
  ),
  'bench.active': procedure(
    z.object({}).strict(),
    z.object({ progress: BenchProgressSchema.nullable() }),
    'The run in progress, if any'
  ),
  'bench.history': procedure(
    z
      .object({
        mode: BenchModeSchema.optional(),
        limit: z.number().int().min(1).max(5000).default(200),
        /** Only runs started before this one (paging, newest first). */
        before: IsoTime.optional()
      })
      .strict(),
    z.object({ runs: z.array(BenchRunSummarySchema), total: z.number().int() }),
    'Kept benchmark runs, newest first'
  ),
  'bench.get': procedure(z.object({ id: RunId }).strict(), BenchRunSchema, 'One stored run with every figure'),
  'bench.compare': procedure(
    z.object({ ids: z.array(RunId).min(2).max(50) }).strict(),
    BenchComparisonSchema,
    'Runs side by side, one series per metric for charts (the first is the baseline)'
  ),
  'bench.delete': procedure(
    z.object({ id: RunId }).strict(),
    z.object({ deleted: z.boolean() }),
    'Forget a stored run'
  ),
  'bench.exportCsv': procedure(
    z.object({ ids: z.array(RunId).min(1).max(5000).optional(), mode: BenchModeSchema.optional() }).strict(),
    z.object({ csv: z.string(), rows: z.number().int() }),
    'Stored runs as CSV, one line per run (all, the given ids, or one mode)'
  )
} as const;

export const benchEvents = {
  'bench.progress': event(BenchProgressSchema, 'Progress of the running benchmark', {
    latestOnly: true,
    maxQueued: 10
  }),
  'bench.finished': event(BenchFinishedSchema, 'A benchmark run completed, was cancelled or failed', { maxQueued: 50 })
} as const;
