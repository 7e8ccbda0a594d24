/**
 * Key-value buckets: their config and status, keys in pages, values, history, writes with
 * compare-and-set, deletes behind confirm, and live watches pushed on `kv.watch`.
 * A failed compare-and-set is a CONFLICT whose details say `reason: 'REVISION_MISMATCH'` with the
 * expected and the current revision, so the UI and the CLI can show both.
 */
import { z } from 'zod';
import { event, procedure } from './define';
import { IsoTime, watchBatchSchema } from './schemas';
import { PayloadFormatSchema } from './streams';

/** Bucket names as the kv client accepts them. */
export const KvBucketName = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .regex(/^[-\w]+$/, 'a bucket name has only letters, digits, - and _');

/** A key: tokens of letters, digits and -/_=. separated by dots, no empty token. */
export const KvKey = z
  .string()
  .min(1)
  .max(1024)
  .regex(/^[-/_=a-zA-Z0-9]+(\.[-/_=a-zA-Z0-9]+)*$/, 'a key has only letters, digits, - / _ = and dots between tokens');

/** A key pattern for listing and watching: a key whose tokens may also be * or a final >. */
export const KvKeyPattern = z
  .string()
  .trim()
  .min(1)
  .max(1024)
  .regex(
    /^(>|([-/_=a-zA-Z0-9]+|\*)(\.([-/_=a-zA-Z0-9]+|\*))*(\.>)?)$/,
    'a key pattern is a key whose tokens may be * (one token) or end with > (the rest)'
  );

const CacheMark = { cached: z.boolean(), snapshotTime: IsoTime };
const Confirm = z.literal(true, { error: 'set confirm: true to confirm this destructive action' });

export const KvBucketSchema = z.object({
  bucket: z.string(),
  /** The backing stream (KV_<bucket>). */
  stream: z.string(),
  description: z.string().nullable(),
  /** Revisions kept per key. */
  history: z.number().int(),
  /** Time to live of a value in ms; 0 for none. */
  ttlMs: z.number(),
  /** -1 unlimited. */
  maxBytes: z.number(),
  maxValueSize: z.number(),
  replicas: z.number().int(),
  storage: z.enum(['file', 'memory']),
  compression: z.boolean(),
  /** Stored values, every kept revision and delete marker included (the stream's messages). */
  values: z.number(),
  /** Bytes stored. */
  size: z.number(),
  /** size / maxBytes, 0–1; null when unlimited. */
  usageBytes: z.number().nullable(),
  created: IsoTime,
  lastRevision: z.number()
});
export type KvBucket = z.infer<typeof KvBucketSchema>;

export const KvBucketListSchema = z.object({ ...CacheMark, buckets: z.array(KvBucketSchema) });
export type KvBucketList = z.infer<typeof KvBucketListSchema>;

export const KvBucketInfoSchema = z.object({ ...CacheMark, bucket: KvBucketSchema });
export type KvBucketInfo = z.infer<typeof KvBucketInfoSchema>;

const Limits = {
  description: z.string().max(4096).optional(),
  history: z.number().int().min(1).max(64).optional(),
  ttlMs: z.number().int().min(0).optional(),
  /** -1 unlimited. */
  maxBytes: z.number().int().min(-1).optional(),
  maxValueSize: z.number().int().min(-1).optional(),
  replicas: z.number().int().min(1).max(5).optional()
};

export const KvAddInputSchema = z
  .object({
    bucket: KvBucketName,
    ...Limits,
    storage: z.enum(['file', 'memory']).optional(),
    compression: z.boolean().optional()
  })
  .strict();

export const KvEditInputSchema = z.object({ bucket: KvBucketName, ...Limits }).strict();

export const KvOperationSchema = z.enum(['PUT', 'DEL', 'PURGE']);

/** One key as listed: from its newest revision, without its value. */
export const KvKeyEntrySchema = z.object({
  key: z.string(),
  revision: z.number().int(),
  created: IsoTime,
  /** Bytes of the value. */
  size: z.number().int()
});
export type KvKeyEntry = z.infer<typeof KvKeyEntrySchema>;

export const KvKeysInputSchema = z
  .object({
    bucket: KvBucketName,
    /** Only keys matching this pattern (* one token, > the rest). */
    filter: KvKeyPattern.optional(),
    limit: z.number().int().min(1).max(1000).default(100),
    /** The `next` of the previous page. */
    cursor: z.string().min(1).max(200).optional()
  })
  .strict();

export const KvKeysPageSchema = z.object({
  bucket: z.string(),
  /** In the order of their last change, oldest first (as the server keeps them). */
  keys: z.array(KvKeyEntrySchema),
  /** Pass as cursor for the next page; null after the last. */
  next: z.string().nullable(),
  /** Keys (deleted ones included) not yet listed after this page, when the page was read. */
  remaining: z.number().int(),
  /** Position of this page's first key among all listed so far. */
  offset: z.number().int()
});
export type KvKeysPage = z.infer<typeof KvKeysPageSchema>;

export const KvEntrySchema = z.object({
  bucket: z.string(),
  key: z.string(),
  revision: z.number().int(),
  operation: KvOperationSchema,
  created: IsoTime,
  /** Bytes of the whole value. */
  size: z.number().int(),
  format: PayloadFormatSchema,
  /** The value (possibly only its start) as base64. */
  valueBase64: z.string(),
  truncated: z.boolean()
});
export type KvEntry = z.infer<typeof KvEntrySchema>;

