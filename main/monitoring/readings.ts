/**
 * What the alert rules and the metrics read, as plain types: one reading per source. They live apart
 * from the adapters (inputs.ts) so that the metrics registry, which the adapters feed, can name them
 * without the two files importing each other.
 */
import type { ConnectionState } from '../contract';
import type { DatabaseWriteReading } from '../store/write-probe';

export interface OutboxReading {
  pending: number;
  processing: number;
  retrying: number;
  dead: number;
  completed: number;
  /** Age of the oldest row not yet delivered; null when there is none. */
  oldestPendingAgeSeconds: number | null;
}

export type BreakerStateName = 'closed' | 'open' | 'half-open' | 'isolated';

export interface BreakerReading {
  name: string;
  state: BreakerStateName;
}

export interface ConsumerReading {
  stream: string;
  consumer: string;
  /** Messages not yet delivered (num_pending). */
  pending: number;
  /** Delivered, not yet acknowledged (num_ack_pending). */
  ackPending: number;
}

export interface StreamReading {
  stream: string;
  messages: number;
  bytes: number;
  /** Limits; <= 0 means unlimited. */
  maxMsgs: number;
  maxBytes: number;
}

export interface EngineReading {
  /** Cognitive load, 0–1. */
  load: number;
  /** Valence, -1–1. */
  valence: number;
}

/** One NATS server as the Servers area last sampled it. */
export interface ServerReading {
  server: string;
  /** False when the server's health check reports a problem; null when it was not asked. */
  healthy: boolean | null;
  healthError: string | null;
  /** JetStream storage used as a share of this server's limit; null when unlimited or off. */
  jetstreamStorageRatio: number | null;
  /** Slow consumers counted since the previous sample; null on the first sample. */
  slowConsumersDelta: number | null;
}

/** Everything the rules look at, read at one instant. */
export interface AlertInputs {
  /** Epoch ms of the reading. */
  now: number;
  connection: { state: ConnectionState; offlineSince: string | null };
  outbox: OutboxReading | null;
  breakers: BreakerReading[] | null;
  emergency: boolean | null;
  consumers: ConsumerReading[] | null;
  streams: StreamReading[] | null;
  /** p99 publish latency in seconds over the recent window; null with too few samples. */
  publishP99Seconds: number | null;
  /** Invalid messages received over the last minute (counted by the metrics registry). */
  invalidPerMinute: number | null;
  engine: EngineReading | null;
  /** Every server of the last fresh servers sample; null without one (no source, or offline). */
  servers: ServerReading[] | null;
  /** Only in cores that take part in the engine lease (run, serve, desktop). */
  leadership?: LeadershipReading | null;
  /** Whether the database can be written (a full disk); absent where nothing probes it. */
  database?: DatabaseWriteReading | null;
}

export interface LeadershipReading {
  /** Seconds since this core last saw any instance hold the engine lease (0 while one does). */
  leaderlessSeconds: number;
  ttlSeconds: number;
}
