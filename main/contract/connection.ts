import { z } from 'zod';
import { event, procedure } from './define';
import { ErrorShapeSchema, IsoTime, NatsUrlSchema } from './schemas';
import { ServerInfoSchema } from './system';

export const ConnectionStateSchema = z.enum([
  /** No server configured or reachable and nothing is being tried (e.g. after disconnect). */
  'offline',
  'connecting',
  'connected',
  'reconnecting',
  'disconnected'
]);
export type ConnectionState = z.infer<typeof ConnectionStateSchema>;

export const ConnectionStatusSchema = z.object({
  state: ConnectionStateSchema,
  /** The servers being used or tried. */
  servers: z.array(z.string()),
  /** The connection profile in use; null for the configured servers (flags, NATS_URL, config file). */
  profile: z.object({ id: z.string(), name: z.string() }).nullable(),
  /** The server currently connected to. */
  server: z.string().nullable(),
  serverInfo: ServerInfoSchema.nullable(),
  /** When the current state began. */
  since: IsoTime,
  /** When the connection was last lost (for "offline since …"); null while connected or never connected. */
  offlineSince: IsoTime.nullable(),
  rttMs: z.number().nullable(),
  /** Attempts made since the last successful connection. */
  attempts: z.number().int(),
  lastError: ErrorShapeSchema.nullable(),
  /** What the operator can do next, when something is wrong. */
  hint: z.string().nullable(),
  /** The managed nats-server child, when the core started one. */
  embedded: z.object({ url: z.string(), pid: z.number().int(), storeDir: z.string() }).nullable()
});
export type ConnectionStatus = z.infer<typeof ConnectionStatusSchema>;

export const ConnectInputSchema = z
  .object({
    /** Servers to use instead of the configured ones (with the configured credentials). */
    servers: z.array(NatsUrlSchema).min(1).max(32).optional(),
    /** Connect with this saved profile (servers, credentials, TLS); it becomes the active profile. */
    profileId: z.string().trim().min(1).max(100).optional(),
    /**
     * Start the managed local nats-server (JetStream on, loopback only, its store in the data
     * directory) and connect to it: the first-run choice when no server is reachable.
     */
    local: z.boolean().optional()
  })
  .strict()
  .refine((v) => [v.servers, v.profileId, v.local].filter(Boolean).length <= 1, {
    message: 'give one of servers, profileId or local'
  });

export const connectionProcedures = {
  'connection.status': procedure(z.object({}).strict(), ConnectionStatusSchema, 'The NATS connection state'),
  'connection.connect': procedure(
    ConnectInputSchema,
    ConnectionStatusSchema,
    'Connect (or reconnect) to NATS; resolves once connected or after the first failed attempt'
  ),
  'connection.disconnect': procedure(
    z.object({}).strict(),
    ConnectionStatusSchema,
    'Drain and close the NATS connection and stop reconnecting'
  )
} as const;

export const connectionEvents = {
  'connection.state': event(ConnectionStatusSchema, 'The NATS connection state, on every change', {
    latestOnly: true
  })
} as const;
