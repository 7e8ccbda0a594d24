/**
 * Recordings (docs/architecture.md §4): capture a subject filter live or from a stream range into SQLite, export
 * to NDJSON / CSV, import NDJSON or CSV (checked line by line), replay into any connection.
 */
import { z } from 'zod';
import { event, procedure } from './define';
import { IsoTime, NatsUrlSchema } from './schemas';

export const RecordingSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  filter: z.string(),
  source: z.enum(['live', 'stream', 'import']),
  stream: z.string().nullable(),
  startSeq: z.number().int().nullable(),
  endSeq: z.number().int().nullable(),
  status: z.enum(['recording', 'complete', 'stopped', 'failed']),
  messageCount: z.number().int(),
  bytes: z.number().int(),
  firstTime: IsoTime.nullable(),
  lastTime: IsoTime.nullable(),
  error: z.string().nullable(),
  createdAt: IsoTime,
  stoppedAt: IsoTime.nullable()
});
export type RecordingPayload = z.infer<typeof RecordingSchema>;

/** A subscription filter: tokens, `*` for one token, `>` for the rest. */
const FilterSchema = z
  .string()
  .trim()
  .min(1)
  .max(500)
  .refine(
    (s) => !/\s/.test(s) && s.split('.').every((t, i, all) => t.length > 0 && (t !== '>' || i === all.length - 1)),
    'must be a subject filter such as orchestrator.> or health.*'
  );

export const StreamRangeSchema = z
  .object({
    stream: z.string().min(1).max(200),
    filter: FilterSchema.optional(),
    fromSeq: z.number().int().min(1).optional(),
    toSeq: z.number().int().min(1).optional(),
    fromTime: z.iso.datetime({ offset: true }).optional()
  })
  .strict();

export const SubjectRuleTextSchema = z
  .string()
  .regex(/^[^=\s]+=[^=\s]+$/, 'a subject map must look like FROM=TO, e.g. orchestrator.>=replay.orchestrator.>');

/**
 * A file name inside the data directory's recordings/ (imports, web uploads) or exports/ folder:
 * no path. Procedures never take a filesystem path; a file the user chose elsewhere comes as a grant.
 */
export const RecordingFileNameSchema = z
  .string()
  .min(1)
  .max(200)
  .refine(
    // eslint-disable-next-line no-control-regex
    (s) => !/[/\\\u0000-\u001f]/.test(s) && !s.startsWith('.'),
    'a file name inside the folder, without "/", "\\" or a leading "."'
  );

/** An opaque id for a file the user chose (desktop dialog, file-open); never a path. */
export const FileGrantSchema = z.string().regex(/^[A-Za-z0-9_-]{16,64}$/, 'a file grant id');

export const RecordingFileSchema = z.object({
  folder: z.enum(['recordings', 'exports']),
  name: z.string(),
  bytes: z.number().int(),
  modifiedAt: IsoTime
});
export type RecordingFilePayload = z.infer<typeof RecordingFileSchema>;

export const LineErrorSchema = z.object({ line: z.number().int(), message: z.string() });

export const ReplayProgressSchema = z.object({
  replayId: z.string(),
  recordingId: z.number().int().nullable(),
  sent: z.number().int(),
  total: z.number().int(),
  bytes: z.number().int(),
  elapsedMs: z.number(),
  rate: z.number(),
  done: z.boolean(),
  error: z.string().nullable()
});
export type ReplayProgressPayload = z.infer<typeof ReplayProgressSchema>;

