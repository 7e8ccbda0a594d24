/**
 * Core NATS messaging for the operator: live tails of any subject (wildcards), publish with
 * headers (raw, or as a validated Syn_OS envelope), and request/reply with a timeout.
 * Tail messages are pushed on `tail.messages` in batches; payloads are previews (UTF-8 text when
 * valid, else base64), truncated at a size the caller chooses.
 */
import { z } from 'zod';
import { event, procedure } from './define';
import { MESSAGE_TYPES, PrioritySchema } from './messages';
import { IsoTime } from './schemas';

const TOKEN = /^[^\s.*>]+$/;

function subjectIssue(value: string, wildcards: boolean): string | null {
  if (value.length === 0) return 'must not be empty';
  if (/\s/.test(value)) return 'must not contain spaces';
  const tokens = value.split('.');
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as string;
    if (t === '') return 'must not have empty tokens (leading, trailing or double dots)';
    if (t === '*' || t === '>') {
      if (!wildcards) return 'must not contain wildcards (* or >) here';
      if (t === '>' && i !== tokens.length - 1) return '> may only be the last token';
      continue;
    }
    if (!TOKEN.test(t)) return `token "${t}" mixes a wildcard with other characters`;
  }
  return null;
}

/** A subject to subscribe to: `*` matches one token, `>` the rest. */
export const SubscribeSubjectSchema = z
  .string()
  .trim()
  .max(1024)
  .superRefine((v, ctx) => {
    const issue = subjectIssue(v, true);
    if (issue) ctx.addIssue({ code: 'custom', message: `subject ${issue}` });
  });

/** A concrete subject to publish to. */
export const PublishSubjectSchema = z
  .string()
  .trim()
  .max(1024)
  .superRefine((v, ctx) => {
    const issue = subjectIssue(v, false);
    if (issue) ctx.addIssue({ code: 'custom', message: `subject ${issue}` });
  });

const HeaderName = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[!-9;-~]+$/, 'header names are printable ASCII without spaces or colons');
const HeaderValue = z
  .string()
  .max(65_536)
  .regex(/^[^\r\n]*$/, 'header values must not contain line breaks');

/** Headers to send: one value or several per name. */
export const HeadersInputSchema = z.record(HeaderName, z.union([HeaderValue, z.array(HeaderValue).min(1).max(64)]));
/** Headers received: every value per name. */
export const HeadersSchema = z.record(z.string(), z.array(z.string()));

export const PayloadEncodingSchema = z.enum(['utf8', 'base64']);

/** A payload as shown to the operator. */
export const PayloadPreviewSchema = z.object({
  /** Full size in bytes. */
  size: z.number().int(),
  /** UTF-8 text when the bytes are valid UTF-8, else base64 of the (truncated) bytes. */
  payload: z.string(),
  encoding: PayloadEncodingSchema,
  /** True when only the first previewBytes are included. */
  truncated: z.boolean()
});
export type PayloadPreview = z.infer<typeof PayloadPreviewSchema>;

export const TailMessageSchema = PayloadPreviewSchema.extend({
  /** 1-based number of the message in its tail; a gap means messages were dropped. */
  seq: z.number().int(),
  subject: z.string(),
  time: IsoTime,
  reply: z.string().nullable(),
  headers: HeadersSchema.nullable()
});
export type TailMessage = z.infer<typeof TailMessageSchema>;

export const TailStateSchema = z.enum(['running', 'paused']);

export const TailInfoSchema = z.object({
  id: z.string(),
  subject: z.string(),
  state: TailStateSchema,
  /** Most messages kept; beyond it the oldest undelivered ones are dropped and counted. */
  capacity: z.number().int(),
  previewBytes: z.number().int(),
  /** Messages in the ring now. */
  buffered: z.number().int(),
  received: z.number().int(),
  /** Received but never delivered (the ring overflowed while paused or during a burst). */
  dropped: z.number().int(),
  startedAt: IsoTime,
  lastMessageAt: IsoTime.nullable()
});
export type TailInfo = z.infer<typeof TailInfoSchema>;

const TailIdInput = z.object({ id: z.string().min(1).max(100) }).strict();

const BodyFields = {
  /** The body; `{{count}}` / `{{.Count}}`, `{{.TimeStamp}}`, `{{.Unix}}`, `{{.ID}}` are filled per message. */
  body: z
    .string()
    .max(8 * 1024 * 1024)
    .default(''),
  /** base64: the body is binary, given as base64 (templates are not applied then). */
  bodyEncoding: PayloadEncodingSchema.default('utf8'),
  headers: HeadersInputSchema.optional()
};

