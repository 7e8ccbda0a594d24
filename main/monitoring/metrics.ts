/**
 * The app's Prometheus metrics (prom-client), on a registry of its own: several cores may run in
 * one process (tests), so nothing touches prom-client's global default registry.
 *
 * Other parts record through the typed methods (the composition root hands them the registry); sampled
 * state (outbox, breakers, consumers, streams, engine) is set by the monitoring sampler. Names
 * follow promtool's rules: snake_case, base units (seconds, bytes, ratio), counters end in `_total`.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics, type Metric } from 'prom-client';
import type { ConnectionState } from '../contract';
import type { BreakerReading, ConsumerReading, EngineReading, OutboxReading, StreamReading } from './readings';

/** Latency buckets in seconds: 0.5 ms … 10 s, dense around the 50 ms publish target. */
export const LATENCY_BUCKETS_SECONDS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5, 5, 10
];

const CONNECTION_STATES: readonly ConnectionState[] = [
  'offline',
  'connecting',
  'connected',
  'reconnecting',
  'disconnected'
];
const OUTBOX_STATUSES = ['pending', 'processing', 'retrying', 'dead', 'completed'] as const;

/**
 * prom-client's default collectors register a few gauges whose names end in `_total`
 * (nodejs_active_handles_total, …); promtool rejects non-counters with that suffix, and the same
 * numbers are exported without it (nodejs_active_handles), so they are dropped.
 */
function dropNonCounterTotals(registry: Registry): void {
  for (const metric of registry.getMetricsAsArray()) {
    const m = metric as unknown as { name: string; type: string };
    if (m.name.endsWith('_total') && m.type !== 'counter') registry.removeSingleMetric(m.name);
  }
}

/**
 * prom-client's process and Node.js metrics describe the process, not a core, and each
 * collectDefaultMetrics() call starts an event-loop-delay monitor and a GC observer that are
 * never stopped. So they live once per process in a registry of their own (still never the global
 * default one) and are merged into each core's text at scrape time.
 */
let processRegistry: Registry | null = null;

function processMetricsRegistry(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
    dropNonCounterTotals(processRegistry);
  }
  return processRegistry;
}

/**
 * Per-message counts kept as plain numbers and handed to a prom-client counter when it is
 * collected (a scrape): the bridge and the publisher call these once per message, and a Map
 * update costs a fraction of prom-client's label hashing.
 */
class DeferredCounts<L extends string> {
  private readonly pending = new Map<string, { labels: Record<L, string>; n: number }>();

  add(key: string, labels: () => Record<L, string>, n: number): void {
    const entry = this.pending.get(key);
    if (entry) entry.n += n;
    else this.pending.set(key, { labels: labels(), n });
  }

  drainInto(counter: Counter<L>): void {
    for (const entry of this.pending.values()) {
      if (entry.n > 0) counter.inc(entry.labels, entry.n);
      entry.n = 0;
    }
  }
}

/**
 * A latency histogram by one label, kept in plain arrays: an observation is a bucket search and
 * three additions. prom-client's Histogram costs about 1.5 µs per observe (label hashing), which
 * matters once per published message; this one is registered on the same registry through the
 * interface the registry reads (name, help, type, get, reset) and renders the same text.
 */
class LatencyHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series = new Map<string, { counts: Float64Array; sum: number; count: number }>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly label: string,
    private readonly buckets: readonly number[]
  ) {}

  observe(labelValue: string, seconds: number): void {
    let s = this.series.get(labelValue);
    if (!s) {
      s = { counts: new Float64Array(this.buckets.length + 1), sum: 0, count: 0 };
      this.series.set(labelValue, s);
    }
    let i = 0;
    while (i < this.buckets.length && seconds > this.buckets[i]!) i++;
    s.counts[i]!++;
    s.sum += seconds;
    s.count++;
  }

  get(): {
    name: string;
    help: string;
    type: 'histogram';
    aggregator: 'sum';
    values: Array<{ labels: Record<string, string | number>; value: number; metricName: string }>;
  } {
    const values: Array<{ labels: Record<string, string | number>; value: number; metricName: string }> = [];
    for (const [labelValue, s] of this.series) {
      let cumulative = 0;
      for (let i = 0; i <= this.buckets.length; i++) {
        cumulative += s.counts[i]!;
        const le = i < this.buckets.length ? this.buckets[i]! : '+Inf';
        values.push({ labels: { [this.label]: labelValue, le }, value: cumulative, metricName: `${this.name}_bucket` });
      }
      values.push({ labels: { [this.label]: labelValue }, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { [this.label]: labelValue }, value: s.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    this.series.clear();
  }
}

/** A bounded window of recent latency samples, for percentiles over "the last minute". */
class LatencyWindow {
  private readonly times: Float64Array;
  private readonly values: Float64Array;
  private next = 0;
  private size = 0;

  constructor(capacity: number) {
    this.times = new Float64Array(capacity);
    this.values = new Float64Array(capacity);
  }

  add(at: number, seconds: number): void {
    this.times[this.next] = at;
    this.values[this.next] = seconds;
    this.next = (this.next + 1) % this.times.length;
    if (this.size < this.times.length) this.size++;
  }

  /** Quantiles of the samples taken since `from`; null entries when there are fewer than minSamples. */
  quantiles(from: number, qs: readonly number[], minSamples = 1): Array<number | null> {
    const picked: number[] = [];
    for (let i = 0; i < this.size; i++) {
      if (this.times[i]! >= from) picked.push(this.values[i]!);
    }
    if (picked.length < Math.max(1, minSamples)) return qs.map(() => null);
    picked.sort((a, b) => a - b);
    return qs.map((q) => picked[Math.min(picked.length - 1, Math.ceil(q * picked.length) - 1)] ?? null);
  }

  count(from: number): number {
    let n = 0;
    for (let i = 0; i < this.size; i++) if (this.times[i]! >= from) n++;
    return n;
  }
}

export interface MetricsRegistryOptions {
  /** Also export prom-client's process and Node.js metrics, shared by every core of the process (default true). */
  defaultMetrics?: boolean;
  /** Clock (tests). */
  now?: () => number;
}

/** Running totals, for rates in the Metrics view. */
export interface MetricTotals {
  published: number;
  received: number;
  invalid: number;
  publishFailures: number;
}

export class MetricsRegistry {
  /** This core's metrics (the process metrics are merged in by {@link text}). */
  readonly registry = new Registry();
  private readonly withProcessMetrics: boolean;
  private readonly now: () => number;
  private readonly totalsValue: MetricTotals = { published: 0, received: 0, invalid: 0, publishFailures: 0 };
  private readonly publishWindow = new LatencyWindow(4096);
  private readonly handlerWindow = new LatencyWindow(4096);
  private readonly pendingPublished = new DeferredCounts<'stream'>();
  private readonly pendingReceived = new DeferredCounts<'stream'>();
  private readonly pendingInvalid = new DeferredCounts<'stream' | 'reason'>();

  private readonly published: Counter<'stream'>;
  private readonly received: Counter<'stream'>;
  private readonly invalid: Counter<'stream' | 'reason'>;
  private readonly publishFailures: Counter<'reason'>;
  private readonly publishDuration: LatencyHistogram;
  private readonly handlerDuration: LatencyHistogram;
  private readonly connectionUp: Gauge;
  private readonly connectionState: Gauge<'state'>;
  private readonly outboxMessages: Gauge<'status'>;
  private readonly outboxOldestPending: Gauge;
  private readonly breakerState: Gauge<'breaker' | 'state'>;
  private readonly emergency: Gauge;
  private readonly consumerPending: Gauge<'stream' | 'consumer'>;
  private readonly consumerAckPending: Gauge<'stream' | 'consumer'>;
  private readonly streamMessages: Gauge<'stream'>;
  private readonly streamBytes: Gauge<'stream'>;
  private readonly streamUsage: Gauge<'stream'>;
  private readonly engineLoad: Gauge;
  private readonly engineValence: Gauge;
  private readonly alertsActive: Gauge<'severity'>;

  constructor(options: MetricsRegistryOptions = {}) {
    this.now = options.now ?? Date.now;
    const registers = [this.registry];
    this.withProcessMetrics = options.defaultMetrics !== false;
    this.published = new Counter({
      name: 'synos_messages_published_total',
      help: 'Messages published and acknowledged by JetStream, by stream',
      labelNames: ['stream'],
      registers,
      collect: () => this.pendingPublished.drainInto(this.published)
    });
    this.received = new Counter({
      name: 'synos_messages_received_total',
      help: 'Messages received from JetStream consumers, by stream',
      labelNames: ['stream'],
      registers,
      collect: () => this.pendingReceived.drainInto(this.received)
    });
    this.invalid = new Counter({
      name: 'synos_messages_invalid_total',
      help: 'Received messages rejected as invalid (not JSON, not an envelope, schema failure), by stream and reason',
      labelNames: ['stream', 'reason'],
      registers,
      collect: () => this.pendingInvalid.drainInto(this.invalid)
    });
    this.publishFailures = new Counter({
      name: 'synos_publish_failures_total',
      help: 'Publish attempts that failed (the outbox retries them), by reason',
      labelNames: ['reason'],
      registers
    });
    this.publishDuration = new LatencyHistogram(
      'synos_publish_duration_seconds',
      'Time from publish to JetStream PubAck, by stream',
      'stream',
      LATENCY_BUCKETS_SECONDS
    );
    this.handlerDuration = new LatencyHistogram(
      'synos_handler_duration_seconds',
      'Time to handle one received message, by handler',
      'handler',
      LATENCY_BUCKETS_SECONDS
    );
    this.registry.registerMetric(this.publishDuration as unknown as Metric);
    this.registry.registerMetric(this.handlerDuration as unknown as Metric);
    this.connectionUp = new Gauge({
      name: 'synos_nats_connected',
      help: '1 while connected to NATS, else 0',
      registers
    });
    this.connectionState = new Gauge({
      name: 'synos_nats_connection_state',
      help: 'The NATS connection state (1 for the current state, 0 for the others)',
      labelNames: ['state'],
      registers
    });
    this.outboxMessages = new Gauge({
      name: 'synos_outbox_messages',
      help: 'Rows in the SQLite outbox, by status (dead = the DLQ)',
      labelNames: ['status'],
      registers
    });
    this.outboxOldestPending = new Gauge({
      name: 'synos_outbox_oldest_pending_age_seconds',
      help: 'Age of the oldest outbox row not yet delivered (0 when none)',
      registers
    });
    this.breakerState = new Gauge({
      name: 'synos_circuit_breaker_state',
      help: 'Circuit breaker state per operation (1 for the current state, 0 for the others)',
      labelNames: ['breaker', 'state'],
      registers
    });
    this.emergency = new Gauge({
      name: 'synos_emergency_mode',
      help: '1 while emergency mode holds every breaker open, else 0',
      registers
    });
    this.consumerPending = new Gauge({
      name: 'synos_consumer_pending_messages',
      help: 'Messages not yet delivered to a durable consumer (num_pending), sampled',
      labelNames: ['stream', 'consumer'],
      registers
    });
    this.consumerAckPending = new Gauge({
      name: 'synos_consumer_ack_pending_messages',
      help: 'Messages delivered to a durable consumer and not yet acknowledged, sampled',
      labelNames: ['stream', 'consumer'],
      registers
    });
    this.streamMessages = new Gauge({
      name: 'synos_stream_messages',
      help: 'Messages stored in a stream, sampled',
      labelNames: ['stream'],
      registers
    });
    this.streamBytes = new Gauge({
      name: 'synos_stream_bytes',
      help: 'Bytes stored in a stream, sampled',
      labelNames: ['stream'],
      registers
    });
    this.streamUsage = new Gauge({
      name: 'synos_stream_usage_ratio',
      help: 'Fill of a stream against its max_msgs / max_bytes limits (the larger of the two), 0 to 1',
      labelNames: ['stream'],
      registers
    });
    this.engineLoad = new Gauge({
      name: 'synos_engine_load_ratio',
      help: 'Cognitive load of the consciousness engine, 0 to 1',
      registers
    });
    this.engineValence = new Gauge({
      name: 'synos_engine_valence',
      help: 'Emotional valence of the consciousness engine, -1 (distressed) to 1 (content)',
      registers
    });
    this.alertsActive = new Gauge({
      name: 'synos_alerts_active',
      help: 'Alerts firing or acknowledged and not yet resolved, by severity',
      labelNames: ['severity'],
      registers
    });
    this.setConnection('offline');
  }

  /** A message reached JetStream (PubAck) after `seconds`. */
  recordPublish(stream: string, seconds: number): void {
    if (!Number.isFinite(seconds) || seconds < 0) return;
    this.pendingPublished.add(stream, () => ({ stream }), 1);
    this.publishDuration.observe(stream, seconds);
    this.publishWindow.add(this.now(), seconds);
    this.totalsValue.published++;
  }

  /** A publish attempt failed (reason: an error code such as NOT_CONNECTED or TIMEOUT). */
  recordPublishFailure(reason: string): void {
    this.publishFailures.inc({ reason });
    this.totalsValue.publishFailures++;
  }

  /** A message arrived from a consumer of `stream`. */
  recordReceived(stream: string, count = 1): void {
    if (count <= 0) return;
    this.pendingReceived.add(stream, () => ({ stream }), count);
    this.totalsValue.received += count;
  }

  /** A received message was rejected (reason: not_json, not_envelope, schema, …). */
  recordInvalid(reason: string, stream = 'unknown'): void {
    this.pendingInvalid.add(`${stream}\u0000${reason}`, () => ({ stream, reason }), 1);
    this.totalsValue.invalid++;
  }

  /** One received message took `seconds` to handle. */
  recordHandler(handler: string, seconds: number): void {
    if (!Number.isFinite(seconds) || seconds < 0) return;
    this.handlerDuration.observe(handler, seconds);
    this.handlerWindow.add(this.now(), seconds);
  }

  setConnection(state: ConnectionState): void {
    this.connectionUp.set(state === 'connected' ? 1 : 0);
    for (const s of CONNECTION_STATES) this.connectionState.set({ state: s }, s === state ? 1 : 0);
  }

  setOutbox(reading: OutboxReading | null): void {
    this.outboxMessages.reset();
    this.outboxOldestPending.reset();
    if (!reading) return;
    for (const status of OUTBOX_STATUSES) this.outboxMessages.set({ status }, reading[status]);
    this.outboxOldestPending.set(reading.oldestPendingAgeSeconds ?? 0);
  }

  setBreakers(breakers: readonly BreakerReading[] | null, emergency: boolean | null): void {
    this.breakerState.reset();
    for (const b of breakers ?? []) {
      for (const state of ['closed', 'open', 'half-open', 'isolated'] as const) {
        this.breakerState.set({ breaker: b.name, state }, b.state === state ? 1 : 0);
      }
    }
    this.emergency.reset();
    if (emergency !== null) this.emergency.set(emergency ? 1 : 0);
  }

  setConsumers(consumers: readonly ConsumerReading[] | null): void {
    this.consumerPending.reset();
    this.consumerAckPending.reset();
    for (const c of consumers ?? []) {
      this.consumerPending.set({ stream: c.stream, consumer: c.consumer }, c.pending);
      this.consumerAckPending.set({ stream: c.stream, consumer: c.consumer }, c.ackPending);
    }
  }

  setStreams(streams: readonly StreamReading[] | null): void {
    this.streamMessages.reset();
    this.streamBytes.reset();
    this.streamUsage.reset();
    for (const s of streams ?? []) {
      this.streamMessages.set({ stream: s.stream }, s.messages);
      this.streamBytes.set({ stream: s.stream }, s.bytes);
      this.streamUsage.set({ stream: s.stream }, streamUsageRatio(s));
    }
  }

  setEngine(engine: EngineReading | null): void {
    this.engineLoad.reset();
    this.engineValence.reset();
    if (!engine) return;
    this.engineLoad.set(engine.load);
    this.engineValence.set(engine.valence);
  }

  setActiveAlerts(bySeverity: Record<string, number>): void {
    this.alertsActive.reset();
    for (const [severity, count] of Object.entries(bySeverity)) this.alertsActive.set({ severity }, count);
  }

  totals(): MetricTotals {
    return { ...this.totalsValue };
  }

  /** Publish latency quantiles over the last `windowMs`; null when fewer than minSamples were taken. */
  publishLatency(windowMs: number, minSamples = 1): { p50: number | null; p99: number | null; samples: number } {
    const from = this.now() - windowMs;
    const [p50, p99] = this.publishWindow.quantiles(from, [0.5, 0.99], minSamples);
    return { p50: p50 ?? null, p99: p99 ?? null, samples: this.publishWindow.count(from) };
  }

  handlerP99(windowMs: number): number | null {
    return this.handlerWindow.quantiles(this.now() - windowMs, [0.99])[0] ?? null;
  }

  /** The exposition text (Prometheus text format 0.0.4). */
  text(): Promise<string> {
    return this.withProcessMetrics
      ? Registry.merge([processMetricsRegistry(), this.registry]).metrics()
      : this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/** max(messages/max_msgs, bytes/max_bytes) over the limits that are set (> 0); 0 when unlimited. */
export function streamUsageRatio(s: Pick<StreamReading, 'messages' | 'bytes' | 'maxMsgs' | 'maxBytes'>): number {
  const byMsgs = s.maxMsgs > 0 ? s.messages / s.maxMsgs : 0;
  const byBytes = s.maxBytes > 0 ? s.bytes / s.maxBytes : 0;
  return Math.max(byMsgs, byBytes);
}
