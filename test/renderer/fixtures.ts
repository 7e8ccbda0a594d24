/** Canned answers shaped by the contract's types (the compiler checks every field). */
import type { ConnectionStatus, OutputOf, PictureNode, StreamSummary, SystemPicture } from '../../main/contract';
import { ContractError } from '../../main/contract/errors';

export const NOW = '2026-12-06T12:00:00.000Z';

export const connected: ConnectionStatus = {
  state: 'connected',
  servers: ['nats://127.0.0.1:4222'],
  profile: null,
  server: 'nats://127.0.0.1:4222',
  serverInfo: null,
  since: NOW,
  offlineSince: null,
  rttMs: 1,
  attempts: 0,
  lastError: null,
  hint: null,
  embedded: null
};

export const disconnected: ConnectionStatus = {
  ...connected,
  state: 'disconnected',
  server: null,
  offlineSince: NOW,
  lastError: { code: 'NATS_UNREACHABLE', message: 'connection refused' },
  hint: 'Start nats-server or check the URL'
};

/** The error every "error state" test expects to see in full: code, message and the next step. */
export function unreachable(): ContractError {
  return new ContractError('NATS_UNREACHABLE', 'NATS at nats://127.0.0.1:4222 refused the connection', {
    hint: 'Start nats-server, or pick another connection profile in Settings'
  });
}

export function stream(name: string, over: Partial<StreamSummary> = {}): StreamSummary {
  return {
    name,
    description: null,
    subjects: [`${name.toLowerCase()}.>`],
    storage: 'file',
    retention: 'limits',
    replicas: 1,
    messages: 10,
    bytes: 2048,
    firstSeq: 1,
    lastSeq: 10,
    firstTime: NOW,
    lastTime: NOW,
    consumerCount: 0,
    maxMsgs: -1,
    maxBytes: -1,
    maxAgeMs: 0,
    usageMsgs: null,
    usageBytes: null,
    created: NOW,
    leader: null,
    ...over
  };
}

export function streamList(streams: StreamSummary[], cached = false): OutputOf<'streams.list'> {
  return { cached, snapshotTime: NOW, streams };
}

export const inSync: OutputOf<'streams.drift'> = {
  mode: 'check',
  time: NOW,
  serverVersion: '2.11.0',
  replicas: 1,
  duplicateWindowMs: 120_000,
  streams: [],
  consumers: [],
  summary: { created: 0, updated: 0, unchanged: 0, blocked: 0, missing: 0, drift: 0, failed: 0 },
  inSync: true
};

export function engineSnapshot(focus: string | null, load = 0.25): OutputOf<'engine.state'> {
  return {
    state: {
      focus,
      valence: 0.1,
      arousal: 0.2,
      confidence: 0.5,
      curiosity: 0.3,
      load,
      mode: 'focused',
      open_problems: 2
    },
    attention: [],
    workingMemory: [],
    inputRatePerSecond: 0,
    counters: { inputs: 0, events: 0, errors: 0, decisions: 0, problemsOpened: 0, problemsResolved: 0 },
    updatedAt: NOW
  };
}

export const metricsSnapshot: OutputOf<'metrics.snapshot'> = {
  time: NOW,
  endpoint: null,
  sampleIntervalMs: 5000,
  connection: { state: 'connected', offlineSince: null },
  totals: { published: 1200, received: 800, invalid: 0 },
  current: null,
  outbox: { pending: 3, processing: 1, retrying: 0, dead: 2, completed: 40, oldestPendingAgeSeconds: 12 },
  breakers: [{ name: 'publish', state: 'open' }],
  emergency: false,
  consumers: null,
  streams: null,
  snapshotAt: null,
  engine: { load: 0.25, valence: 0.1 },
  alerts: { active: 0, bySeverity: { INFO: 0, WARNING: 0, ERROR: 0, CRITICAL: 0 } },
  series: []
};