/** Wraps the body in a CloudEvents envelope of a known Syn_OS type, validated before sending. */
export const EnvelopeOptionsSchema = z
  .object({
    type: z.enum(MESSAGE_TYPES),
    source: z.string().min(1).max(500).default('synos-control-center'),
    priority: PrioritySchema.optional(),
    correlationid: z.string().min(1).max(200).optional()
  })
  .strict();

export const PublishInputSchema = z
  .object({
    subject: PublishSubjectSchema,
    ...BodyFields,
    /** Publish this many messages (templates see 1…count). */
    count: z.number().int().min(1).max(1_000_000).default(1),
    /** Fill templates (natscli does by default; --no-templates turns it off). */
    templates: z.boolean().default(true),
    /** The body is the envelope's `data` (JSON) of this type. */
    envelope: EnvelopeOptionsSchema.optional(),
    /**
     * Per-message TTL (nats-server ≥ 2.11, streams with allow_msg_ttl), whole seconds: the stream
     * removes the message after this long (the Nats-TTL header).
     */
    ttlMs: z
      .number()
      .int()
      .min(1000)
      .max(100 * 365 * 86_400_000)
      .refine((ms) => ms % 1000 === 0, { message: 'a message TTL is whole seconds' })
      .optional()
  })
  .strict();
export type PublishInput = z.input<typeof PublishInputSchema>;

export const PublishResultSchema = z.object({
  subject: z.string(),
  published: z.number().int(),
  bytes: z.number().int(),
  /** Envelope ids (also sent as Nats-Msg-Id), first 1000; empty for raw bodies. */
  ids: z.array(z.string()),
  durationMs: z.number()
});
export type PublishResult = z.infer<typeof PublishResultSchema>;

export const RequestInputSchema = z
  .object({
    subject: PublishSubjectSchema,
    ...BodyFields,
    timeoutMs: z.number().int().min(10).max(300_000).default(5000),
    previewBytes: z
      .number()
      .int()
      .min(64)
      .max(8 * 1024 * 1024)
      .default(64 * 1024)
  })
  .strict();
export type RequestInput = z.input<typeof RequestInputSchema>;

export const RequestResultSchema = z.object({
  subject: z.string(),
  reply: PayloadPreviewSchema.extend({ headers: HeadersSchema.nullable() }),
  durationMs: z.number()
});
export type RequestResult = z.infer<typeof RequestResultSchema>;

export const TailBatchSchema = z.object({
  tailId: z.string(),
  messages: z.array(TailMessageSchema),
  received: z.number().int(),
  /** Cumulative drops of this tail so far. */
  dropped: z.number().int(),
  state: TailStateSchema
});
export type TailBatch = z.infer<typeof TailBatchSchema>;

export const messagingProcedures = {
  'tail.start': procedure(
    z
      .object({
        subject: SubscribeSubjectSchema,
        capacity: z.number().int().min(10).max(100_000).default(1000),
        previewBytes: z
          .number()
          .int()
          .min(64)
          .max(8 * 1024 * 1024)
          .default(4096)
      })
      .strict(),
    TailInfoSchema,
    'Start a live tail of a subject (wildcards allowed); messages arrive on tail.messages'
  ),
  'tail.stop': procedure(TailIdInput, z.object({ stopped: z.boolean() }), 'Stop a live tail'),
  'tail.pause': procedure(TailIdInput, TailInfoSchema, 'Pause delivery; the ring keeps the newest messages'),
  'tail.resume': procedure(TailIdInput, TailInfoSchema, 'Resume delivery, starting with what the ring kept'),
  'tail.list': procedure(
    z.object({}).strict(),
    z.object({ tails: z.array(TailInfoSchema) }),
    "This client's live tails"
  ),
  'tail.read': procedure(
    z.object({ id: z.string().min(1).max(100), afterSeq: z.number().int().min(0).default(0) }).strict(),
    z.object({ tail: TailInfoSchema, messages: z.array(TailMessageSchema) }),
    'The messages the ring holds now (after afterSeq), e.g. to refill a reopened view'
  ),
  'messages.publish': procedure(
    PublishInputSchema,
    PublishResultSchema,
    'Publish a message (or count of them) on core NATS'
  ),
  'messages.request': procedure(RequestInputSchema, RequestResultSchema, 'Send a request and wait for one reply')
} as const;

export const messagingEvents = {
  'tail.messages': event(
    TailBatchSchema,
    'New messages of a live tail, in batches (~20 per second at most), sent only to the client that started the tail',
    {
      maxQueued: 200
    }
  )
} as const;