export const KvGetInputSchema = z
  .object({
    bucket: KvBucketName,
    key: KvKey,
    revision: z.number().int().min(1).optional(),
    maxValueBytes: z
      .number()
      .int()
      .min(0)
      .max(8 * 1024 * 1024)
      .default(1024 * 1024)
  })
  .strict();

export const KvPutInputSchema = z
  .object({
    bucket: KvBucketName,
    key: KvKey,
    value: z.string().max(16 * 1024 * 1024),
    /** How `value` is written: UTF-8 text or base64 of bytes. */
    encoding: z.enum(['utf8', 'base64']).default('utf8'),
    /**
     * put: write whatever is there (or, with revision, only over that revision); create: only when
     * the key has no value; update: only when its newest revision is `revision`.
     */
    mode: z.enum(['put', 'create', 'update']).default('put'),
    revision: z.number().int().min(0).optional()
  })
  .strict()
  .refine((v) => v.mode !== 'update' || v.revision !== undefined, {
    message: 'update needs the revision it replaces',
    path: ['revision']
  });

export const KvWriteResultSchema = z.object({ bucket: z.string(), key: z.string(), revision: z.number().int() });

export const KvDeleteInputSchema = z
  .object({
    bucket: KvBucketName,
    key: KvKey,
    /** Purge: remove every revision and leave one purge marker; otherwise a delete marker. */
    purge: z.boolean().default(false),
    /** Only when the newest revision is this one. */
    revision: z.number().int().min(1).optional(),
    confirm: Confirm
  })
  .strict();

export const KvHistoryInputSchema = z
  .object({
    bucket: KvBucketName,
    key: KvKey,
    maxValueBytes: z.number().int().min(0).max(65_536).default(4096)
  })
  .strict();

export const KvWatchInputSchema = z
  .object({
    bucket: KvBucketName,
    /** Keys to watch; the whole bucket when left out. */
    key: KvKeyPattern.optional(),
    /** Start with the current value of each key (else only changes from now). */
    initial: z.boolean().default(false),
    capacity: z.number().int().min(10).max(100_000).default(1000),
    maxValueBytes: z.number().int().min(0).max(65_536).default(4096)
  })
  .strict();

export const KvWatchInfoSchema = z.object({
  id: z.string(),
  bucket: z.string(),
  key: z.string(),
  received: z.number().int(),
  dropped: z.number().int(),
  startedAt: IsoTime
});
export type KvWatchInfo = z.infer<typeof KvWatchInfoSchema>;

export const KvWatchBatchSchema = watchBatchSchema(KvEntrySchema);
export type KvWatchBatch = z.infer<typeof KvWatchBatchSchema>;

const Bucket = z.object({ bucket: KvBucketName }).strict();

export const kvProcedures = {
  'kv.list': procedure(
    z.object({}).strict(),
    KvBucketListSchema,
    'Every key-value bucket with its config and status (from the cache while offline)'
  ),
  'kv.info': procedure(Bucket, KvBucketInfoSchema, 'One key-value bucket: config and status'),
  'kv.add': procedure(KvAddInputSchema, KvBucketInfoSchema, 'Create a key-value bucket'),
  'kv.edit': procedure(
    KvEditInputSchema,
    KvBucketInfoSchema,
    'Change a bucket: description, history, TTL, max bytes, value size, replicas'
  ),
  'kv.rm': procedure(
    z.object({ bucket: KvBucketName, confirm: Confirm }).strict(),
    z.object({ bucket: z.string(), deleted: z.boolean() }),
    'Delete a key-value bucket and every value in it (needs confirm: true)'
  ),
  'kv.keys': procedure(
    KvKeysInputSchema,
    KvKeysPageSchema,
    'A page of keys (optionally matching a pattern) without reading the whole bucket'
  ),
  'kv.get': procedure(KvGetInputSchema, KvEntrySchema, 'The value of a key (newest, or at a revision)'),
  'kv.put': procedure(
    KvPutInputSchema,
    KvWriteResultSchema,
    'Write a value: put, create (only new keys) or update (compare-and-set on a revision)'
  ),
  'kv.delete': procedure(
    KvDeleteInputSchema,
    z.object({ bucket: z.string(), key: z.string(), operation: KvOperationSchema }),
    'Delete (marker) or purge (drop history) a key (needs confirm: true)'
  ),
  'kv.history': procedure(
    KvHistoryInputSchema,
    z.object({ bucket: z.string(), key: z.string(), entries: z.array(KvEntrySchema) }),
    'Every kept revision of a key with its operation, oldest first'
  ),
  'kv.watch.start': procedure(
    KvWatchInputSchema,
    KvWatchInfoSchema,
    'Watch a bucket or a key pattern; changes arrive on kv.watch'
  ),
  'kv.watch.stop': procedure(
    z.object({ id: z.string().min(1).max(100) }).strict(),
    z.object({ stopped: z.boolean() }),
    'Stop a watch'
  )
} as const;

export const kvEvents = {
  'kv.watch': event(
    KvWatchBatchSchema,
    'Changes of a watched bucket or key pattern, in batches (~20 per second at most), to the client that started it',
    { maxQueued: 200 }
  ),
  'kv.snapshot': event(KvBucketListSchema, 'The bucket list after each refresh', { latestOnly: true })
} as const;