export const systemInfo: OutputOf<'system.info'> = {
  appVersion: '0.1.0',
  mode: 'web',
  dataDir: '/var/lib/synos-cc',
  databasePath: '/var/lib/synos-cc/synos.db',
  platform: 'linux',
  nodeVersion: '22.0.0',
  startedAt: NOW,
  server: null,
  databaseRecoveredFrom: null,
  secretStorage: { kind: 'key-file', label: 'key file', reason: null }
};

export type Alert = OutputOf<'alerts.list'>['alerts'][number];

export function alert(id: number, message: string, over: Partial<Alert> = {}): Alert {
  return {
    id,
    rule: 'nats.disconnected',
    target: 'connection',
    severity: 'CRITICAL',
    state: 'firing',
    message,
    value: null,
    threshold: null,
    since: NOW,
    resolvedAt: null,
    acknowledgedAt: null,
    acknowledgedBy: null,
    updatedAt: NOW,
    ...over
  };
}

export function outboxStats(pendingCount: number, deliveredTotal = 100): OutputOf<'outbox.stats'> {
  return {
    counts: { pending: pendingCount, processing: 0, retrying: 1, completed: 90, dead: 2 },
    oldestUndeliveredAt: null,
    oldestUndeliveredAgeMs: null,
    inFlight: 0,
    draining: true,
    rateLimitPerSec: null,
    deliveredTotal,
    duplicatesTotal: 0,
    time: NOW
  };
}

export type OutboxEntry = OutputOf<'outbox.list'>['entries'][number];

export function outboxEntry(id: string, subject: string, over: Partial<OutboxEntry> = {}): OutboxEntry {
  return {
    id,
    subject,
    priority: 'normal',
    status: 'dead',
    attempts: 10,
    nextAttemptAt: NOW,
    lastError: 'no responders',
    size: 120,
    createdAt: NOW,
    updatedAt: NOW,
    stream: null,
    seq: null,
    duplicate: null,
    ...over
  };
}

export function breakers(publish: 'closed' | 'open'): OutputOf<'resilience.breakers'> {
  return {
    emergency: { active: false, since: null, reason: null },
    breakers: [
      { operation: 'publish', state: publish, since: NOW, consecutiveFailures: 0, openedCount: 0, lastError: null }
    ],
    others: [],
    time: NOW
  };
}

export type Consumer = OutputOf<'consumers.list'>['consumers'][number];

export function consumer(streamName: string, name: string, numPending: number): Consumer {
  return {
    stream: streamName,
    name,
    durable: true,
    description: null,
    filter: null,
    pull: true,
    ackPolicy: 'explicit',
    deliverPolicy: 'all',
    maxDeliver: -1,
    ackWaitMs: 30_000,
    numPending,
    numAckPending: 0,
    numRedelivered: 0,
    numWaiting: 0,
    delivered: { consumerSeq: 1, streamSeq: 1, lastActive: NOW },
    ackFloor: { consumerSeq: 1, streamSeq: 1, lastActive: NOW },
    lastActive: NOW,
    created: NOW,
    leader: null
  };
}

export type Recording = OutputOf<'recordings.list'>['recordings'][number];

export function recording(id: number, name: string, over: Partial<Recording> = {}): Recording {
  return {
    id,
    name,
    filter: 'orchestrator.>',
    source: 'live',
    stream: null,
    startSeq: null,
    endSeq: null,
    status: 'recording',
    messageCount: 10,
    bytes: 1000,
    firstTime: NOW,
    lastTime: NOW,
    error: null,
    createdAt: NOW,
    stoppedAt: null,
    ...over
  };
}

export type ServerSummary = OutputOf<'servers.overview'>['servers'][number];

export function server(name: string, connections: number): ServerSummary {
  return {
    id: `ID-${name}`,
    name,
    cluster: null,
    host: '127.0.0.1',
    version: '2.11.0',
    start: NOW,
    uptimeSeconds: 3600,
    cpuPercent: 2.5,
    cores: 4,
    memoryBytes: 64 * 1024 * 1024,
    connections,
    totalConnections: connections,
    subscriptions: 10,
    slowConsumers: 0,
    inMsgs: 100,
    outMsgs: 100,
    inBytes: 1000,
    outBytes: 1000,
    rates: null,
    slowConsumersDelta: null,
    jetstream: null,
    health: { status: 'ok', error: null },
    routes: [],
    leafnodes: [],
    sampledAt: NOW
  };
}

