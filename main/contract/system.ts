import { z } from 'zod';
import { event, procedure } from './define';
import { ErrorShapeSchema } from './schemas';

/** Server INFO as the connection manager reports it (a subset of NATS INFO, snake_case as NATS sends it). */
export const ServerInfoSchema = z.object({
  server_id: z.string(),
  server_name: z.string(),
  version: z.string(),
  host: z.string(),
  port: z.number(),
  jetstream: z.boolean(),
  max_payload: z.number(),
  cluster: z.string().optional(),
  proto: z.number().optional()
});
export type ServerInfo = z.infer<typeof ServerInfoSchema>;

export const RunModeSchema = z.enum(['desktop', 'web', 'cli']);

export const SystemInfoSchema = z.object({
  appVersion: z.string(),
  mode: RunModeSchema,
  dataDir: z.string(),
  databasePath: z.string(),
  platform: z.string(),
  nodeVersion: z.string(),
  startedAt: z.string(),
  server: ServerInfoSchema.nullable(),
  /** Set when a corrupt database was moved aside at start. */
  databaseRecoveredFrom: z.string().nullable(),
  /** What protects stored secrets (profile passwords, tokens, seeds); never the secrets themselves. */
  secretStorage: z.object({
    kind: z.enum(['os-keychain', 'key-file', 'unencrypted']),
    label: z.string(),
    /** Why it is weaker than the OS keychain and what to do; null for the keychain. */
    reason: z.string().nullable()
  })
});
export type SystemInfo = z.infer<typeof SystemInfoSchema>;

/** Notices the operator should see once (database recovered, embedded server started, …). */
export const NoticeSchema = z.object({
  level: z.enum(['info', 'warning', 'error']),
  code: z.string(),
  message: z.string(),
  time: z.string(),
  details: z.unknown().optional()
});
export type Notice = z.infer<typeof NoticeSchema>;

/** A recording file the OS asked the app to open (double-click on a .ndjson, or a path on the command line). */
/** A file the OS handed the app: its name and the grant that stands for it (the path stays in the core). */
export const OpenedFileSchema = z.object({ name: z.string(), grant: z.string(), time: z.string() });
export type OpenedFile = z.infer<typeof OpenedFileSchema>;

/**
 * Bounds of config.json's `monitoring.jetstreamSampleIntervalMs` (ms): faster loads the server with
 * stream and consumer lists, slower leaves the Streams view and the consumer alerts stale.
 */
export const JETSTREAM_SAMPLE_INTERVAL_BOUNDS = { min: 1000, max: 600_000 } as const;

const JetStreamSampleIntervalSchema = z
  .number()
  .int()
  .min(JETSTREAM_SAMPLE_INTERVAL_BOUNDS.min)
  .max(JETSTREAM_SAMPLE_INTERVAL_BOUNDS.max);

/** Start-up settings kept in config.json of the data directory; they take effect at the next start. */
export const StartupSettingsSchema = z.object({
  synchronous: z.enum(['NORMAL', 'FULL']),
  metricsPort: z.number().int().min(1).max(65535).nullable(),
  /** How often JetStream is sampled (`monitoring.jetstreamSampleIntervalMs`, or its default). */
  jetstreamSampleIntervalMs: z.number().int(),
  /** What the running core uses (differs from the above until a restart). */
  running: z.object({
    synchronous: z.enum(['NORMAL', 'FULL']),
    metricsPort: z.number().int().nullable(),
    jetstreamSampleIntervalMs: z.number().int()
  }),
  configFile: z.string()
});
export type StartupSettings = z.infer<typeof StartupSettingsSchema>;

export const systemProcedures = {
  'settings.startup': procedure(
    z.object({}).strict(),
    StartupSettingsSchema,
    'Durability mode, metrics port and JetStream sampling interval (config.json)'
  ),
  'settings.setStartup': procedure(
    z
      .object({
        synchronous: z.enum(['NORMAL', 'FULL']).optional(),
        metricsPort: z.number().int().min(1).max(65535).nullable().optional(),
        jetstreamSampleIntervalMs: JetStreamSampleIntervalSchema.optional()
      })
      .strict(),
    StartupSettingsSchema,
    'Save the durability mode, metrics port and JetStream sampling interval to config.json; they apply at the next start'
  ),
  'system.info': procedure(z.object({}).strict(), SystemInfoSchema, 'App version, data directory and server info'),
  'system.notices': procedure(
    z.object({}).strict(),
    z.array(NoticeSchema),
    'Notices raised since start (database recovery, embedded server, …)'
  ),
  'system.takeOpenedFiles': procedure(
    z.object({}).strict(),
    z.array(OpenedFileSchema),
    'Files the OS asked the app to open that no view has taken yet (returns and forgets them)'
  )
} as const;

export const systemEvents = {
  'system.notice': event(NoticeSchema, 'A notice for the operator', { maxQueued: 100 }),
  'system.fileOpened': event(
    OpenedFileSchema,
    'The OS asked the app to open a file (the UI shows the recordings import)',
    {
      maxQueued: 20
    }
  )
} as const;

export { ErrorShapeSchema };
