/**
 * The bridge's operator settings (the `bridge` section of config.json): the outbound subject
 * mapping of docs/architecture.md §2, the app's own heartbeat and metrics summary, and the bridge's intervals
 * and bounds. Defaults live here once; the config loader merges the file's partial section onto
 * them and the bridge reads the result, so none of these values is a constant in the bridge code.
 */
import { z } from 'zod';
import {
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_OUTBOUND_MAPPING,
  ENGINE_OUTPUT_TYPES,
  HEARTBEAT_SUBJECT,
  METRICS_SUMMARY_SUBJECT,
  type EngineOutputType
} from '../contract/messages';
import { PublishSubjectSchema } from '../contract/messaging';
import { DEFAULT_BRIDGE_STORE_OPTIONS, type BridgeStoreOptions } from './store';

/** What an operator may set for the bridge; every field has a default in {@link DEFAULT_BRIDGE_SETTINGS}. */
export interface BridgeSettings {
  /** Engine event type → orchestrator subject it is forwarded to; null: not forwarded (it still goes on its own type). */
  outboundMapping: Record<EngineOutputType, string | null>;
  /** The app's heartbeat (health.heartbeat envelope). */
  heartbeatSubject: string;
  heartbeatIntervalMs: number;
  /** The app's metrics summary (metrics.summary envelope). */
  metricsSubject: string;
  metricsIntervalMs: number;
  /** How often the engine's clock advances without input. */
  tickIntervalMs: number;
  /** Pushed engine.state at most this often. */
  statePushIntervalMs: number;
  /** Engine events kept in memory for the Engine view (engine.events). */
  recentEvents: number;
  /** Outbound messages held while the publisher is slow; the oldest are dropped (counted) beyond it. */
  maxOutboundQueue: number;
  /** Inbound messages larger than this are rejected as too_large. */
  maxMessageBytes: number;
  /** Nak delay = base · 2^(deliveries − 1), capped at nakMaxDelayMs. */
  nakBaseDelayMs: number;
  nakMaxDelayMs: number;
  /** Retry binding an inbound consumer that does not exist (yet) this often. */
  bindRetryMs: number;
  /** Messages pulled per consume request. */
  pullBatch: number;
  /** Envelope `source` of what the app publishes. */
  source: string;
  /** A service heard on health.> is shown stale after this long without a heartbeat. */
  serviceStaleAfterMs: number;
  /** Bounds of the invalid-messages and security-events tables. */
  store: BridgeStoreOptions;
}

/** The defaults of docs/architecture.md §2 and the bridge's long-standing values. */
export const DEFAULT_BRIDGE_SETTINGS: Readonly<BridgeSettings> = Object.freeze({
  outboundMapping: { ...DEFAULT_OUTBOUND_MAPPING },
  heartbeatSubject: HEARTBEAT_SUBJECT,
  heartbeatIntervalMs: 10_000,
  metricsSubject: METRICS_SUMMARY_SUBJECT,
  metricsIntervalMs: 30_000,
  tickIntervalMs: 250,
  statePushIntervalMs: 250,
  recentEvents: 1000,
  maxOutboundQueue: 50_000,
  maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
  nakBaseDelayMs: 500,
  nakMaxDelayMs: 30_000,
  bindRetryMs: 2000,
  pullBatch: 512,
  source: 'synos/control-center',
  // Three default heartbeat intervals (docs/architecture.md §2 services beat every 10 s).
  serviceStaleAfterMs: 30_000,
  store: { ...DEFAULT_BRIDGE_STORE_OPTIONS }
});

/**
 * Subjects the bridge itself consumes (its inbound durables and security_dashboard). A forward
 * or an own message published there would be read back by the bridge as foreign input.
 */
const READ_BACK_PREFIXES = ['orchestrator.service.', 'orchestrator.system.', 'orchestrator.user.', 'security.'];

/** A concrete subject the bridge may publish on: no wildcards, not one it consumes itself. */
const OutboundSubjectSchema = PublishSubjectSchema.superRefine((value, ctx) => {
  const prefix = READ_BACK_PREFIXES.find((p) => value.startsWith(p));
  if (prefix) {
    ctx.addIssue({
      code: 'custom',
      message: `subject "${value}" is under ${prefix}>, which the bridge consumes itself; pick a subject outside it (e.g. orchestrator.consciousness.…)`
    });
  }
});

const ms = (min: number, max: number) => z.number().int().min(min).max(max);
const HOUR = 3_600_000;

