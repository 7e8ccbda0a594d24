/**
 * Assembles the system picture (main/contract/overview.ts) from what the core already knows: the
 * last JetStream sample (streams, consumers), the bridge's inbound durables and counters, the
 * services heard in lifecycle/health inputs and heartbeats, and the engine's output subjects.
 * Pure: the module feeds it readings and rate meters; nothing here talks to NATS.
 */
import type { PictureEdge, PictureHealth, PictureNode, SystemPicture } from '../contract';
import { ENGINE_OUTPUT_TYPES, type EngineOutputType } from '../contract/messages';
import type { JetStreamSample, SampledConsumer, SampledStream } from '../nats/inspection';

/** True when the subject filter `filter` (wildcards allowed) captures the concrete `subject`. */
export function subjectMatches(subject: string, filter: string): boolean {
  const s = subject.split('.');
  const f = filter.split('.');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '>') return s.length > i;
    if (i >= s.length) return false;
    if (f[i] !== '*' && f[i] !== s[i]) return false;
  }
  return s.length === f.length;
}

/**
 * Per-second rates of monotonic counters over a sliding window: each reading is kept with its time;
 * the rate is (newest − oldest in the window) / elapsed. A counter that went down (a server or
 * stream was reset) starts over instead of showing a negative rate.
 */
export class RateMeter {
  private readonly points = new Map<string, Array<{ t: number; v: number }>>();

  constructor(private readonly windowMs: number) {}

  record(key: string, t: number, v: number): void {
    let pts = this.points.get(key);
    if (!pts) {
      pts = [];
      this.points.set(key, pts);
    }
    const last = pts[pts.length - 1];
    if (last && v < last.v) pts.length = 0;
    if (last && t <= last.t && pts.length > 0) pts[pts.length - 1] = { t: last.t, v };
    else pts.push({ t, v });
    // Keep one point at or before the window's start so the rate spans the whole window.
    while (pts.length > 2 && (pts[1]?.t ?? 0) <= t - this.windowMs) pts.shift();
  }

  /** Messages per second over the window; null with fewer than two readings. */
  rate(key: string): number | null {
    const pts = this.points.get(key);
    if (!pts || pts.length < 2) return null;
    const a = pts[0]!;
    const b = pts[pts.length - 1]!;
    const seconds = (b.t - a.t) / 1000;
    return seconds > 0 ? (b.v - a.v) / seconds : null;
  }

  /** Forgets every key not in `keep` (streams and consumers that went away). */
  retain(keep: ReadonlySet<string>): void {
    for (const key of this.points.keys()) if (!keep.has(key)) this.points.delete(key);
  }
}

/** A service as the engine knows it from lifecycle and health inputs. */
export interface EngineServiceCondition {
  service: string;
  health: 'healthy' | 'degraded' | 'unhealthy' | null;
  running: boolean | null;
}

/** A service instance as heard in its heartbeats on health.>. */
export interface HeartbeatRecord {
  service: string;
  instance: string;
  status: string;
  detail: string | null;
  subject: string;
  stale: boolean;
}

/** One of the bridge's inbound durables. */
export interface BridgeDurable {
  stream: string;
  durable: string;
  bound: boolean;
  lastError: string | null;
}

export interface EngineReading {
  /** The bridge runs the engine on live traffic in this core. */
  running: boolean;
  /** This core holds the engine lease (or there is no lease). */
  leading: boolean;
  mode: string | null;
  durables: readonly BridgeDurable[];
  /** Engine output type → the subjects its events go out on. */
  outputSubjects: ReadonlyMap<EngineOutputType, readonly string[]>;
}

