/**
 * Object stores: buckets, objects with their meta, delete and seal behind confirm, live watches on
 * `objects.watch`, and transfers. No procedure takes a file system path: in web mode the browser
 * uploads and downloads over HTTP with a one-time ticket (objects.transfer); on the desktop the
 * main process asks for the file with a native dialog (objects.upload / objects.download).
 * Transfers report on `objects.progress` to the client that started them.
 */
import { z } from 'zod';
import { event, procedure } from './define';
import { IsoTime, watchBatchSchema } from './schemas';

export const ObjectBucketName = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .regex(/^[-\w]+$/, 'a bucket name has only letters, digits, - and _');

/** Object names are free text (they are base64-encoded in subjects), not empty. */
export const ObjectName = z.string().min(1).max(1024);

const CacheMark = { cached: z.boolean(), snapshotTime: IsoTime };
const Confirm = z.literal(true, { error: 'set confirm: true to confirm this destructive action' });

export const ObjectBucketSchema = z.object({
  bucket: z.string(),
  stream: z.string(),
  description: z.string().nullable(),
  storage: z.enum(['file', 'memory']),
  replicas: z.number().int(),
  sealed: z.boolean(),
  ttlMs: z.number(),
  /** -1 unlimited. */
  maxBytes: z.number(),
  compression: z.boolean(),
  size: z.number(),
  usageBytes: z.number().nullable(),
  created: IsoTime
});
export type ObjectBucket = z.infer<typeof ObjectBucketSchema>;

export const ObjectEntrySchema = z.object({
  bucket: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  size: z.number(),
  chunks: z.number().int(),
  /** `SHA-256=<base64url>` as the obj client stores it. */
  digest: z.string(),
  modified: IsoTime,
  deleted: z.boolean(),
  headers: z.record(z.string(), z.array(z.string())).nullable(),
  /** Set when this object is a link to another (bucket, name) or to a whole bucket (name null). */
  link: z.object({ bucket: z.string(), name: z.string().nullable() }).nullable(),
  revision: z.number().int(),
  metadata: z.record(z.string(), z.string()).nullable()
});
export type ObjectEntry = z.infer<typeof ObjectEntrySchema>;

export const ObjectBucketListSchema = z.object({ ...CacheMark, buckets: z.array(ObjectBucketSchema) });
export type ObjectBucketList = z.infer<typeof ObjectBucketListSchema>;
export const ObjectBucketInfoSchema = z.object({ ...CacheMark, bucket: ObjectBucketSchema });
export const ObjectListSchema = z.object({ ...CacheMark, bucket: z.string(), objects: z.array(ObjectEntrySchema) });
export type ObjectList = z.infer<typeof ObjectListSchema>;

export const ObjectAddInputSchema = z
  .object({
    bucket: ObjectBucketName,
    description: z.string().max(4096).optional(),
    ttlMs: z.number().int().min(0).optional(),
    maxBytes: z.number().int().min(-1).optional(),
    replicas: z.number().int().min(1).max(5).optional(),
    storage: z.enum(['file', 'memory']).optional(),
    compression: z.boolean().optional()
  })
  .strict();

export const TransferDirectionSchema = z.enum(['upload', 'download']);

export const ObjectTransferInputSchema = z
  .object({
    bucket: ObjectBucketName,
    name: ObjectName,
    direction: TransferDirectionSchema,
    description: z.string().max(4096).optional()
  })
  .strict();

export const ObjectTransferTicketSchema = z.object({
  transferId: z.string(),
  /** Path on the web server to PUT the bytes to (upload) or GET them from (download); valid once, for 5 minutes. */
  path: z.string(),
  expiresAt: IsoTime
});
export type ObjectTransferTicket = z.infer<typeof ObjectTransferTicketSchema>;

