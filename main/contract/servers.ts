/**
 * The NATS servers themselves (docs/architecture.md §5): what each server of the system says about
 * itself (VARZ, HEALTHZ, JSZ, ROUTEZ, LEAFZ), its connections (CONNZ), and their history sampled
 * into SQLite. Read through the system account (`$SYS.REQ.SERVER.PING.*`) when the credentials in
 * use belong to it, otherwise through a configured monitoring URL (the server's `-m` port); the
 * answer always says which source was used, or why neither is available.
 */
import { z } from 'zod';
import { event, procedure } from './define';
import { IsoTime } from './schemas';

/** Where server information comes from. */
export const ServerSourceSchema = z.enum(['system', 'monitor', 'none']);
export type ServerSource = z.infer<typeof ServerSourceSchema>;

export const ServerHealthSchema = z.object({
  /** `ok`, or what the server reported (`unavailable`, `error`); `unknown` when not asked. */
  status: z.enum(['ok', 'unavailable', 'error', 'unknown']),
  error: z.string().nullable()
});

export const ServerRouteSchema = z.object({
  /** The remote server's id (and name when known). */
  remoteId: z.string(),
  remoteName: z.string().nullable(),
  ip: z.string(),
  port: z.number().int(),
  pendingBytes: z.number(),
  inMsgs: z.number(),
  outMsgs: z.number()
});

export const ServerLeafSchema = z.object({
  name: z.string().nullable(),
  account: z.string().nullable(),
  ip: z.string(),
  port: z.number().int(),
  rttMs: z.number().nullable()
});

export const ServerJetStreamSchema = z.object({
  memoryBytes: z.number(),
  storageBytes: z.number(),
  /** Limits of this server; 0 or less means unlimited. */
  maxMemoryBytes: z.number(),
  maxStorageBytes: z.number(),
  streams: z.number().nullable(),
  consumers: z.number().nullable(),
  messages: z.number().nullable(),
  apiTotal: z.number(),
  apiErrors: z.number(),
  /** Name of the JetStream meta leader, when clustered. */
  metaLeader: z.string().nullable()
});

export const ServerSummarySchema = z.object({
  id: z.string(),
  name: z.string(),
  cluster: z.string().nullable(),
  host: z.string(),
  version: z.string(),
  start: IsoTime,
  uptimeSeconds: z.number(),
  /** Percent of one core (as the server reports it). */
  cpuPercent: z.number(),
  cores: z.number().int(),
  memoryBytes: z.number(),
  connections: z.number().int(),
  totalConnections: z.number(),
  subscriptions: z.number(),
  slowConsumers: z.number(),
  inMsgs: z.number(),
  outMsgs: z.number(),
  inBytes: z.number(),
  outBytes: z.number(),
  /** Per second, from this sample and the previous one of the same server; null on the first. */
  rates: z.object({ inMsgs: z.number(), outMsgs: z.number(), inBytes: z.number(), outBytes: z.number() }).nullable(),
  /** Slow consumers counted since the previous sample; null on the first. */
  slowConsumersDelta: z.number().nullable(),
  jetstream: ServerJetStreamSchema.nullable(),
  health: ServerHealthSchema,
  routes: z.array(ServerRouteSchema),
  leafnodes: z.array(ServerLeafSchema),
  /** When this server was sampled. */
  sampledAt: IsoTime
});
export type ServerSummary = z.infer<typeof ServerSummarySchema>;

export const ServersOverviewSchema = z.object({
  source: ServerSourceSchema,
  /** How the information was read, in the operator's words ("system account", "http://…:8222"). */
  sourceLabel: z.string(),
  /** When source is `none` (or a source failed): why, and how to enable one. */
  hint: z.string().nullable(),
  servers: z.array(ServerSummarySchema),
  /** True when NATS is unreachable and this is the last sample kept in the database. */
  cached: z.boolean(),
  snapshotTime: IsoTime.nullable()
});
export type ServersOverview = z.infer<typeof ServersOverviewSchema>;

export const ConnectionSortSchema = z.enum([
  'pending',
  'msgs_to',
  'msgs_from',
  'bytes_to',
  'bytes_from',
  'subs',
  'idle',
  'cid'
]);
export type ConnectionSort = z.infer<typeof ConnectionSortSchema>;

export const ServerConnectionSchema = z.object({
  serverId: z.string(),
  serverName: z.string(),
  cid: z.number().int(),
  name: z.string().nullable(),
  lang: z.string().nullable(),
  version: z.string().nullable(),
  ip: z.string(),
  port: z.number().int(),
  account: z.string().nullable(),
  pendingBytes: z.number(),
  /** Messages the server sent to the client / received from it. */
  outMsgs: z.number(),
  inMsgs: z.number(),
  outBytes: z.number(),
  inBytes: z.number(),
  subscriptions: z.number(),
  rttMs: z.number().nullable(),
  idleSeconds: z.number().nullable(),
  uptimeSeconds: z.number().nullable()
});
export type ServerConnection = z.infer<typeof ServerConnectionSchema>;

export const ServerSampleSchema = z.object({
  serverId: z.string(),
  serverName: z.string(),
  at: IsoTime,
  cpuPercent: z.number(),
  memoryBytes: z.number(),
  connections: z.number(),
  inMsgsPerSec: z.number().nullable(),
  outMsgsPerSec: z.number().nullable(),
  inBytesPerSec: z.number().nullable(),
  outBytesPerSec: z.number().nullable(),
  slowConsumers: z.number(),
  jsStorageBytes: z.number().nullable()
});
export type ServerSample = z.infer<typeof ServerSampleSchema>;

export const serversProcedures = {
  'servers.overview': procedure(
    z.object({ refresh: z.boolean().optional() }).strict(),
    ServersOverviewSchema,
    'Every NATS server of the system: version, load, traffic, JetStream usage, health, routes and leafnodes'
  ),
  'servers.connections': procedure(
    z
      .object({
        /** One server's connections; all servers when absent. */
        serverId: z.string().trim().min(1).max(200).optional(),
        sort: ConnectionSortSchema.optional(),
        limit: z.number().int().min(1).max(1000).optional()
      })
      .strict(),
    z.object({
      source: ServerSourceSchema,
      hint: z.string().nullable(),
      connections: z.array(ServerConnectionSchema),
      /** Connections the servers have in all (more than listed when limited). */
      total: z.number().int()
    }),
    'The client connections of the servers, sorted (pending bytes, messages, subscriptions, idle)'
  ),
  'servers.ping': procedure(
    z.object({}).strict(),
    z.object({
      source: ServerSourceSchema,
      hint: z.string().nullable(),
      /** Each server that answered, with the time its answer took. */
      servers: z.array(z.object({ id: z.string(), name: z.string(), version: z.string(), rttMs: z.number() }))
    }),
    'Ping every server (system account) or the monitoring port, with each answer time'
  ),
  'servers.series': procedure(
    z
      .object({
        /** Samples newer than this many ms ago (default one day, the retention). */
        sinceMs: z.number().int().min(1000).max(86_400_000).optional(),
        serverId: z.string().trim().min(1).max(200).optional()
      })
      .strict(),
    z.object({ samples: z.array(ServerSampleSchema) }),
    'Sampled history of each server (kept a day, also offline)'
  )
} as const;

export const serversEvents = {
  'servers.sample': event(ServersOverviewSchema, 'A new sample of every server', { maxQueued: 4, latestOnly: true })
} as const;