export interface PictureReadings {
  now: number;
  sample: JetStreamSample | null;
  /** null when this core runs no bridge (no engine in the picture). */
  engine: EngineReading | null;
  services: readonly EngineServiceCondition[];
  heartbeats: readonly HeartbeatRecord[];
  /** Pending of each consumer over its last samples, oldest first (key `stream/name`). */
  pendingHistory: ReadonlyMap<string, Iterable<number>>;
  /**
   * Rates (msg/s) by key: `stream:<name>` (stored), `consumer:<stream>/<name>` (delivered),
   * `durable:<stream>/<name>` (taken by the bridge), `input:<service>\u0000<stream>`,
   * `heartbeat:<service>`, `output:<type>`.
   */
  rate: (key: string) => number | null;
}

export const ENGINE_NODE_ID = 'engine';
export const serviceId = (name: string): string => `service:${name}`;
export const streamId = (name: string): string => `stream:${name}`;
export const consumerId = (stream: string, name: string): string => `consumer:${stream}/${name}`;
export const outputId = (type: string): string => `output:${type}`;

/** The subject the services' lifecycle inputs arrive on (where a service heard only by the engine writes). */
const LIFECYCLE_SUBJECT = 'orchestrator.service.started';

function streamOf(streams: readonly SampledStream[], subject: string): string | null {
  return streams.find((s) => s.subjects?.some((f) => subjectMatches(subject, f)))?.name ?? null;
}

function worst(a: PictureHealth, b: PictureHealth): PictureHealth {
  const order: PictureHealth[] = ['unknown', 'ok', 'warning', 'critical'];
  return order.indexOf(a) >= order.indexOf(b) ? a : b;
}

/** True when pending rose at the last sample and is above where the window started. */
export function pendingGrows(samples: Iterable<number> | undefined): boolean {
  const history = samples ? [...samples] : [];
  if (history.length < 2) return false;
  const last = history[history.length - 1]!;
  return last > history[history.length - 2]! && last > history[0]!;
}

function serviceNodes(r: PictureReadings, streams: readonly SampledStream[]) {
  const byName = new Map<
    string,
    { health: PictureHealth; status: string[]; subject: string | null; streams: Set<string> }
  >();
  const entry = (name: string) => {
    let e = byName.get(name);
    if (!e) {
      e = { health: 'unknown', status: [], subject: null, streams: new Set() };
      byName.set(name, e);
    }
    return e;
  };
  const lifecycleStream = streamOf(streams, LIFECYCLE_SUBJECT);
  for (const c of r.services) {
    const e = entry(c.service);
    if (c.running === false) {
      e.health = worst(e.health, 'critical');
      e.status.push('stopped');
    } else if (c.health === 'unhealthy') {
      e.health = worst(e.health, 'critical');
      e.status.push('unhealthy');
    } else if (c.health === 'degraded') {
      e.health = worst(e.health, 'warning');
      e.status.push('degraded');
    } else if (c.health === 'healthy' || c.running === true) {
      e.health = worst(e.health, 'ok');
      e.status.push(c.health ?? 'running');
    }
    if (lifecycleStream) e.streams.add(lifecycleStream);
  }
  for (const h of r.heartbeats) {
    const e = entry(h.service);
    e.subject ??= h.subject;
    const where = streamOf(streams, h.subject);
    if (where) e.streams.add(where);
    if (h.stale) {
      e.health = worst(e.health, 'warning');
      e.status.push(`${h.instance}: heartbeat stale`);
    } else if (h.status === 'unhealthy') {
      e.health = worst(e.health, 'critical');
      e.status.push(`${h.instance}: unhealthy${h.detail ? ` (${h.detail})` : ''}`);
    } else if (h.status === 'degraded') {
      e.health = worst(e.health, 'warning');
      e.status.push(`${h.instance}: degraded${h.detail ? ` (${h.detail})` : ''}`);
    } else if (h.status === 'healthy') {
      e.health = worst(e.health, 'ok');
    } else {
      e.status.push(`${h.instance}: ${h.status}`);
    }
  }
  return byName;
}