export const ObjectProgressSchema = z.object({
  transferId: z.string(),
  bucket: z.string(),
  name: z.string(),
  direction: TransferDirectionSchema,
  bytes: z.number(),
  /** null while the size is not known. */
  total: z.number().nullable(),
  state: z.enum(['running', 'done', 'failed', 'cancelled']),
  error: z.string().nullable()
});
export type ObjectProgress = z.infer<typeof ObjectProgressSchema>;

export const ObjectWatchBatchSchema = watchBatchSchema(ObjectEntrySchema);
export type ObjectWatchBatch = z.infer<typeof ObjectWatchBatchSchema>;

const Bucket = z.object({ bucket: ObjectBucketName }).strict();

export const objectsProcedures = {
  'objects.list': procedure(
    z.object({}).strict(),
    ObjectBucketListSchema,
    'Every object store with its size and limits (from the cache while offline)'
  ),
  'objects.info': procedure(Bucket, ObjectBucketInfoSchema, 'One object store: config and status'),
  'objects.add': procedure(ObjectAddInputSchema, ObjectBucketInfoSchema, 'Create an object store'),
  'objects.rm': procedure(
    z.object({ bucket: ObjectBucketName, confirm: Confirm }).strict(),
    z.object({ bucket: z.string(), deleted: z.boolean() }),
    'Delete an object store and every object in it (needs confirm: true)'
  ),
  'objects.seal': procedure(
    z.object({ bucket: ObjectBucketName, confirm: Confirm }).strict(),
    ObjectBucketInfoSchema,
    'Seal an object store: nothing can be added, changed or deleted afterwards (needs confirm: true)'
  ),
  'objects.objects': procedure(
    Bucket,
    ObjectListSchema,
    'The objects of a store with size, chunks, digest, time, description, headers and links'
  ),
  'objects.object': procedure(
    z.object({ bucket: ObjectBucketName, name: ObjectName }).strict(),
    ObjectEntrySchema,
    'One object'
  ),
  'objects.delete': procedure(
    z.object({ bucket: ObjectBucketName, name: ObjectName, confirm: Confirm }).strict(),
    z.object({ bucket: z.string(), name: z.string(), deleted: z.boolean() }),
    'Delete an object (needs confirm: true)'
  ),
  'objects.transfer': procedure(
    ObjectTransferInputSchema,
    ObjectTransferTicketSchema,
    'Web mode: a one-time path to upload (PUT) or download (GET) an object, streamed'
  ),
  'objects.upload': procedure(
    z.object({ bucket: ObjectBucketName, description: z.string().max(4096).optional() }).strict(),
    z.object({ cancelled: z.boolean(), object: ObjectEntrySchema.nullable() }),
    'Desktop: choose a file with the native dialog and put it into the store, streamed with progress'
  ),
  'objects.download': procedure(
    z.object({ bucket: ObjectBucketName, name: ObjectName }).strict(),
    z.object({ cancelled: z.boolean(), bytes: z.number(), fileName: z.string().nullable() }),
    'Desktop: choose where to save with the native dialog and get the object, streamed with a digest check'
  ),
  'objects.watch.start': procedure(
    z
      .object({
        bucket: ObjectBucketName,
        capacity: z.number().int().min(10).max(100_000).default(1000)
      })
      .strict(),
    z.object({
      id: z.string(),
      bucket: z.string(),
      key: z.string(),
      received: z.number().int(),
      dropped: z.number().int(),
      startedAt: IsoTime
    }),
    'Watch the objects of a store; changes arrive on objects.watch'
  ),
  'objects.watch.stop': procedure(
    z.object({ id: z.string().min(1).max(100) }).strict(),
    z.object({ stopped: z.boolean() }),
    'Stop a watch'
  )
} as const;

export const objectsEvents = {
  'objects.watch': event(ObjectWatchBatchSchema, 'Changes of a watched object store, in batches', { maxQueued: 200 }),
  'objects.progress': event(ObjectProgressSchema, 'Progress of a transfer, to the client that started it', {
    maxQueued: 100
  })
} as const;
