/**
 * StreamInspector: what natscli's `stream ls/info`, `consumer ls` and `stream purge/rmm` show and
 * do, for any stream on the server (not only Syn_OS's), turned into the contract's shapes.
 */
import {
  JetStreamApiError,
  jetstreamManager,
  type ConsumerInfo,
  type JetStreamManager,
  type StreamInfo
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { ContractError, type ConsumerSummary, type StreamCluster, type StreamSummary } from '../../contract';
import { classifyNatsError, requireFeature, supports, userMetadata, type ServerCapabilities } from '../connection';

const NS_PER_MS = 1_000_000;
const ZERO_TIME = /^0001-01-01/;

/** Everything known about one stream at one moment: what the snapshot cache stores per stream. */
export interface StreamRecord {
  stream: StreamSummary;
  config: Record<string, unknown>;
  state: Record<string, unknown>;
  cluster: StreamCluster | null;
}

export interface AccountRecord {
  memory: number;
  storage: number;
  streams: number;
  consumers: number;
  limits: Record<string, unknown>;
}

function time(value: unknown): string | null {
  if (typeof value !== 'string' || value.length === 0 || ZERO_TIME.test(value)) return null;
  return value;
}

function usage(used: number, max: number | undefined): number | null {
  if (max === undefined || max <= 0) return null;
  return used / max;
}

function clusterOf(info: { cluster?: StreamInfo['cluster'] }): StreamCluster | null {
  const c = info.cluster;
  // A single server reports no cluster, a cluster without a leader (2.9) or one with itself as leader
  // but no cluster name and no replicas (2.10+): none of these is clustered JetStream.
  if (!c || (!c.name && !(c.replicas && c.replicas.length > 0))) return null;
  return {
    name: c.name ?? null,
    leader: c.leader ?? null,
    replicas: (c.replicas ?? []).map((p) => ({
      name: p.name,
      current: Boolean(p.current),
      offline: Boolean(p.offline),
      activeMs: typeof p.active === 'number' ? Math.round(p.active / NS_PER_MS) : null,
      lag: typeof p.lag === 'number' ? p.lag : null
    }))
  };
}

/** Stream info as the contract's record. */
export function toStreamRecord(si: StreamInfo): StreamRecord {
  const { config, state } = si;
  const stream: StreamSummary = {
    name: config.name,
    description: config.description ?? null,
    subjects: config.subjects ?? [],
    storage: String(config.storage),
    retention: String(config.retention),
    replicas: config.num_replicas ?? 1,
    messages: state.messages,
    bytes: state.bytes,
    firstSeq: state.first_seq,
    lastSeq: state.last_seq,
    firstTime: state.messages > 0 ? time(state.first_ts) : null,
    lastTime: time(state.last_ts),
    consumerCount: state.consumer_count,
    maxMsgs: config.max_msgs ?? -1,
    maxBytes: config.max_bytes ?? -1,
    maxAgeMs: Math.round((config.max_age ?? 0) / NS_PER_MS),
    usageMsgs: usage(state.messages, config.max_msgs),
    usageBytes: usage(state.bytes, config.max_bytes),
    created: si.created,
    leader: si.cluster?.leader ?? null
  };
  return {
    stream,
    config: { ...config } as Record<string, unknown>,
    state: { ...state } as Record<string, unknown>,
    cluster: clusterOf(si)
  };
}

function sequencePoint(s: ConsumerInfo['delivered'] | undefined): ConsumerSummary['delivered'] {
  return {
    consumerSeq: s?.consumer_seq ?? 0,
    streamSeq: s?.stream_seq ?? 0,
    lastActive: time((s as { last_active?: unknown } | undefined)?.last_active)
  };
}

/** Consumer info as the contract's summary. */
export function toConsumerSummary(ci: ConsumerInfo, caps?: ServerCapabilities): ConsumerSummary {
  const c = ci.config;
  const delivered = sequencePoint(ci.delivered);
  const ackFloor = sequencePoint(ci.ack_floor);
  const filters =
    c.filter_subjects && c.filter_subjects.length > 0 ? c.filter_subjects.join(', ') : (c.filter_subject ?? null);
  const actives = [delivered.lastActive, ackFloor.lastActive].filter((t): t is string => t !== null).sort();
  return {
    stream: ci.stream_name,
    name: ci.name,
    durable: Boolean(c.durable_name),
    description: c.description ?? null,
    filter: filters && filters !== '>' ? filters : null,
    pull: !c.deliver_subject,
    ackPolicy: String(c.ack_policy),
    deliverPolicy: String(c.deliver_policy),
    maxDeliver: c.max_deliver ?? -1,
    ackWaitMs: typeof c.ack_wait === 'number' ? Math.round(c.ack_wait / NS_PER_MS) : null,
    numPending: ci.num_pending,
    numAckPending: ci.num_ack_pending,
    numRedelivered: ci.num_redelivered,
    numWaiting: ci.num_waiting,
    delivered,
    ackFloor,
    lastActive: actives.at(-1) ?? null,
    created: ci.created,
    leader: ci.cluster?.leader ?? null,
    ...consumerExtras(ci, caps)
  };
}

/**
 * What servers ≥ 2.10/2.11 add to a consumer: pause state, priority groups and metadata. Absent on
 * older servers, so each is only set when the server reported it.
 */
function consumerExtras(ci: ConsumerInfo, caps: ServerCapabilities | undefined): Partial<ConsumerSummary> {
  const extras: Partial<ConsumerSummary> = {};
  const c = ci.config as ConsumerInfo['config'] & {
    priority_groups?: string[];
    priority_policy?: string;
    pause_until?: string;
  };
  // Servers that can pause leave `paused` out while a consumer runs.
  if (typeof ci.paused === 'boolean' || (caps && supports(caps, 'consumerPause'))) {
    extras.paused = ci.paused === true;
    extras.pauseUntil = ci.paused === true ? time(c.pause_until) : null;
  }
  if (c.priority_groups && c.priority_groups.length > 0) {
    extras.priorityGroups = [...c.priority_groups];
    extras.priorityPolicy = c.priority_policy ?? null;
  }
  const metadata = userMetadata(c.metadata);
  if (metadata) extras.metadata = metadata;
  return extras;
}

/** Turns a JetStream failure into a typed error the operator can act on. */
export function toJetStreamError(error: unknown, what: string, servers: readonly string[] = []): ContractError {
  if (error instanceof ContractError) return error;
  if (error instanceof JetStreamApiError) {
    const api = error.apiError();
    if (api.err_code === 10059) {
      return new ContractError('NOT_FOUND', `${what}: stream not found (synos-cc streams lists the streams)`, {
        err_code: api.err_code
      });
    }
    if (api.err_code === 10014) {
      return new ContractError('NOT_FOUND', `${what}: consumer not found (synos-cc consumers STREAM lists them)`, {
        err_code: api.err_code
      });
    }
    if (api.err_code === 10037) {
      return new ContractError('NOT_FOUND', `${what}: no message found`, { err_code: api.err_code });
    }
    return new ContractError('JETSTREAM_ERROR', `${what}: ${api.description} (err_code ${api.err_code})`, {
      err_code: api.err_code,
      status: api.code
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  if (/timeout|timed out/i.test(message)) {
    return new ContractError('TIMEOUT', `${what}: the JetStream API did not answer in time`, {
      hint: 'Is JetStream enabled and is the server (or cluster) healthy? nats-server needs -js.'
    });
  }
  if (/no responders|503/i.test(message)) {
    return new ContractError('JETSTREAM_ERROR', `${what}: JetStream is not enabled on this server or account`, {
      hint: 'Start nats-server with -js, or enable JetStream for this account.'
    });
  }
  const c = classifyNatsError(error, servers);
  return new ContractError(c.code, `${what}: ${c.message}`, { hint: c.hint }, { cause: error });
}

async function collect<T>(lister: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of lister) out.push(item);
  return out;
}

/** Reads and changes streams and consumers over the JetStream API of one connection. */
export class StreamInspector {
  private jsmPromise: Promise<JetStreamManager> | null = null;

  constructor(private readonly nc: NatsConnection) {}

  private async jsm(): Promise<JetStreamManager> {
    // checkAPI off: the first real call reports a missing JetStream precisely, without an extra round trip.
    this.jsmPromise ??= jetstreamManager(this.nc, { checkAPI: false });
    return this.jsmPromise;
  }

  private async call<T>(what: string, fn: (jsm: JetStreamManager) => Promise<T>): Promise<T> {
    try {
      return await fn(await this.jsm());
    } catch (error) {
      throw toJetStreamError(error, what, [this.nc.getServer()]);
    }
  }

  /** Every stream with its state, sorted by name. */
  async listStreams(): Promise<StreamRecord[]> {
    const infos = await this.call('listing streams', (jsm) => collect(jsm.streams.list()));
    return infos.map(toStreamRecord).sort((a, b) => a.stream.name.localeCompare(b.stream.name));
  }

  async streamInfo(name: string): Promise<StreamRecord> {
    return toStreamRecord(await this.call(`stream ${name}`, (jsm) => jsm.streams.info(name)));
  }

  /** The consumers of a stream, sorted by name. */
  async listConsumers(stream: string): Promise<ConsumerSummary[]> {
    const infos = await this.call(`consumers of ${stream}`, (jsm) => collect(jsm.consumers.list(stream)));
    const caps = await this.capabilities();
    return infos.map((ci) => toConsumerSummary(ci, caps)).sort((a, b) => a.name.localeCompare(b.name));
  }

  async account(): Promise<AccountRecord> {
    const info = await this.call('JetStream account info', (jsm) => jsm.getAccountInfo());
    return {
      memory: info.memory,
      storage: info.storage,
      streams: info.streams,
      consumers: info.consumers,
      limits: { ...info.limits } as Record<string, unknown>
    };
  }

  /**
   * The server's version (from its INFO) and JetStream API level (`$JS.API.INFO`), read once per
   * server this connection is on: a reconnect to another server of a mixed-version cluster reads again.
   */
  async capabilities(): Promise<ServerCapabilities> {
    const serverId = this.nc.info?.server_id ?? '';
    if (this.capabilitiesCache?.serverId !== serverId) {
      const version = this.nc.info?.version ?? null;
      const promise = this.call('JetStream account info', (jsm) => jsm.getAccountInfo()).then((info) => ({
        version,
        apiLevel: typeof info.api?.level === 'number' ? info.api.level : null
      }));
      this.capabilitiesCache = { serverId, promise };
      promise.catch(() => {
        if (this.capabilitiesCache?.promise === promise) this.capabilitiesCache = null;
      });
    }
    return this.capabilitiesCache.promise;
  }

  private capabilitiesCache: { serverId: string; promise: Promise<ServerCapabilities> } | null = null;

  /**
   * Pauses a consumer until a time (nats-server ≥ 2.11): it keeps its state and delivers nothing
   * until then, or until resumed. Returns the consumer as it is afterwards.
   */
  async pauseConsumer(stream: string, name: string, until: Date): Promise<ConsumerSummary> {
    requireFeature(await this.capabilities(), 'consumerPause');
    await this.call(`pausing consumer ${name} of ${stream}`, (jsm) => jsm.consumers.pause(stream, name, until));
    return this.consumerInfo(stream, name);
  }

  /** Resumes a paused consumer at once (nats-server ≥ 2.11). */
  async resumeConsumer(stream: string, name: string): Promise<ConsumerSummary> {
    requireFeature(await this.capabilities(), 'consumerPause');
    await this.call(`resuming consumer ${name} of ${stream}`, (jsm) => jsm.consumers.resume(stream, name));
    return this.consumerInfo(stream, name);
  }

  async consumerInfo(stream: string, name: string): Promise<ConsumerSummary> {
    const info = await this.call(`consumer ${name} of ${stream}`, (jsm) => jsm.consumers.info(stream, name));
    return toConsumerSummary(info, await this.capabilities());
  }

  /** Purges a stream, or only `subject` (wildcards allowed), optionally keeping the newest `keep`. */
  async purge(
    stream: string,
    options: { subject?: string | undefined; keep?: number | undefined } = {}
  ): Promise<number> {
    const opts: Record<string, unknown> = {};
    if (options.subject) opts.filter = options.subject;
    if (options.keep !== undefined) opts.keep = options.keep;
    const response = await this.call(`purging ${stream}`, (jsm) => jsm.streams.purge(stream, opts as never));
    return response.purged;
  }

  /** Deletes one message; `erase` also overwrites its bytes. */
  async deleteMessage(stream: string, seq: number, erase = false): Promise<boolean> {
    return this.call(`deleting message ${seq} of ${stream}`, (jsm) => jsm.streams.deleteMessage(stream, seq, erase));
  }
}