/** The `bridge` section of config.json: any subset of the settings. Unknown keys are errors. */
export const BridgeSettingsFileSchema = z
  .object({
    outboundMapping: z.partialRecord(z.enum(ENGINE_OUTPUT_TYPES), OutboundSubjectSchema.nullable()).optional(),
    heartbeatSubject: OutboundSubjectSchema.optional(),
    heartbeatIntervalMs: ms(100, HOUR).optional(),
    metricsSubject: OutboundSubjectSchema.optional(),
    metricsIntervalMs: ms(100, HOUR).optional(),
    tickIntervalMs: ms(10, 10_000).optional(),
    statePushIntervalMs: ms(50, 60_000).optional(),
    recentEvents: z.number().int().min(0).max(100_000).optional(),
    maxOutboundQueue: z.number().int().min(100).max(10_000_000).optional(),
    maxMessageBytes: z
      .number()
      .int()
      .min(1024)
      .max(64 * 1024 * 1024)
      .optional(),
    nakBaseDelayMs: ms(10, 600_000).optional(),
    nakMaxDelayMs: ms(10, HOUR).optional(),
    bindRetryMs: ms(100, 600_000).optional(),
    pullBatch: z.number().int().min(1).max(10_000).optional(),
    source: z.string().trim().min(1).max(500).optional(),
    serviceStaleAfterMs: ms(1000, 24 * HOUR).optional(),
    store: z
      .object({
        maxInvalid: z.number().int().min(1).max(10_000_000).optional(),
        rawLimit: z
          .number()
          .int()
          .min(16)
          .max(1024 * 1024)
          .optional(),
        maxSecurityEvents: z.number().int().min(1).max(10_000_000).optional()
      })
      .strict()
      .optional()
  })
  .strict();
export type BridgeSettingsFile = z.infer<typeof BridgeSettingsFileSchema>;

/** A value the merged settings cannot have: `field` is its path under `bridge`. */
export interface SettingsIssue {
  field: string;
  message: string;
}

/** The defaults with the file's section merged on; issues that only show once merged are returned, not thrown. */
export function resolveBridgeSettings(file: BridgeSettingsFile = {}): {
  settings: BridgeSettings;
  issues: SettingsIssue[];
} {
  const d = DEFAULT_BRIDGE_SETTINGS;
  const settings: BridgeSettings = {
    outboundMapping: { ...d.outboundMapping, ...(file.outboundMapping ?? {}) },
    heartbeatSubject: file.heartbeatSubject ?? d.heartbeatSubject,
    heartbeatIntervalMs: file.heartbeatIntervalMs ?? d.heartbeatIntervalMs,
    metricsSubject: file.metricsSubject ?? d.metricsSubject,
    metricsIntervalMs: file.metricsIntervalMs ?? d.metricsIntervalMs,
    tickIntervalMs: file.tickIntervalMs ?? d.tickIntervalMs,
    statePushIntervalMs: file.statePushIntervalMs ?? d.statePushIntervalMs,
    recentEvents: file.recentEvents ?? d.recentEvents,
    maxOutboundQueue: file.maxOutboundQueue ?? d.maxOutboundQueue,
    maxMessageBytes: file.maxMessageBytes ?? d.maxMessageBytes,
    nakBaseDelayMs: file.nakBaseDelayMs ?? d.nakBaseDelayMs,
    nakMaxDelayMs: file.nakMaxDelayMs ?? d.nakMaxDelayMs,
    bindRetryMs: file.bindRetryMs ?? d.bindRetryMs,
    pullBatch: file.pullBatch ?? d.pullBatch,
    source: file.source ?? d.source,
    serviceStaleAfterMs: file.serviceStaleAfterMs ?? d.serviceStaleAfterMs,
    store: {
      maxInvalid: file.store?.maxInvalid ?? d.store.maxInvalid,
      rawLimit: file.store?.rawLimit ?? d.store.rawLimit,
      maxSecurityEvents: file.store?.maxSecurityEvents ?? d.store.maxSecurityEvents
    }
  };
  const issues: SettingsIssue[] = [];
  if (settings.nakBaseDelayMs > settings.nakMaxDelayMs) {
    issues.push({
      field: 'nakMaxDelayMs',
      message: `must be at least nakBaseDelayMs (${settings.nakBaseDelayMs}), got ${settings.nakMaxDelayMs}`
    });
  }
  return { settings, issues };
}

/** True when the stream subject filter `filter` (wildcards allowed) captures the concrete `subject`. */
export function subjectMatchesFilter(subject: string, filter: string): boolean {
  const s = subject.split('.');
  const f = filter.split('.');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '>') return s.length > i;
    if (i >= s.length) return false;
    if (f[i] !== '*' && f[i] !== s[i]) return false;
  }
  return s.length === f.length;
}

/**
 * The subjects the settings publish on that no given stream captures. JetStream refuses a publish
 * there (no stream), so the outbox would retry and finally dead-letter every such message.
 */
export function subjectsWithoutStream(
  settings: Pick<BridgeSettings, 'outboundMapping' | 'heartbeatSubject' | 'metricsSubject'>,
  streamSubjects: readonly string[]
): string[] {
  const published = [
    ...ENGINE_OUTPUT_TYPES,
    ...Object.values(settings.outboundMapping).filter((s): s is string => typeof s === 'string'),
    settings.heartbeatSubject,
    settings.metricsSubject
  ];
  return [...new Set(published)].filter(
    (subject) => !streamSubjects.some((filter) => subjectMatchesFilter(subject, filter))
  );
}
