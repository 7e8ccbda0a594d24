/**
 * The bidirectional NATS bridge around the consciousness engine.
 *
 * Inbound: the durable consumers `consciousness_bridge_{service,system,user}` (ORCHESTRATOR_EVENTS)
 * and `security_dashboard` (SECURITY_EVENTS). Each message is validated; an invalid one is
 * terminated, counted by reason and kept (bounded) with its subject, truncated bytes and reason;
 * a valid one goes to the engine and is acked only after the engine has taken it. If handling
 * throws, the message is nak'ed with a back-off that grows with its delivery count.
 *
 * Outbound: every engine event is wrapped in a CloudEvents envelope and handed to the registered
 * OutboundPublisher twice: on `consciousness.<type>` and on its orchestrator subject (DESIGN §2
 * mapping, the `bridge.outboundMapping` setting; null sends only the first). Each envelope has a
 * unique id, sent as Nats-Msg-Id.
 *
 * Also: heartbeat on `health.control_center`, metrics summary on `metrics.control_center` (both
 * settings), service health heard on `health.>`, and the pushed contract events. Every interval and
 * bound comes from the core's config (`bridge` and `engine` sections, see ./settings.ts); options
 * given to the constructor override them (tests).
 */
import os from 'node:os';
import type { JsMsg, ConsumerMessages } from '@nats-io/jetstream';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import {
  DEFAULT_INBOUND_MAPPING,
  validateEnvelope,
  type EngineInputType,
  type EngineOutputType,
  type Envelope,
  type InvalidReason,
  type MessageData,
  type MessageType,
  type Priority,
  type SecurityEventType,
  type Severity
} from '../contract/messages';
import type { EngineEventRecord, EngineSnapshotView, InvalidMessageView, SecurityEventView } from '../contract/engine';
import type { CoreContext } from '../core/module';
import { PUBLISHER_SERVICE, type OutboundMessage, type OutboundPublisher } from '../core/outbound';
import { APP_VERSION } from '../core/version';
import { ConsciousnessEngine, type EngineEvent, type EngineInitialState } from '../engine/engine';
import { engineConfigChanges, resolveEngineConfig, type DeepPartial, type EngineConfig } from '../engine/config';
import { EngineStore } from '../engine/store';
import { desiredStreams } from '../nats/topology';
import { DEFAULT_INBOUND_CONSUMERS, validateInbound, type InboundConsumerSpec } from './inbound';
import { EventBus } from './event-bus';
import { BridgeStore, type BridgeStoreOptions, type InvalidMessageRecord, type SecurityEventRecord } from './store';
import { newMessageId } from '../core/message-id';
import { DEFAULT_BRIDGE_SETTINGS, subjectsWithoutStream, type BridgeSettings } from './settings';
import { plural } from '../contract/text';
import { EPOCH_HEADER, type LeadershipGate } from './leadership-gate';

export { DEFAULT_INBOUND_CONSUMERS, type InboundConsumerSpec } from './inbound';

export interface BridgeOptions extends Omit<BridgeSettings, 'outboundMapping' | 'store'> {
  /**
   * Whether this core runs the engine and binds the inbound durables. Default: the core's
   * autoConnect setting — long-running cores (run, serve, desktop) do; one-shot CLI commands
   * (autoConnect off) must not compete with them for the bridge's durable consumers.
   */
  active?: boolean;
  /** Merged onto the core's `engine` config. */
  engine: DeepPartial<EngineConfig>;
  /** Engine event type → orchestrator subject; null: not forwarded. */
  outboundMapping: Record<string, string | null>;
  /** Orchestrator subject → engine input type. */
  inboundMapping: Record<string, EngineInputType>;
  consumers: readonly InboundConsumerSpec[];
  instance: string;
  store: Partial<BridgeStoreOptions>;
  clock: () => number;
}

/** Options from the operator's bridge settings (defaults when none are given). */
export function defaultBridgeOptions(settings: Readonly<BridgeSettings> = DEFAULT_BRIDGE_SETTINGS): BridgeOptions {
  return {
    ...settings,
    engine: {},
    outboundMapping: { ...settings.outboundMapping },
    inboundMapping: { ...DEFAULT_INBOUND_MAPPING },
    consumers: DEFAULT_INBOUND_CONSUMERS,
    instance: `${os.hostname()}-${process.pid}`,
    store: { ...settings.store },
    clock: Date.now
  };
}