export const recordingsProcedures = {
  'recordings.list': procedure(
    z.object({}).strict(),
    z.object({ recordings: z.array(RecordingSchema) }),
    'Recordings stored in the data directory'
  ),
  'recordings.start': procedure(
    z
      .object({
        name: z.string().min(1).max(200).optional(),
        /** Live capture of this filter (core NATS subscription). */
        filter: FilterSchema.optional(),
        /** Or a range of a stream (ordered consumer, nothing left behind on the server). */
        range: StreamRangeSchema.optional(),
        /** Live only: stop after this many messages. */
        maxMessages: z.number().int().min(1).max(100_000_000).optional()
      })
      .strict()
      .refine(
        (v) => (v.filter === undefined) !== (v.range === undefined),
        'give either filter (live) or range (stream), not both'
      ),
    RecordingSchema,
    'Start a live recording (returns at once) or record a stream range (returns when read)'
  ),
  'recordings.stop': procedure(z.object({ id: z.number().int() }).strict(), RecordingSchema, 'Stop a live recording'),
  'recordings.delete': procedure(
    z.object({ id: z.number().int() }).strict(),
    z.object({ deleted: z.boolean() }),
    'Delete a recording and its messages'
  ),
  'recordings.export': procedure(
    z
      .object({
        recordingId: z.number().int().optional(),
        range: StreamRangeSchema.optional(),
        format: z.enum(['ndjson', 'csv']).default('ndjson'),
        /** A new file in the data directory's exports/ folder (default: a name made from the recording). */
        file: RecordingFileNameSchema.optional(),
        /** Or a file the user chose in the desktop's save dialog (recordings.chooseFile). */
        grant: FileGrantSchema.optional()
      })
      .strict()
      .refine((v) => (v.recordingId === undefined) !== (v.range === undefined), 'give either recordingId or range')
      .refine((v) => v.file === undefined || v.grant === undefined, 'give either file or grant, not both'),
    z.object({
      /** Name in exports/ (web mode downloads it from /files/exports/NAME), null for a chosen file. */
      file: z.string().nullable(),
      path: z.string(),
      count: z.number().int(),
      bytes: z.number().int()
    }),
    'Export a recording or a stream range to NDJSON or CSV: a new file in exports/ (never overwritten, mode 0600) or a chosen file'
  ),
  'recordings.import': procedure(
    z
      .object({
        /** A file in the data directory's recordings/ folder (where web uploads land). */
        file: RecordingFileNameSchema.optional(),
        /** Or a file the user chose (desktop dialog or file-open): its grant. */
        grant: FileGrantSchema.optional(),
        name: z.string().min(1).max(200).optional()
      })
      .strict()
      .refine((v) => (v.file === undefined) !== (v.grant === undefined), 'give either file or grant'),
    RecordingSchema,
    'Import an NDJSON or CSV recording file, read as a stream; a malformed file fails with INVALID_INPUT listing bad lines by number, and nothing is stored'
  ),
  'recordings.files': procedure(
    z.object({}).strict(),
    z.object({ files: z.array(RecordingFileSchema), maxImportBytes: z.number().int() }),
    "Files in the data directory's recordings/ (uploads, imports) and exports/ folders, and the import size limit"
  ),
  'recordings.chooseFile': procedure(
    z
      .object({
        purpose: z.enum(['import', 'export']),
        format: z.enum(['ndjson', 'csv']).optional(),
        suggestedName: RecordingFileNameSchema.optional()
      })
      .strict(),
    z.object({ grant: z.string().nullable(), name: z.string().nullable() }),
    'Desktop: ask the user for a file with a native dialog; the grant stands for the chosen file (null when cancelled). UNAVAILABLE in web mode and the CLI'
  ),
  'recordings.replay': procedure(
    z
      .object({
        id: z.number().int(),
        /** Recorded pace × speed; null (or absent) for as fast as possible. */
        speed: z.number().positive().max(10_000).nullable().default(null),
        subjectMap: z.array(SubjectRuleTextSchema).max(50).default([]),
        /** Replay into these servers instead of the core's connection. */
        servers: z.array(NatsUrlSchema).min(1).max(32).optional(),
        /** Or through this saved connection profile (its servers, credentials and TLS). */
        profileId: z.string().min(1).max(200).optional()
      })
      .strict()
      .refine((v) => v.servers === undefined || v.profileId === undefined, 'give either servers or profileId'),
    z.object({ replayId: z.string(), total: z.number().int() }),
    'Replay a recording (progress on recordings.progress)'
  ),
  'recordings.cancelReplay': procedure(
    z.object({ replayId: z.string() }).strict(),
    z.object({ cancelled: z.boolean() }),
    'Stop a running replay'
  )
} as const;

export const ImportProgressSchema = z.object({
  /** The file's name (as the import shows it). */
  name: z.string(),
  /** First every line is checked, then the messages are stored. */
  phase: z.enum(['checking', 'storing']),
  bytes: z.number().int(),
  totalBytes: z.number().int()
});
export type ImportProgressPayload = z.infer<typeof ImportProgressSchema>;

export const recordingsEvents = {
  'recordings.importProgress': event(ImportProgressSchema, 'Progress of an import, a few times a second', {
    maxQueued: 50
  }),
  'recordings.progress': event(ReplayProgressSchema, 'Progress of a replay, a few times a second and at the end', {
    maxQueued: 200
  }),
  'recordings.updated': event(RecordingSchema, 'A recording changed (started, more messages, finished)', {
    maxQueued: 200
  })
} as const;
