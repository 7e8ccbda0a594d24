import { z } from 'zod';
import { ERROR_CODES } from './errors';

/** zod form of the error shape, for payloads that carry an error (connection state, …). */
export const ErrorShapeSchema = z.object({
  code: z.enum(ERROR_CODES),
  message: z.string(),
  details: z.unknown().optional()
});

/** An ISO-8601 timestamp string. */
export const IsoTime = z.string();

/** A NATS server URL: nats://, tls://, ws:// or wss://, host required. */
export const NatsUrlSchema = z
  .string()
  .trim()
  .min(1)
  .refine((value) => {
    try {
      const url = new URL(value.includes('://') ? value : `nats://${value}`);
      return ['nats:', 'tls:', 'ws:', 'wss:'].includes(url.protocol) && url.hostname.length > 0;
    } catch {
      return false;
    }
  }, 'must be a NATS URL such as nats://127.0.0.1:4222');

/**
 * One pushed batch of a live bucket watch (key-value or object store): the entries since the last
 * batch, the watch's counters, and why it ended when it ended without being stopped.
 */
export function watchBatchSchema<Entry extends z.ZodType>(entry: Entry) {
  return z.object({
    watchId: z.string(),
    entries: z.array(entry),
    received: z.number().int(),
    /** Cumulative changes dropped because delivery could not keep up (the newest are kept). */
    dropped: z.number().int(),
    /** Set on the last batch of a watch that ended without being stopped (the connection closed or changed). */
    ended: z.object({ reason: z.string() }).optional()
  });
}