interface ConsumerState {
  spec: InboundConsumerSpec;
  bound: boolean;
  received: number;
  lastError: string | null;
  messages: ConsumerMessages | null;
}

interface ServiceHealthEntry {
  service: string;
  instance: string;
  status: string;
  version: string | null;
  uptimeS: number | null;
  detail: string | null;
  subject: string;
  lastSeen: number;
}

/** Duck type of the monitoring area's metrics registry (service 'metrics'); absent is fine. */
interface MetricsRecorder {
  recordReceived?(stream: string, count?: number): void;
  recordInvalid?(reason: string, stream?: string): void;
  recordHandler?(handler: string, seconds: number): void;
}

const SEVERITY_OF: Partial<Record<SecurityEventType, (d: Record<string, unknown>) => Severity>> = {
  'security.threat.detected': (d) => d.severity as Severity,
  'security.auth.failure': (d) => (d.severity as Severity | undefined) ?? 'medium',
  'security.policy.violation': (d) => (d.severity as Severity | undefined) ?? 'medium',
  'security.threat.resolved': () => 'low'
};

const encoder = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export class ConsciousnessBridge {
  readonly options: BridgeOptions;
  readonly bus: EventBus;
  engine: ConsciousnessEngine;
  readonly store: BridgeStore;
  readonly engineStore: EngineStore;
  private readonly logger;
  private readonly consumers: ConsumerState[];
  private readonly recent: EngineEventRecord[] = [];
  private readonly health = new Map<string, ServiceHealthEntry>();
  private outbound: OutboundMessage[] = [];
  private flushing = false;
  private timers: NodeJS.Timeout[] = [];
  private generation = 0;
  private running = false;
  private healthSub: Subscription | null = null;
  private unsubscribeConnect: (() => void) | null = null;
  private lastStatePush = 0;
  private lastHeartbeatAt: number | null = null;
  private lastMetricsAt: number | null = null;
  private weightsDirty = false;
  /**
   * Leadership seam (main/leadership): with a gate, inbound consumption and engine outputs happen
   * only while the gate is open (set by the module once the shared state is loaded) and the lease
   * is unexpired. Without one (single core, tests) this core always leads.
   */
  private gate: LeadershipGate | null = null;
  private gateOpen = true;
  private readonly startedAt: number;
  private readonly counters = {
    received: 0,
    accepted: 0,
    invalid: 0,
    naks: 0,
    published: 0,
    failed: 0,
    dropped: 0,
    /** Engine outputs not published because the lease had run out (self-fencing). */
    fenced: 0
  };
  private readonly invalidByReason: Record<string, number> = {};
  /** Counters at the last metrics summary, for per-window figures. */
  private lastWindow = {
    received: 0,
    accepted: 0,
    invalid: 0,
    naks: 0,
    published: 0,
    failed: 0,
    dropped: 0,
    events: 0,
    errors: 0,
    at: 0
  };
  private readonly invalidWindow: Record<string, number> = {};

  constructor(
    private readonly ctx: CoreContext,
    options: Partial<BridgeOptions> = {}
  ) {
    this.options = { ...defaultBridgeOptions(ctx.config.bridge), ...options };
    this.logger = ctx.logger.child({ part: 'bridge' });
    this.bus = new EventBus((topic, error) => this.logger.error('event bus listener failed', { topic, error }));
    this.store = new BridgeStore(ctx.db, this.options.store);
    const engineConfig = resolveEngineConfig(this.options.engine, ctx.config.engine);
    this.engineStore = new EngineStore(ctx.db, engineConfig.memory.longTermCapacity);
    this.engine = new ConsciousnessEngine(engineConfig, {
      weights: this.engineStore.loadWeights(),
      longTerm: this.engineStore.loadLongTerm()
    });
    this.consumers = this.options.consumers.map((spec) => ({
      spec,
      bound: false,
      received: 0,
      lastError: null,
      messages: null
    }));
    this.startedAt = this.options.clock();
    this.lastWindow.at = this.startedAt;
  }

  // -------------------------------------------------------------------------------------------
  // Lifecycle
  // -------------------------------------------------------------------------------------------

  /** True when this core runs the engine on live traffic (see {@link BridgeOptions.active}). */
  get active(): boolean {
    return this.options.active ?? this.ctx.config.autoConnect;
  }

  /** True while this core may consume the inbound durables and publish engine outputs. */
  get leading(): boolean {
    return this.gate === null || (this.gateOpen && this.gate.isActive());
  }

  /** Puts the bridge behind a leadership gate; it stays closed until {@link resumeLeading}. */
  useGate(gate: LeadershipGate): void {
    this.gate = gate;
    this.gateOpen = false;
  }

  /** The lease is ours and the shared state is loaded: bind the inbound durables and publish. */
  resumeLeading(): void {
    this.gateOpen = true;
    const nc = this.ctx.nats.connection();
    if (nc && this.running) void this.bind(nc);
  }

  /** Leadership seam: continue from the state the last leader shared (weights, memory, open problems, focus). */
  replaceEngine(initial: EngineInitialState): void {
    this.engine = new ConsciousnessEngine(this.engine.config, initial);
  }

  /** The lease is gone: stop consuming and publishing at once; unsent outputs are dropped. */
  stopLeading(): void {
    this.gateOpen = false;
    this.generation++;
    void this.releaseConsumers();
    this.counters.fenced += this.outbound.length;
    this.outbound = [];
  }

  start(): void {
    if (this.running || !this.active) return;
    this.running = true;
    try {
      const abandoned = this.engineStore.abandonOpenProblems();
      if (abandoned > 0)
        this.logger.info('problems left open by the previous run are no longer tracked', { count: abandoned });
    } catch (error) {
      this.logger.error('cannot update problems of the previous run', { error });
    }
    this.warnSubjectsWithoutStream();
    // What config.json made of the bridge and the engine, so an operator can check it took effect.
    this.logger.info('bridge running', {
      outboundMapping: this.options.outboundMapping,
      heartbeat: { subject: this.options.heartbeatSubject, intervalMs: this.options.heartbeatIntervalMs },
      metricsSummary: { subject: this.options.metricsSubject, intervalMs: this.options.metricsIntervalMs },
      engineChangedFromDefaults: engineConfigChanges(this.engine.config)
    });
    const every = (ms: number, fn: () => void | Promise<void>): void => {
      const timer = setInterval(() => {
        try {
          const result = fn();
          if (result instanceof Promise) result.catch((error) => this.logger.error('bridge timer failed', { error }));
        } catch (error) {
          this.logger.error('bridge timer failed', { error });
        }
      }, ms);
      timer.unref();
      this.timers.push(timer);
    };
    every(this.options.tickIntervalMs, () => this.tick());
    every(this.options.heartbeatIntervalMs, () => this.publishHeartbeat());
    every(this.options.metricsIntervalMs, () => this.publishMetricsSummary());
    this.unsubscribeConnect = this.ctx.nats.onConnect((nc) => void this.bind(nc));
    const nc = this.ctx.nats.connection();
    if (nc) void this.bind(nc);
  }

  /** A configured subject no provisioned stream captures would dead-letter every message sent there: say so at start. */
  private warnSubjectsWithoutStream(): void {
    const { replicas, duplicateWindowMs } = this.ctx.config.topology;
    const streamSubjects = desiredStreams({ replicas, duplicateWindowMs }).flatMap((s) => s.subjects);
    const unstored = subjectsWithoutStream(this.options, streamSubjects);
    if (unstored.length === 0) return;
    this.ctx.notices.add(
      'warning',
      'BRIDGE_SUBJECT_NOT_STORED',
      `No Syn_OS stream captures ${unstored.join(', ')} (config.json bridge section): JetStream will refuse those publishes and the outbox will retry them until they are dead letters. Create a stream for them or pick subjects under consciousness.>, orchestrator.>, health.>, metrics.>, priority.>, critical.> or alert.>.`,
      { subjects: unstored }
    );
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.generation++;
    this.unsubscribeConnect?.();
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    await this.unbind();
    // Last engine step: persist what it learned, write buffered rows, hand over queued messages.
    this.persistLearning();
    this.store.flush();
    await this.flushOutbound();
  }

  private async unbind(): Promise<void> {
    this.healthSub?.unsubscribe();
    this.healthSub = null;
    await this.releaseConsumers();
  }

  private async releaseConsumers(): Promise<void> {
    await Promise.all(
      this.consumers.map(async (c) => {
        const messages = c.messages;
        c.messages = null;
        c.bound = false;
        if (messages) await Promise.resolve(messages.close()).catch(() => undefined);
      })
    );
  }

  /** On each new connection: provision (when the service exists), then bind every consumer. */
  private async bind(nc: NatsConnection): Promise<void> {
    const generation = ++this.generation;
    await this.unbind();
    const provisioning = this.ctx.services.get('provisioning') as { ensure?: () => Promise<unknown> } | undefined;
    if (provisioning && typeof provisioning.ensure === 'function') {
      try {
        await provisioning.ensure();
      } catch (error) {
        this.logger.warn('provisioning failed; binding the consumers that exist', { error });
      }
    }
    if (generation !== this.generation || nc.isClosed()) return;
    this.subscribeHealth(nc);
    if (!this.leading) return;
    await Promise.all(this.consumers.map((c) => this.bindConsumer(nc, c, generation)));
  }

  private async bindConsumer(nc: NatsConnection, c: ConsumerState, generation: number): Promise<void> {
    const js = jetstream(nc);
    let warned = false;
    while (generation === this.generation && !nc.isClosed() && this.running && this.leading) {
      try {
        const consumer = await js.consumers.get(c.spec.stream, c.spec.durable);
        const messages = await consumer.consume({
          max_messages: this.options.pullBatch,
          callback: (m) => this.handleMessage(m, c)
        });
        if (generation !== this.generation) {
          await Promise.resolve(messages.close()).catch(() => undefined);
          return;
        }
        c.messages = messages;
        c.bound = true;
        c.lastError = null;
        this.logger.info('consuming', { stream: c.spec.stream, durable: c.spec.durable });
        void messages.closed().then((error) => {
          if (c.messages !== messages) return;
          c.bound = false;
          c.messages = null;
          if (error) c.lastError = error instanceof Error ? error.message : String(error);
          this.logger.warn('inbound consumer stopped', { durable: c.spec.durable, error: c.lastError });
        });
        return;
      } catch (error) {
        c.bound = false;
        c.lastError = error instanceof Error ? error.message : String(error);
        if (!warned) {
          warned = true;
          this.logger.warn(`cannot bind ${c.spec.stream}/${c.spec.durable} (run synos-cc provision); retrying`, {
            error: c.lastError
          });
        }
        await new Promise((r) => setTimeout(r, this.options.bindRetryMs).unref());
      }
    }
  }

  private subscribeHealth(nc: NatsConnection): void {
    try {
      this.healthSub = nc.subscribe('health.>', {
        callback: (error, msg) => {
          if (error) return;
          const result = validateEnvelope(msg.data, { allowedTypes: ['health.heartbeat'], maxBytes: 64 * 1024 });
          // Other traffic on health.> is not ours to judge; only heartbeats feed the Overview.
          if (!result.ok) return;
          const d = result.envelope.data as MessageData<'health.heartbeat'>;
          const key = `${d.service}|${d.instance}`;
          if (!this.health.has(key) && this.health.size >= 1000) {
            const oldest = [...this.health.values()].sort((a, b) => a.lastSeen - b.lastSeen)[0];
            if (oldest) this.health.delete(`${oldest.service}|${oldest.instance}`);
          }
          this.health.set(key, {
            service: d.service,
            instance: d.instance,
            status: d.status,
            version: d.version ?? null,
            uptimeS: d.uptime_s,
            detail: d.detail ?? null,
            subject: msg.subject,
            lastSeen: this.options.clock()
          });
        }
      });
    } catch (error) {
      this.logger.warn('cannot subscribe to health.>', { error });
    }
  }

  // -------------------------------------------------------------------------------------------
  // Inbound
  // -------------------------------------------------------------------------------------------

  private metrics(): MetricsRecorder | undefined {
    return this.ctx.services.get('metrics') as MetricsRecorder | undefined;
  }

  /** Handles one JetStream message: validate, step the engine, ack; or term / nak. Never throws. */
  handleMessage(msg: JsMsg, consumer: ConsumerState | InboundConsumerSpec): void {
    const spec = 'spec' in consumer ? consumer.spec : consumer;
    if (!this.leading) {
      // Pulled before the lease ran out: give it back at once for the new leader.
      try {
        msg.nak();
      } catch {
        // the consumer is closing; the server redelivers after ack_wait
      }
      return;
    }
    if ('spec' in consumer) consumer.received++;
    this.counters.received++;
    const started = performance.now();
    this.metrics()?.recordReceived?.(spec.stream);
    const subject = msg.subject;
    const validation = validateInbound(spec.family, subject, msg.data, {
      inboundMapping: this.options.inboundMapping,
      maxMessageBytes: this.options.maxMessageBytes
    });
    if (!validation.ok) {
      this.rejectInvalid(msg, spec, validation.reason, validation.message, validation.issues);
      return;
    }
    try {
      const now = this.options.clock();
      const envelope = validation.envelope;
      this.bus.emit('input', { envelope, subject, stream: spec.stream, receivedAt: now });
      const events = this.engine.step(
        { type: envelope.type, data: envelope.data, id: envelope.id, validated: true },
        now
      );
      if (spec.family === 'security') this.keepSecurityEvent(envelope, now);
      this.handleOutputs(events);
      msg.ack();
      this.counters.accepted++;
      this.metrics()?.recordHandler?.('bridge.inbound', (performance.now() - started) / 1000);
    } catch (error) {
      this.counters.naks++;
      const deliveries = Math.max(1, msg.info?.deliveryCount ?? 1);
      const delay = Math.min(this.options.nakMaxDelayMs, this.options.nakBaseDelayMs * 2 ** (deliveries - 1));
      this.logger.error('handling an inbound message failed; nak with back-off', {
        subject,
        deliveries,
        delayMs: delay,
        error
      });
      try {
        msg.nak(delay);
      } catch (nakError) {
        this.logger.warn('nak failed', { error: nakError });
      }
    }
  }

  private rejectInvalid(
    msg: JsMsg,
    spec: InboundConsumerSpec,
    reason: InvalidReason,
    message: string,
    issues: Array<{ path: string; message: string }>
  ): void {
    this.counters.invalid++;
    this.invalidByReason[reason] = (this.invalidByReason[reason] ?? 0) + 1;
    this.invalidWindow[reason] = (this.invalidWindow[reason] ?? 0) + 1;
    this.metrics()?.recordInvalid?.(reason, spec.stream);
    try {
      // No reason text: nats-server 2.9 does not parse "+TERM <reason>" and would leave the
      // message pending until ack_wait, then redeliver it. The reason is kept in our table instead.
      msg.term();
    } catch (error) {
      this.logger.warn('term failed', { error });
    }
    const record = {
      receivedAt: this.options.clock(),
      subject: msg.subject,
      stream: msg.info?.stream ?? spec.stream,
      streamSeq: msg.info?.streamSequence ?? null,
      reason,
      message,
      issues,
      raw: msg.data,
      rawSize: msg.data.length
    };
    try {
      this.store.addInvalid(record);
    } catch (error) {
      this.logger.error('cannot keep an invalid message', { error });
    }
    if (this.ctx.events.hasListeners('bridge.invalidMessage')) {
      this.ctx.events.emit(
        'bridge.invalidMessage',
        toInvalidView({ ...record, id: 0, raw: record.raw.slice(0, 4096) })
      );
    }
    this.logger.debug('rejected an invalid message', { subject: msg.subject, reason, message });
  }

  /** Also the leadership seam: a standby's observer feed hands it the security events it reads. */
  keepSecurityEvent(envelope: Envelope, now: number): void {
    const type = envelope.type as SecurityEventType;
    const data = envelope.data as Record<string, unknown>;
    const severity = SEVERITY_OF[type]?.(data) ?? 'medium';
    const target =
      typeof data.target === 'string' ? data.target : typeof data.user === 'string' ? `user:${data.user}` : null;
    const record = this.store.addSecurityEvent({
      id: envelope.id,
      time: envelope.time,
      receivedAt: now,
      type,
      severity,
      source: envelope.source,
      target,
      summary: summariseSecurity(type, data),
      data
    });
    if (this.ctx.events.hasListeners('security.event')) this.ctx.events.emit('security.event', toSecurityView(record));
  }

  // -------------------------------------------------------------------------------------------
  // Outbound
  // -------------------------------------------------------------------------------------------

  private envelope(
    type: MessageType,
    data: unknown,
    time: number,
    priority: Priority,
    correlationid?: string
  ): Envelope {
    const env: Envelope = {
      specversion: '1.0',
      id: newMessageId(),
      source: this.options.source,
      type,
      time: iso(time),
      datacontenttype: 'application/json',
      data,
      priority
    };
    if (correlationid !== undefined) env.correlationid = correlationid;
    return env;
  }

  /** The term's epoch for engine outputs (envelope `synosepoch`, header `Synos-Epoch`). */
  private epochStamp(): number | null {
    return this.gate?.epoch() ?? null;
  }

  /** Wraps engine events and queues them on both subjects; updates the views. */
  handleOutputs(events: EngineEvent[]): void {
    if (!this.leading) {
      this.counters.fenced += events.length;
      return;
    }
    const epoch = this.epochStamp();
    const headers = epoch === null ? undefined : { [EPOCH_HEADER]: String(epoch) };
    for (const event of events) {
      const env = this.envelope(event.type, event.data, event.time, event.priority, event.correlationid);
      if (epoch !== null) env.synosepoch = epoch;
      const forwardSubject = this.options.outboundMapping[event.type];
      const subjects = forwardSubject ? [event.type, forwardSubject] : [event.type];
      this.enqueue({
        id: env.id,
        subject: event.type,
        payload: encoder.encode(JSON.stringify(env)),
        priority: event.priority,
        ...(headers ? { headers } : {})
      });
      if (forwardSubject) {
        // Its own id: the copy lands in another stream, and the outbox keys rows by id.
        const copy = { ...env, id: newMessageId() };
        this.enqueue({
          id: copy.id,
          subject: forwardSubject,
          payload: encoder.encode(JSON.stringify(copy)),
          priority: event.priority,
          ...(headers ? { headers } : {})
        });
      }
      const record = {
        id: env.id,
        type: event.type,
        time: env.time,
        priority: event.priority,
        subjects,
        data: event.data
      } as EngineEventRecord;
      if (event.correlationid !== undefined) record.correlationid = event.correlationid;
      this.recent.push(record);
      if (this.recent.length > this.options.recentEvents)
        this.recent.splice(0, this.recent.length - this.options.recentEvents);
      if (event.type === 'consciousness.learning_event' && (event.data as { kind: string }).kind === 'strategy')
        this.weightsDirty = true;
      if (this.ctx.events.hasListeners('engine.event')) this.ctx.events.emit('engine.event', record);
      this.bus.emit('output', { event, envelope: env, type: event.type as EngineOutputType, subjects });
    }
    if (events.length > 0) this.scheduleFlush();
  }

  /**
   * Leadership seam: an output of the active engine, read by this standby or observer from
   * CONSCIOUSNESS_EVENTS, joins the Engine view's recent events as if made here.
   */
  observeOutput(envelope: Envelope, subject: string): void {
    const record = {
      id: envelope.id,
      type: envelope.type,
      time: envelope.time,
      priority: envelope.priority ?? 'normal',
      subjects: [subject],
      data: envelope.data
    } as EngineEventRecord;
    if (envelope.correlationid !== undefined) record.correlationid = envelope.correlationid;
    this.recent.push(record);
    if (this.recent.length > this.options.recentEvents)
      this.recent.splice(0, this.recent.length - this.options.recentEvents);
    if (this.ctx.events.hasListeners('engine.event')) this.ctx.events.emit('engine.event', record);
  }

  private enqueue(message: OutboundMessage): void {
    this.outbound.push(message);
    if (this.outbound.length > this.options.maxOutboundQueue) {
      const excess = this.outbound.length - this.options.maxOutboundQueue;
      this.outbound.splice(0, excess);
      this.counters.dropped += excess;
    }
  }

  private scheduleFlush(): void {
    if (this.flushing) return;
    this.flushing = true;
    setImmediate(() => {
      void this.flushOutbound().finally(() => {
        this.flushing = false;
        if (this.outbound.length > 0 && this.running) this.scheduleFlush();
      });
    });
  }

  private publisher(): OutboundPublisher | null {
    return (this.ctx.services.get(PUBLISHER_SERVICE) as OutboundPublisher | undefined) ?? null;
  }

  /** Hands queued messages to the publisher in batches. */
  async flushOutbound(): Promise<void> {
    const publisher = this.publisher();
    if (!this.leading && this.outbound.length > 0) {
      this.counters.fenced += this.outbound.length;
      this.outbound = [];
    }
    while (this.outbound.length > 0) {
      const batch = this.outbound.splice(0, 500);
      if (!publisher) {
        this.counters.dropped += batch.length;
        continue;
      }
      try {
        await publisher.publishMany(batch);
        this.counters.published += batch.length;
      } catch (error) {
        const failed = (error as { failedCount?: number }).failedCount ?? batch.length;
        this.counters.failed += failed;
        this.counters.published += batch.length - failed;
        this.logger.warn('publishing engine events failed', { count: failed, error });
      }
    }
  }

  /** Publishes one of the app's own messages (heartbeat, summary) when connected. */
  private async publishOwn(subject: string, type: MessageType, data: unknown, priority: Priority): Promise<boolean> {
    if (!this.ctx.nats.connection()) return false;
    const publisher = this.publisher();
    if (!publisher) return false;
    const env = this.envelope(type, data, this.options.clock(), priority);
    try {
      await publisher.publish({ id: env.id, subject, payload: encoder.encode(JSON.stringify(env)), priority });
      return true;
    } catch (error) {
      this.logger.warn(`publishing on ${subject} failed`, { error });
      return false;
    }
  }

  async publishHeartbeat(): Promise<void> {
    const now = this.options.clock();
    // A standby leaves the durables to the leader on purpose.
    const unbound = this.leading ? this.consumers.filter((c) => !c.bound).length : 0;
    const data: MessageData<'health.heartbeat'> = {
      service: 'control_center',
      instance: this.options.instance,
      status: unbound === 0 ? 'healthy' : 'degraded',
      version: APP_VERSION,
      uptime_s: Math.max(0, Math.round((now - this.startedAt) / 1000))
    };
    if (unbound > 0) data.detail = `${plural(unbound, 'inbound consumer')} not bound`;
    if (await this.publishOwn(this.options.heartbeatSubject, 'health.heartbeat', data, 'low'))
      this.lastHeartbeatAt = now;
  }

  async publishMetricsSummary(): Promise<void> {
    const now = this.options.clock();
    const snap = this.engine.snapshot(now);
    const w = this.lastWindow;
    const c = this.counters;
    const windowS = Math.max(0.001, (now - w.at) / 1000);
    const data: MessageData<'metrics.summary'> = {
      service: 'control_center',
      instance: this.options.instance,
      window_s: Math.round(windowS * 1000) / 1000,
      inbound: {
        received: c.received - w.received,
        accepted: c.accepted - w.accepted,
        invalid: c.invalid - w.invalid,
        invalid_by_reason: { ...this.invalidWindow },
        naks: c.naks - w.naks,
        rate_per_s: Math.round(((c.received - w.received) / windowS) * 100) / 100
      },
      outbound: { published: c.published - w.published, failed: c.failed - w.failed, dropped: c.dropped - w.dropped },
      engine: {
        ...snap.state,
        events_emitted: snap.counters.events - w.events,
        errors: snap.counters.errors - w.errors
      },
      rss_bytes: process.memoryUsage.rss()
    };
    this.lastWindow = { ...c, events: snap.counters.events, errors: snap.counters.errors, at: now };
    for (const key of Object.keys(this.invalidWindow)) delete this.invalidWindow[key];
    if (await this.publishOwn(this.options.metricsSubject, 'metrics.summary', data, 'low')) this.lastMetricsAt = now;
  }

  // -------------------------------------------------------------------------------------------
  // Time passing
  // -------------------------------------------------------------------------------------------

  /** Advances the engine's clock, persists what it learned, writes buffered rows, pushes state. */
  tick(): void {
    const now = this.options.clock();
    if (this.leading) this.handleOutputs(this.engine.tick(now));
    this.persistLearning();
    try {
      this.store.flush();
    } catch (error) {
      this.logger.error('writing invalid messages / security events failed', { error });
    }
    if (now - this.lastStatePush >= this.options.statePushIntervalMs && this.ctx.events.hasListeners('engine.state')) {
      this.lastStatePush = now;
      this.ctx.events.emit('engine.state', this.snapshotView());
    }
  }

  private persistLearning(): void {
    try {
      const memory = this.engine.takeLongTermChanges();
      const weights = this.weightsDirty ? this.engine.strategyWeights().filter((w) => w.updatedAt !== null) : [];
      this.weightsDirty = false;
      this.engineStore.save(weights, memory, this.engine.takeProblemChanges());
    } catch (error) {
      this.logger.error('persisting strategy weights / long-term memory failed', { error });
    }
  }

  // -------------------------------------------------------------------------------------------
  // Views
  // -------------------------------------------------------------------------------------------

  /** Problems newest first: live ones from the engine, the rest from SQLite (they survive restarts). */
  problemsList(status: 'open' | 'resolved' | 'all', limit: number) {
    this.persistLearning();
    const live = this.engine.problems().open;
    if (status === 'open') return live.sort((a, b) => b.openedAt - a.openedAt).slice(0, limit);
    const stored = this.engineStore.listProblems({
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

  snapshotView(): EngineSnapshotView {
    const now = this.options.clock();
    const s = this.engine.snapshot(now);
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

  recentEvents(limit: number, types?: string[]): EngineEventRecord[] {
    const out: EngineEventRecord[] = [];
    for (let i = this.recent.length - 1; i >= 0 && out.length < limit; i--) {
      const r = this.recent[i] as EngineEventRecord;
      if (!types || types.includes(r.type)) out.push(r);
    }
    return out;
  }

  status() {
    return {
      running: this.running,
      consumers: this.consumers.map((c) => ({
        stream: c.spec.stream,
        durable: c.spec.durable,
        bound: c.bound,
        received: c.received,
        lastError: c.lastError
      })),
      inbound: {
        received: this.counters.received,
        accepted: this.counters.accepted,
        invalid: this.counters.invalid,
        naks: this.counters.naks,
        invalidByReason: { ...this.invalidByReason }
      },
      outbound: {
        published: this.counters.published,
        failed: this.counters.failed,
        dropped: this.counters.dropped,
        queued: this.outbound.length,
        publisher: publisherKind(this.publisher())
      },
      heartbeat: {
        subject: this.options.heartbeatSubject,
        intervalMs: this.options.heartbeatIntervalMs,
        lastAt: this.lastHeartbeatAt === null ? null : iso(this.lastHeartbeatAt)
      },
      metricsSummary: {
        subject: this.options.metricsSubject,
        intervalMs: this.options.metricsIntervalMs,
        lastAt: this.lastMetricsAt === null ? null : iso(this.lastMetricsAt)
      },
      outboundMapping: { ...this.options.outboundMapping },
      inboundMapping: { ...this.options.inboundMapping }
    };
  }

  servicesHealth() {
    const now = this.options.clock();
    const staleAfter = this.options.serviceStaleAfterMs;
    return [...this.health.values()]
      .sort((a, b) => a.service.localeCompare(b.service) || a.instance.localeCompare(b.instance))
      .map((h) => ({ ...h, lastSeen: iso(h.lastSeen), stale: now - h.lastSeen > staleAfter }));
  }
}

function publisherKind(publisher: OutboundPublisher | null): string {
  if (!publisher) return 'none';
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
