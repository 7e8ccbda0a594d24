/**
 * The desired JetStream topology of Syn_OS (docs/architecture.md §2): five streams with the seed's limits and
 * the durable consumers. Provisioning applies it; drift detection compares against it.
 * The bridge's inbound families have two shapes, chosen by the server's version:
 * - nats-server 2.9 has no multi-filter consumers, so each family gets its own durable
 *   (consciousness_bridge_service / _system / _user);
 * - nats-server ≥ 2.10: the seed's single durable `consciousness_bridge` with `filter_subjects`
 *   listing every family. The bridge's leader hands over from the per-family durables at a known
 *   stream sequence (main/bridge/inbound-consumers.ts); provisioning creates it only when there is
 *   nothing to hand over.
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
  /** The one filter ('>' = the whole stream); the first of filter_subjects when there are several. */
  filter_subject: string;
  /** Several filters in one consumer (nats-server ≥ 2.10); set only then. */
  filter_subjects?: string[];
  /**
   * The per-family durables this one replaces (the bridge's filtered durable): while any of them
   * exists the bridge's leader hands over from them, so provisioning never creates this one from
   * the stream's start beside them, and it may start at a sequence (deliver_policy by_start_sequence).
   */
  replaces?: string[];
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

/** Inbound orchestrator families the bridge consumes (one durable each on nats-server 2.9). */
export const BRIDGE_FILTERS = ['orchestrator.service.>', 'orchestrator.system.>', 'orchestrator.user.>'] as const;

/** The stream every inbound family lives on (`orchestrator.>`). */
export const BRIDGE_STREAM = 'ORCHESTRATOR_EVENTS';

/** The seed's single inbound durable (nats-server ≥ 2.10). */
export const BRIDGE_DURABLE = 'consciousness_bridge';

/** The per-family durable of one inbound family (nats-server 2.9). */
export function bridgeDurableName(filter: string): string {
  const family = filter.split('.')[1] ?? 'all';
  return `consciousness_bridge_${family}`;
}

/**
 * The filtered durable that reads the inbound families stored on `stream`. A consumer belongs to
 * one stream: every family lives on ORCHESTRATOR_EVENTS today, so that is `consciousness_bridge`;
 * a family moved to another stream would get its own filtered durable there, named after it.
 */
export function bridgeFilteredDurableName(stream: string): string {
  return stream === BRIDGE_STREAM ? BRIDGE_DURABLE : `${BRIDGE_DURABLE}_${stream.toLowerCase()}`;
}

export interface ConsumerShapeOptions {
  /** The server has multi-filter consumers (nats-server ≥ 2.10): the bridge reads one filtered durable. */
  multiFilter?: boolean;
}

/** The bridge's inbound durables in the shape the server supports. */
export function bridgeConsumers(options: ConsumerShapeOptions = {}): DesiredConsumer[] {
  const perFamily = BRIDGE_FILTERS.map((filter) => ({
    ...consumerDefaults,
    stream: BRIDGE_STREAM,
    durable_name: bridgeDurableName(filter),
    filter_subject: filter as string,
    description: `consciousness_bridge: ${filter} into the engine`
  }));
  if (!options.multiFilter) return perFamily;
  return [
    {
      ...consumerDefaults,
      stream: BRIDGE_STREAM,
      durable_name: bridgeFilteredDurableName(BRIDGE_STREAM),
      filter_subject: BRIDGE_FILTERS[0],
      filter_subjects: [...BRIDGE_FILTERS],
      replaces: perFamily.map((c) => c.durable_name),
      description: `consciousness_bridge: ${BRIDGE_FILTERS.join(', ')} into the engine`
    }
  ];
}

export function desiredConsumers(options: ConsumerShapeOptions = {}): DesiredConsumer[] {
  return [
    ...bridgeConsumers(options),
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