/** The picture for these readings (`cached: false`, `snapshotTime` now). */
export function assemblePicture(r: PictureReadings): SystemPicture {
  const nodes: PictureNode[] = [];
  const edges: PictureEdge[] = [];
  const notes: string[] = [];
  const nodeIds = new Set<string>();
  const addNode = (n: Omit<PictureNode, 'pending' | 'pendingGrowing' | 'msgsPerSec'> & Partial<PictureNode>): void => {
    if (nodeIds.has(n.id)) return;
    nodeIds.add(n.id);
    nodes.push({ pending: null, pendingGrowing: false, msgsPerSec: null, ...n });
  };
  const addEdge = (source: string, target: string, msgsPerSec: number | null): void => {
    if (!nodeIds.has(source) || !nodeIds.has(target)) return;
    edges.push({ id: `${source}->${target}`, source, target, msgsPerSec });
  };
  const sum = (...rates: Array<number | null>): number | null => {
    const known = rates.filter((x): x is number => x !== null);
    return known.length === 0 ? null : known.reduce((a, b) => a + b, 0);
  };

  const streams = r.sample?.streams ?? [];
  const consumers: readonly SampledConsumer[] = r.sample?.consumers ?? [];
  if (!r.sample)
    notes.push('No JetStream sample yet: streams and consumers appear once the core has read them from the server.');
  else if (streams.length === 0)
    notes.push('The server has no streams: provision the Syn_OS topology under Streams to create them.');

  // Services → the streams their events land in.
  const services = serviceNodes(r, streams);
  if (services.size === 0)
    notes.push(
      'No service heard yet: services appear when they publish lifecycle or health events (orchestrator.service.*) or heartbeats on health.> — run `synos-cc simulate` to generate traffic.'
    );
  for (const s of streams) {
    const usage = Math.max(s.maxMsgs > 0 ? s.messages / s.maxMsgs : 0, s.maxBytes > 0 ? s.bytes / s.maxBytes : 0);
    addNode({
      id: streamId(s.name),
      kind: 'stream',
      label: s.name,
      health: usage >= 0.9 ? 'warning' : 'ok',
      status:
        usage >= 0.9
          ? `near its limit (${Math.round(usage * 100)}% used)`
          : `${s.messages.toLocaleString('en')} messages`,
      stream: s.name,
      subject: s.subjects?.join(', ') ?? null,
      msgsPerSec: r.rate(streamId(s.name))
    });
  }
  for (const [name, s] of [...services].sort(([a], [b]) => a.localeCompare(b))) {
    const firstStream = [...s.streams][0] ?? null;
    addNode({
      id: serviceId(name),
      kind: 'service',
      label: name,
      health: s.health,
      status: s.status.length > 0 ? [...new Set(s.status)].join('; ') : s.health === 'ok' ? 'healthy' : 'no status yet',
      stream: firstStream,
      subject: s.subject
    });
    for (const stream of s.streams) {
      const heartbeatHere = s.subject !== null && streamOf(streams, s.subject) === stream;
      addEdge(
        serviceId(name),
        streamId(stream),
        sum(r.rate(`input:${name}\u0000${stream}`), heartbeatHere ? r.rate(`heartbeat:${name}`) : null) ?? 0
      );
    }
  }

  // The engine, fed by the bridge's durables, and its outputs.
  const outputStreams = new Map<EngineOutputType, string[]>();
  if (r.engine) {
    const e = r.engine;
    const unbound = e.durables.filter((d) => !d.bound);
    let health: PictureHealth = 'ok';
    let status = `leading${e.mode ? `, ${e.mode} mode` : ''}`;
    if (!e.running) {
      health = 'unknown';
      status = 'not running in this core';
    } else if (!e.leading) {
      health = 'unknown';
      status = 'standby: another core holds the engine lease';
    } else if (unbound.length > 0) {
      health = unbound.length === e.durables.length ? 'critical' : 'warning';
      status = `cannot bind ${unbound.map((d) => d.durable).join(', ')} (run synos-cc provision)`;
    }
    addNode({ id: ENGINE_NODE_ID, kind: 'engine', label: 'Engine', health, status, stream: null, subject: null });
    for (const type of ENGINE_OUTPUT_TYPES) {
      const subjects = e.outputSubjects.get(type) ?? [];
      const lands = [...new Set(subjects.map((s) => streamOf(streams, s)).filter((x): x is string => x !== null))];
      outputStreams.set(type, lands);
      addNode({
        id: outputId(type),
        kind: 'output',
        label: type.replace(/^consciousness\./, ''),
        health: health === 'ok' ? (lands.length === subjects.length ? 'ok' : 'warning') : 'unknown',
        status:
          lands.length === subjects.length
            ? `published on ${subjects.join(', ')}`
            : `no stream captures ${subjects.filter((s) => streamOf(streams, s) === null).join(', ')}`,
        stream: lands[0] ?? null,
        subject: subjects.join(', '),
        msgsPerSec: r.rate(outputId(type))
      });
      addEdge(ENGINE_NODE_ID, outputId(type), r.rate(outputId(type)) ?? 0);
    }
  } else {
    notes.push('This core runs no engine: the engine and its outputs are not in the picture.');
  }
  const inputStreams = new Set(r.engine?.durables.map((d) => d.stream) ?? []);

  // Consumers: the bridge's durables feed the engine; others read their stream or the engine's outputs.
  for (const c of consumers) {
    const key = `${c.stream}/${c.name}`;
    const id = consumerId(c.stream, c.name);
    const durable = r.engine?.durables.find((d) => d.stream === c.stream && d.durable === c.name);
    const growing = pendingGrows(r.pendingHistory.get(key));
    let health: PictureHealth = growing ? 'warning' : 'ok';
    let status = growing ? 'pending growing' : 'keeping up';
    if (durable && !durable.bound) {
      health = 'critical';
      status = `the engine cannot consume it${durable.lastError ? `: ${durable.lastError}` : ''}`;
    }
    addNode({
      id,
      kind: 'consumer',
      label: c.name,
      health,
      status,
      stream: c.stream,
      subject: c.filter ?? null,
      pending: c.numPending,
      pendingGrowing: growing,
      msgsPerSec: r.rate(id)
    });
    if (durable) {
      const taken = r.rate(`durable:${key}`) ?? r.rate(id);
      addEdge(streamId(c.stream), id, taken ?? 0);
      addEdge(id, ENGINE_NODE_ID, taken ?? 0);
      continue;
    }
    // Fed by the engine's outputs when every subject it reads that the engine writes lands in its stream.
    const feeding = r.engine
      ? ENGINE_OUTPUT_TYPES.filter((type) =>
          (r.engine?.outputSubjects.get(type) ?? []).some(
            (s) =>
              streamOf(streams, s) === c.stream &&
              (c.filter == null || c.filter.split(', ').some((f) => subjectMatches(s, f)))
          )
        )
      : [];
    const onlyOutputs =
      feeding.length > 0 &&
      c.filter != null &&
      c.filter
        .split(', ')
        .every((f) =>
          ENGINE_OUTPUT_TYPES.some((type) =>
            (r.engine?.outputSubjects.get(type) ?? []).some((s) => subjectMatches(s, f))
          )
        );
    if (onlyOutputs) for (const type of feeding) addEdge(outputId(type), id, r.rate(outputId(type)) ?? 0);
    else addEdge(streamId(c.stream), id, r.rate(id) ?? 0);
  }

  // Outputs land in streams that are not the engine's own inputs (those show as outputs → consumers).
  for (const [type, lands] of outputStreams) {
    for (const stream of lands) {
      if (!inputStreams.has(stream)) addEdge(outputId(type), streamId(stream), r.rate(outputId(type)) ?? 0);
    }
  }
  if (r.sample && consumers.length === 0 && streams.length > 0)
    notes.push('No stream has a consumer: provision the Syn_OS topology under Streams to create its durables.');

  return { cached: false, snapshotTime: new Date(r.now).toISOString(), nodes, edges, notes };
}
