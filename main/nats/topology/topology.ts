/**
 * The desired JetStream topology of Syn_OS (docs/architecture.md §2): five streams with the seed's limits and
 * the durable consumers. Provisioning applies it; drift detection compares against it.
 * Debian's nats-server 2.9 has no multi-filter consumers, so each filter gets its own durable
 * (consciousness_bridge_service / _system / _user); that layout also works on newer servers.
 */

export type StorageKind = 'file' | 'memory';

export interface DesiredStream {
  name: string;
  subjects: string[];
  max_msgs: number;
  max_bytes: number;
  /** Milliseconds. */
  max_age_ms: number;
  storage: StorageKind;
  /** Dedupe window for Nats-Msg-Id, milliseconds. Exactly-once replay relies on it. */
  duplicate_window_ms: number;
  replicas: number;
  description: string;
}

export interface DesiredConsumer {
  stream: string;
  durable_name: string;
  filter_subject: string;
  /** Explicit ack, bounded redelivery. */
  max_deliver: number;
  ack_wait_ms: number;
  max_ack_pending: number;
  description: string;
}

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;

/** Default dedupe window: long enough to cover an app restart and an outbox drain. */
export const DEFAULT_DUPLICATE_WINDOW_MS = 2 * 60 * 1000;

export interface TopologyOptions {
  replicas?: number;
  duplicateWindowMs?: number;
}

export function desiredStreams(options: TopologyOptions = {}): DesiredStream[] {
  const replicas = options.replicas ?? 1;
  const duplicate_window_ms = options.duplicateWindowMs ?? DEFAULT_DUPLICATE_WINDOW_MS;
  const base = { replicas, duplicate_window_ms };
  return [
    {
      ...base,
      name: 'CONSCIOUSNESS_EVENTS',
      subjects: ['consciousness.>'],
      max_msgs: 50_000,
      max_bytes: 512 * MiB,
      max_age_ms: 24 * HOUR,
      storage: 'file',
      description: 'Events the consciousness engine emits'
    },
    {
      ...base,
      name: 'ORCHESTRATOR_EVENTS',
      subjects: ['orchestrator.>'],
      max_msgs: 100_000,
      max_bytes: 1 * GiB,
      max_age_ms: 7 * DAY,
      storage: 'file',
      description: 'Orchestrator traffic, both directions'
    },
    {
      ...base,
      name: 'SECURITY_EVENTS',
      subjects: ['security.>'],
      max_msgs: 200_000,
      max_bytes: 2 * GiB,
      max_age_ms: 30 * DAY,
      storage: 'file',
      description: 'Security events'
    },
    {
      ...base,
      name: 'HEALTH_METRICS',
      subjects: ['health.>', 'metrics.>'],
      max_msgs: 500_000,
      max_bytes: 1 * GiB,
      max_age_ms: 7 * DAY,
      storage: 'file',
      description: 'Health heartbeats and metrics summaries'
    },
    {
      ...base,
      name: 'PRIORITY_EVENTS',
      subjects: ['priority.>', 'critical.>', 'alert.>'],
      max_msgs: 10_000,
      max_bytes: 100 * MiB,
      max_age_ms: 30 * DAY,
      storage: 'memory',
      description: 'Priority events, critical events and alerts'
    }
  ];
}

const consumerDefaults = { max_deliver: 10, ack_wait_ms: 30_000, max_ack_pending: 1000 };

/** Inbound orchestrator families the bridge consumes, one durable each. */
export const BRIDGE_FILTERS = ['orchestrator.service.>', 'orchestrator.system.>', 'orchestrator.user.>'] as const;

export function bridgeDurableName(filter: string): string {
  const family = filter.split('.')[1] ?? 'all';
  return `consciousness_bridge_${family}`;
}

export function desiredConsumers(): DesiredConsumer[] {
  return [
    ...BRIDGE_FILTERS.map((filter) => ({
      ...consumerDefaults,
      stream: 'ORCHESTRATOR_EVENTS',
      durable_name: bridgeDurableName(filter),
      filter_subject: filter,
      description: `consciousness_bridge: ${filter} into the engine`
    })),
    {
      ...consumerDefaults,
      stream: 'ORCHESTRATOR_EVENTS',
      durable_name: 'orchestrator_service',
      filter_subject: 'orchestrator.consciousness.>',
      description: 'What the orchestrator consumes from the engine'
    },
    {
      ...consumerDefaults,
      stream: 'SECURITY_EVENTS',
      durable_name: 'security_dashboard',
      filter_subject: 'security.>',
      description: 'Security events into the engine and the Security view'
    },
    {
      ...consumerDefaults,
      stream: 'HEALTH_METRICS',
      durable_name: 'health_monitor',
      filter_subject: 'health.>',
      description: 'Service health for the Overview'
    },
    {
      ...consumerDefaults,
      stream: 'PRIORITY_EVENTS',
      durable_name: 'priority_handler',
      filter_subject: '>',
      description: 'Priority, critical and alert events'
    }
  ];
}