export function serversOverview(servers: ServerSummary[], cached = false): OutputOf<'servers.overview'> {
  return {
    source: 'system',
    sourceLabel: 'system account',
    hint: servers.length === 0 ? 'Connect with a system account user to see the servers' : null,
    servers,
    cached,
    snapshotTime: NOW
  };
}

/** A small system picture: a service → its stream → the bridge's durable → the engine → an output → the orchestrator's durable. */
export function systemPicture(overrides: Partial<SystemPicture> = {}): SystemPicture {
  const node = (n: Partial<PictureNode> & Pick<PictureNode, 'id' | 'kind' | 'label'>): PictureNode => ({
    health: 'ok',
    status: 'healthy',
    stream: null,
    subject: null,
    pending: null,
    pendingGrowing: false,
    msgsPerSec: null,
    ...n
  });
  return {
    cached: false,
    snapshotTime: '2026-01-01T10:00:00.000Z',
    nodes: [
      node({ id: 'service:payments', kind: 'service', label: 'payments', stream: 'ORCHESTRATOR_EVENTS' }),
      node({
        id: 'service:search',
        kind: 'service',
        label: 'search',
        health: 'critical',
        status: 'stopped',
        stream: 'HEALTH_METRICS',
        subject: 'health.search'
      }),
      node({ id: 'stream:ORCHESTRATOR_EVENTS', kind: 'stream', label: 'ORCHESTRATOR_EVENTS', msgsPerSec: 42 }),
      node({
        id: 'consumer:ORCHESTRATOR_EVENTS/consciousness_bridge_service',
        kind: 'consumer',
        label: 'consciousness_bridge_service',
        stream: 'ORCHESTRATOR_EVENTS',
        pending: 0,
        msgsPerSec: 40
      }),
      node({ id: 'engine', kind: 'engine', label: 'Engine', status: 'leading, normal mode' }),
      node({
        id: 'output:consciousness.decision_made',
        kind: 'output',
        label: 'decision_made',
        stream: 'CONSCIOUSNESS_EVENTS',
        subject: 'consciousness.decision_made, orchestrator.consciousness.decision',
        msgsPerSec: 0.5
      }),
      node({
        id: 'consumer:ORCHESTRATOR_EVENTS/orchestrator_service',
        kind: 'consumer',
        label: 'orchestrator_service',
        stream: 'ORCHESTRATOR_EVENTS',
        health: 'warning',
        status: 'pending growing',
        pending: 1200,
        pendingGrowing: true,
        msgsPerSec: 0.2
      })
    ],
    edges: [
      { id: 'e1', source: 'service:payments', target: 'stream:ORCHESTRATOR_EVENTS', msgsPerSec: 12.5 },
      { id: 'e2', source: 'service:search', target: 'stream:ORCHESTRATOR_EVENTS', msgsPerSec: 0 },
      {
        id: 'e3',
        source: 'stream:ORCHESTRATOR_EVENTS',
        target: 'consumer:ORCHESTRATOR_EVENTS/consciousness_bridge_service',
        msgsPerSec: 40
      },
      {
        id: 'e4',
        source: 'consumer:ORCHESTRATOR_EVENTS/consciousness_bridge_service',
        target: 'engine',
        msgsPerSec: 40
      },
      { id: 'e5', source: 'engine', target: 'output:consciousness.decision_made', msgsPerSec: 0.5 },
      {
        id: 'e6',
        source: 'output:consciousness.decision_made',
        target: 'consumer:ORCHESTRATOR_EVENTS/orchestrator_service',
        msgsPerSec: 0.5
      }
    ],
    notes: [],
    ...overrides
  };
}

export const emptyPicture: SystemPicture = {
  cached: false,
  snapshotTime: '2026-01-01T10:00:00.000Z',
  nodes: [],
  edges: [],
  notes: [
    'No service heard yet: services appear when they publish lifecycle or health events — run `synos-cc simulate`.'
  ]
};
