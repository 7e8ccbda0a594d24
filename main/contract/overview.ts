/**
 * The Overview's live system picture: the services seen in lifecycle and health events, the
 * streams they write to, the consumers that read them, the engine behind the bridge's durables,
 * the engine's outputs and the consumers downstream of them — as nodes and edges, each node with
 * its health and each edge with its live messages per second. Assembled by the core from what it
 * already samples (JetStream sampler, the bridge's counters and service records); pushed at most
 * once a second while someone watches, and answered from the last stored picture while NATS is
 * unreachable (marked cached).
 */
import { z } from 'zod';
import { event, procedure } from './define';
import { IsoTime } from './schemas';

export const PictureNodeKindSchema = z.enum(['service', 'stream', 'consumer', 'engine', 'output']);
export type PictureNodeKind = z.infer<typeof PictureNodeKindSchema>;

/** ok (green), warning (amber), critical (red), unknown (grey: nothing said yet, or stale). */
export const PictureHealthSchema = z.enum(['ok', 'warning', 'critical', 'unknown']);
export type PictureHealth = z.infer<typeof PictureHealthSchema>;

export const PictureNodeSchema = z.object({
  /** Stable id: `service:<name>`, `stream:<name>`, `consumer:<stream>/<name>`, `engine`, `output:<type>`. */
  id: z.string(),
  kind: PictureNodeKindSchema,
  label: z.string(),
  health: PictureHealthSchema,
  /** The health in words ("unhealthy: readiness probe failed", "stopped", "pending growing"). */
  status: z.string(),
  /** stream: its name; consumer: the stream it reads; service: where its events land; output: its stream. */
  stream: z.string().nullable(),
  /** service: its heartbeat subject; output: the subjects it is published on (", "-joined). */
  subject: z.string().nullable(),
  /** consumer: num_pending at the last sample. */
  pending: z.number().nullable(),
  /** consumer: pending went up over the last samples. */
  pendingGrowing: z.boolean(),
  /** stream: messages per second stored; consumer: delivered per second; null until two samples exist. */
  msgsPerSec: z.number().nullable()
});
export type PictureNode = z.infer<typeof PictureNodeSchema>;

export const PictureEdgeSchema = z.object({
  id: z.string(),
  source: z.string(),
  target: z.string(),
  /** Live messages per second along this edge; null when not measurable yet. */
  msgsPerSec: z.number().nullable()
});
export type PictureEdge = z.infer<typeof PictureEdgeSchema>;

export const SystemPictureSchema = z.object({
  /** True when NATS is unreachable and this is the last picture stored in the database. */
  cached: z.boolean(),
  /** When the picture was assembled; null when there has never been one. */
  snapshotTime: IsoTime.nullable(),
  nodes: z.array(PictureNodeSchema),
  edges: z.array(PictureEdgeSchema),
  /** What is missing from the picture and what would fill it (no sample yet, no services heard …). */
  notes: z.array(z.string())
});
export type SystemPicture = z.infer<typeof SystemPictureSchema>;

export const overviewProcedures = {
  'overview.picture': procedure(
    z.object({}).strict(),
    SystemPictureSchema,
    'The live system picture: services → streams → consumers → engine → outputs → consumers, with health and msg/s'
  )
} as const;

export const overviewEvents = {
  'overview.picture': event(SystemPictureSchema, 'The system picture, at most once a second while watched', {
    maxQueued: 2,
    latestOnly: true
  })
} as const;
