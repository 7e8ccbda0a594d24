/**
 * What the bridge shows: the Engine and Security views' records, the engine snapshot and the
 * problem list (live and stored), the security summary line kept with each security event, the
 * recent-events list and the bridge's status.
 * Pure functions over the bridge's state, so the bridge itself only holds and commits it.
 */
import type { EngineEventRecord, EngineSnapshotView, InvalidMessageView, SecurityEventView } from '../contract/engine';
import type { Envelope, SecurityEventType, Severity } from '../contract/messages';
import type { OutboundPublisher } from '../core/outbound';
import type { RingBuffer } from '../core/ring-buffer';
import type { ConsciousnessEngine } from '../engine/engine';
import type { EngineStore } from '../engine/store';
import type { InvalidMessageRecord, SecurityEventRecord } from './store';
import type { ConsumerState } from './inbound-loop';
import type { BridgeOptions } from './options';
import type { BridgeCounters, BridgeStats } from './stats';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

const SEVERITY_OF: Partial<Record<SecurityEventType, (d: Record<string, unknown>) => Severity>> = {
  'security.threat.detected': (d) => d.severity as Severity,
  'security.auth.failure': (d) => (d.severity as Severity | undefined) ?? 'medium',
  'security.policy.violation': (d) => (d.severity as Severity | undefined) ?? 'medium',
  'security.threat.resolved': () => 'low'
};

/** The fields of a security record the envelope determines: severity, target and the summary line. */
export function securityFields(envelope: Envelope): {
  type: SecurityEventType;
  severity: Severity;
  target: string | null;
  summary: string;
  data: Record<string, unknown>;
} {
  const type = envelope.type as SecurityEventType;
  const data = envelope.data as Record<string, unknown>;
  const severity = SEVERITY_OF[type]?.(data) ?? 'medium';
  const target =
    typeof data.target === 'string' ? data.target : typeof data.user === 'string' ? `user:${data.user}` : null;
  return { type, severity, target, summary: summariseSecurity(type, data), data };
}

/** Problems newest first: live ones from the engine, the rest from SQLite (they survive restarts). */
export function problemsList(
  engine: ConsciousnessEngine,
  engineStore: EngineStore,
  status: 'open' | 'resolved' | 'all',
  limit: number
) {
  const live = engine.problems().open;
  if (status === 'open') return live.sort((a, b) => b.openedAt - a.openedAt).slice(0, limit);
  const stored = engineStore.listProblems({
    limit: limit + live.length,
    ...(status === 'resolved' ? { status: 'resolved' as const } : {})
  });
  const liveIds = new Set(live.map((p) => p.id));
  const merged =
    status === 'resolved'
      ? stored.filter((p) => !liveIds.has(p.id))
      : [...live, ...stored.filter((p) => !liveIds.has(p.id))];
  return merged.sort((a, b) => b.openedAt - a.openedAt).slice(0, limit);
}

export function snapshotView(engine: ConsciousnessEngine, now: number): EngineSnapshotView {
  const s = engine.snapshot(now);
  return {
    state: s.state,
    attention: s.attention.slice(0, 100),
    workingMemory: s.workingMemory.map((i) => ({
      key: i.key,
      touches: i.touches,
      firstSeen: iso(i.firstSeen),
      lastTouched: iso(i.lastTouched)
    })),
    inputRatePerSecond: Math.round(s.inputRatePerSecond * 100) / 100,
    counters: s.counters,
    updatedAt: iso(now)
  };
}

export function publisherKind(publisher: OutboundPublisher): string {
  const kind = (publisher as { kind?: unknown }).kind;
  return typeof kind === 'string' ? kind : publisher.constructor?.name || 'custom';
}

function summariseSecurity(type: SecurityEventType, d: Record<string, unknown>): string {
  const s = (v: unknown) => (typeof v === 'string' ? v : '');
  switch (type) {
    case 'security.threat.detected':
      return `${s(d.severity)} threat ${s(d.threat_id)}${d.target ? ` against ${s(d.target)}` : ''}${d.description ? `: ${s(d.description)}` : ''}`;
    case 'security.threat.resolved':
      return `threat ${s(d.threat_id)} resolved${d.resolution ? `: ${s(d.resolution)}` : ''}`;
    case 'security.auth.failure':
      return `authentication failure${d.user ? ` for ${s(d.user)}` : ''}${d.source_ip ? ` from ${s(d.source_ip)}` : ''}${d.reason ? ` (${s(d.reason)})` : ''}`;
    case 'security.policy.violation':
      return `${s(d.actor)} violated ${s(d.policy)}${d.target ? ` on ${s(d.target)}` : ''}${d.detail ? `: ${s(d.detail)}` : ''}`;
  }
}

export function toSecurityView(r: SecurityEventRecord): SecurityEventView {
  return {
    id: r.id,
    seq: r.seq,
    time: r.time,
    receivedAt: iso(r.receivedAt),
    type: r.type,
    severity: r.severity,
    source: r.source,
    target: r.target,
    summary: r.summary,
    data: (r.data ?? {}) as Record<string, unknown>
  };
}

export function toInvalidView(r: InvalidMessageRecord): InvalidMessageView {
  let rawText: string | null = null;
  try {
    rawText = strictUtf8.decode(r.raw);
  } catch {
    rawText = null;
  }
  return {
    id: r.id,
    receivedAt: iso(r.receivedAt),
    subject: r.subject,
    stream: r.stream,
    streamSeq: r.streamSeq,
    reason: r.reason,
    message: r.message,
    issues: r.issues,
    rawSize: r.rawSize,
    truncated: r.raw.length < r.rawSize,
    rawText,
    rawBase64: Buffer.from(r.raw).toString('base64')
  };
}

/** An output of the active engine read back from CONSCIOUSNESS_EVENTS, as an Engine view record. */
export function observedRecord(envelope: Envelope, subject: string): EngineEventRecord {
  const record = {
    id: envelope.id,
    type: envelope.type,
    time: envelope.time,
    priority: envelope.priority ?? 'normal',
    subjects: [subject],
    data: envelope.data
  } as EngineEventRecord;
  if (envelope.correlationid !== undefined) record.correlationid = envelope.correlationid;
  return record;
}

/** The newest `limit` records (of `types`, when given), newest first. */
export function latestRecords(
  recent: RingBuffer<EngineEventRecord>,
  limit: number,
  types?: string[]
): EngineEventRecord[] {
  const out: EngineEventRecord[] = [];
  for (let i = recent.size - 1; i >= 0 && out.length < limit; i--) {
    const r = recent.at(i) as EngineEventRecord;
    if (!types || types.includes(r.type)) out.push(r);
  }
  return out;
}

/** What the bridge's status view is made from. */
export interface BridgeStatusParts {
  running: boolean;
  consumers: readonly ConsumerState[];
  inbound: ReturnType<BridgeStats['inbound']>;
  counters: BridgeCounters;
  queued: number;
  publisher: OutboundPublisher;
  options: BridgeOptions;
  lastHeartbeatAt: number | null;
  lastMetricsAt: number | null;
}

export function bridgeStatus(p: BridgeStatusParts) {
  const { options, counters } = p;
  return {
    running: p.running,
    consumers: p.consumers.map((c) => ({
      stream: c.spec.stream,
      durable: c.spec.durable,
      bound: c.bound,
      received: c.received,
      lastError: c.lastError
    })),
    inbound: p.inbound,
    outbound: {
      published: counters.published,
      failed: counters.failed,
      dropped: counters.dropped,
      queued: p.queued,
      publisher: publisherKind(p.publisher)
    },
    heartbeat: {
      subject: options.heartbeatSubject,
      intervalMs: options.heartbeatIntervalMs,
      lastAt: p.lastHeartbeatAt === null ? null : iso(p.lastHeartbeatAt)
    },
    metricsSummary: {
      subject: options.metricsSubject,
      intervalMs: options.metricsIntervalMs,
      lastAt: p.lastMetricsAt === null ? null : iso(p.lastMetricsAt)
    },
    outboundMapping: { ...options.outboundMapping },
    inboundMapping: { ...options.inboundMapping }
  };
}
