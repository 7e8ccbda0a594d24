/**
 * The bidirectional NATS bridge around the consciousness engine.
 *
 * Inbound: on nats-server 2.9 the durable consumers `consciousness_bridge_{service,system,user}`
 * (ORCHESTRATOR_EVENTS), on ≥ 2.10 the one filtered durable `consciousness_bridge` handed over
 * from them (./inbound-consumers.ts), and `security_dashboard` (SECURITY_EVENTS). Each message is
 * validated; an invalid one is kept (bounded) with its subject, truncated bytes and reason, counted by reason and terminated; a
 * valid one steps the engine. Messages handled in the same turn of the event loop are committed
 * together in ONE SQLite transaction (group commit): the engine's learning, every output's outbox
 * row, the security and invalid-message records and each input's id in the inbox
 * (./inbox.ts). Only after that commit is a message acked (or terminated). A redelivered input
 * whose id is in the inbox is acked without stepping the engine again. When the commit fails (a
 * full disk, a read-only file) every message of the batch is nak'ed with back-off, new ones are
 * nak'ed until the back-off has passed, and the engine is rebuilt from what is persisted, so its
 * state never runs ahead of the database.
 *
 * Outbound: every engine event is wrapped in a CloudEvents envelope and written to the outbox
 * twice: on `consciousness.<type>` and on its orchestrator subject (the `bridge.outboundMapping`
 * setting; null sends only the first). An output's id (its Nats-Msg-Id) derives from the input's
 * id and the output's index, type and subject, so a second stepping of the same input publishes
 * copies JetStream drops as duplicates. Without the outbox (a core without the durability area)
 * outputs go to the registered OutboundPublisher after the commit.
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
import { PUBLISHER_SERVICE, isTransactional, type OutboundMessage, type OutboundPublisher } from '../core/outbound';
import { APP_VERSION } from '../core/version';
import { ConsciousnessEngine, type EngineEvent, type EngineInitialState } from '../engine/engine';
import { engineConfigChanges, resolveEngineConfig, type DeepPartial, type EngineConfig } from '../engine/config';
import { EngineStore } from '../engine/store';
import { desiredStreams } from '../nats/topology';
import {
  DEFAULT_INBOUND_CONSUMERS,
  inboxScope,
  settledBeforeHandover,
  validateInbound,
  type InboundConsumerSpec
} from './inbound';
import { InboundPlanner } from './inbound-consumers';
import { EPOCH_HEADER, type LeadershipGate } from './leadership-gate';
import { EventBus, type BusInput, type BusOutput } from './event-bus';
import {
  BridgeStore,
  type BridgeStoreOptions,
  type InvalidMessageRecord,
  type NewInvalidMessage,
  type SecurityEventRecord
} from './store';
import { InboxStore, inputDigest } from './inbox';
import { derivedMessageId, newMessageId } from '../core/message-id';
import { DEFAULT_BRIDGE_SETTINGS, subjectsWithoutStream, type BridgeSettings } from './settings';
import { plural } from '../contract/text';

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
  /** Put before every output subject (the pipeline benchmark keeps its outputs in its own stream); '' in the product. */
  outputSubjectPrefix: string;
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
    outputSubjectPrefix: '',
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

/** One message of the open batch and what to do with it once the batch committed. */
interface Settlement {
  msg: JsMsg;
  action: 'ack' | 'term';
  /** performance.now() when it arrived. */
  started: number;
  /** Set for an invalid message: counted by reason once its record committed. */
  invalidReason: { reason: InvalidReason; stream: string } | null;
  /** A valid input stepped in this batch: its envelope id and the ids of the outputs it caused. */
  stepped?: { id: string; outputs: string[] };
}

/** What the messages handled since the last commit produced; committed in one transaction. */
interface InboundBatch {
  settle: Settlement[];
  /** Inbox keys (hex → 16-byte key) of the inputs in this batch. */
  keys: Map<string, Buffer>;
  inputs: BusInput[];
  outbound: OutboundMessage[];
  outputs: Array<{ bus: BusOutput }>;
  security: SecurityEventRecord[];
  invalid: NewInvalidMessage[];
}

function newBatch(): InboundBatch {
  return { settle: [], keys: new Map(), inputs: [], outbound: [], outputs: [], security: [], invalid: [] };
}

function isEmptyBatch(b: InboundBatch): boolean {
  return b.settle.length === 0 && b.outbound.length === 0 && b.security.length === 0 && b.invalid.length === 0;
}

/** Messages per transaction at most (a pull batch is 512 by default: two commits). */
const MAX_BATCH = 256;
/** Learning is committed at least every this many ticks (about 5 s at the default 250 ms). */
const LEARNING_COMMIT_TICKS = 20;
/** Inbox ids are kept at least this long (and at least the stream's duplicate window). */
const MIN_INBOX_RETENTION_MS = 5 * 60_000;

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
  readonly store: BridgeStore;
  readonly engineStore: EngineStore;
  private readonly inbox: InboxStore;
  private engineRef: ConsciousnessEngine;
  /** Inbound messages handled and engine events emitted since the last commit. */
  private batch: InboundBatch = newBatch();
  private commitScheduled = false;
  private readonly commitTx: ReturnType<CoreContext['db']['transaction']>;
  /** Consecutive failed commits; while `blockedUntil` is ahead every inbound message is nak'ed. */
  private commitFailures = 0;
  private blockedUntil = 0;
  private blockedSince: number | null = null;
  /** The engine was rebuilt: problems the database holds open are marked abandoned at the next commit. */
  private abandonProblems = false;
  private learningDue = false;
  private ticksSinceLearning = 0;
  private readonly logger;
  private consumers: ConsumerState[];
  private readonly planner = new InboundPlanner();
  private readonly recent: EngineEventRecord[] = [];
  private readonly health = new Map<string, ServiceHealthEntry>();
  private outbound: OutboundMessage[] = [];
  private flushing = false;
  private timers: NodeJS.Timeout[] = [];
  private generation = 0;
  private running = false;
  /** The inbound durables are wanted (see startInbound / stopInbound). */
  private consuming = false;
  private healthSub: Subscription | null = null;
  private unsubscribeConnect: (() => void) | null = null;
  private lastStatePush = 0;
  private lastHeartbeatAt: number | null = null;
  private lastMetricsAt: number | null = null;
  private weightsDirty = false;
  /**
   * Leadership seam (main/leadership): with a gate, inbound consumption and engine outputs happen
   * only while the gate is open (set once the shared state is loaded) and the lease is unexpired.
   * Without one (a single core, tests) this core always leads.
   */
  private gate: LeadershipGate | null = null;
  private gateOpen = true;
  private readonly startedAt: number;
  private readonly counters = {
    received: 0,
    accepted: 0,
    invalid: 0,
    naks: 0,
    duplicates: 0,
    published: 0,
    failed: 0,
    dropped: 0,
    /** Engine outputs not made because the lease had run out (self-fencing). */
    fenced: 0
  };
  private readonly invalidByReason: Record<string, number> = {};
  /** Counters at the last metrics summary, for per-window figures. */
  private lastWindow = {
    received: 0,
    accepted: 0,
    invalid: 0,
    naks: 0,
    duplicates: 0,
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
    this.engineRef = new ConsciousnessEngine(engineConfig, {
      weights: this.engineStore.loadWeights(),
      longTerm: this.engineStore.loadLongTerm()
    });
    this.inbox = new InboxStore(ctx.db);
    this.commitTx = ctx.db.transaction((write: () => void) => write());
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

  /** The engine (replaced by one rebuilt from the database when a commit fails). */
  get engine(): ConsciousnessEngine {
    return this.engineRef;
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

  /** The lease is ours and the shared state is loaded: bind the inbound durables. */
  resumeLeading(): void {
    this.gateOpen = true;
    const nc = this.ctx.nats.connection();
    if (nc && this.running) void this.startInbound(nc);
  }

  /** Leadership seam: continue from the state the last leader shared (weights, memory, open problems, focus). */
  replaceEngine(initial: EngineInitialState): void {
    this.engineRef = new ConsciousnessEngine(this.engine.config, initial);
  }

  /**
   * The lease is gone: stop consuming at once. What was already committed stays in the outbox and
   * is delivered (its inputs are acknowledged, so no other leader makes it again); nothing new is
   * made under the old epoch.
   */
  stopLeading(): void {
    this.gateOpen = false;
    void this.stopInbound();
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
    const connected = (nc: NatsConnection): void => {
      this.subscribeHealth(nc);
      if (this.leading) void this.startInbound(nc);
    };
    this.unsubscribeConnect = this.ctx.nats.onConnect(connected);
    const nc = this.ctx.nats.connection();
    if (nc) connected(nc);
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
    this.unsubscribeConnect?.();
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    this.healthSub?.unsubscribe();
    this.healthSub = null;
    await this.stopInbound();
    await this.flushOutbound();
  }

  /**
   * Stops reading the inbound durables, then commits and settles what was already handled (and
   * what the engine learned). The bridge keeps running otherwise; startInbound() binds again.
   */
  async stopInbound(): Promise<void> {
    this.consuming = false;
    this.generation++;
    await this.unbind();
    this.learningDue = true;
    this.commitBatch();
  }

  /** Whether the inbound durables are wanted (startInbound called, stopInbound not since). */
  get inboundActive(): boolean {
    return this.consuming;
  }

  private async unbind(): Promise<void> {
    await Promise.all(
      this.consumers.map(async (c) => {
        const messages = c.messages;
        c.messages = null;
        c.bound = false;
        if (messages) await Promise.resolve(messages.close()).catch(() => undefined);
      })
    );
  }

  /**
   * Binds every inbound durable on `nc` (provisioning first, when that service exists); called on
   * each new connection. Separate from start() so that something deciding when this core may
   * consume (a leader lease) can call it and {@link stopInbound} on its own.
   */
  async startInbound(nc: NatsConnection): Promise<void> {
    this.consuming = true;
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
    if (!(await this.planConsumers(nc, generation))) return;
    await Promise.all(this.consumers.map((c) => this.bindConsumer(nc, c, generation)));
  }

  /** Picks the inbound durables for this server (handing over to the filtered one on ≥ 2.10). */
  private async planConsumers(nc: NatsConnection, generation: number): Promise<boolean> {
    const current = (): boolean => generation === this.generation && !nc.isClosed() && this.consuming && this.leading;
    const plan = await this.planner.plan(nc, this.options.consumers, {
      stillLeading: current,
      logger: this.logger,
      retryMs: this.options.bindRetryMs
    });
    if (!plan || !current()) return false;
    const before = new Map(this.consumers.map((c) => [c.spec.durable, c]));
    this.consumers = plan.consumers.map((spec) => ({
      spec,
      bound: false,
      received: before.get(spec.durable)?.received ?? 0,
      lastError: null,
      messages: null
    }));
    return true;
  }

  private async bindConsumer(nc: NatsConnection, c: ConsumerState, generation: number): Promise<void> {
    const js = jetstream(nc);
    let warned = false;
    while (generation === this.generation && !nc.isClosed() && this.consuming && this.leading) {
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
    this.healthSub?.unsubscribe();
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

  /**
   * Handles one JetStream message: validate, step the engine into the open batch (or record it as
   * invalid), and settle it once the batch committed. Never throws.
   */
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
    if (settledBeforeHandover(spec, msg.subject, msg.info?.streamSequence)) {
      // Settled by the per-family durable this one replaced: nothing to decide again.
      this.counters.duplicates++;
      this.batch.settle.push({ msg, action: 'ack', started: performance.now(), invalidReason: null });
      this.scheduleCommit();
      return;
    }
    const started = performance.now();
    if (this.bus.hasListeners('received')) this.bus.emit('received', { stream: spec.stream });
    const now = this.options.clock();
    if (now < this.blockedUntil) {
      // The database could not write a moment ago: nothing is acked or terminated until it can.
      this.nak(msg, this.blockedUntil - now);
      return;
    }
    const subject = msg.subject;
    const validation = validateInbound(spec.family, subject, msg.data, {
      inboundMapping: this.options.inboundMapping,
      maxMessageBytes: this.options.maxMessageBytes
    });
    const batch = this.batch;
    if (!validation.ok) {
      const stream = msg.info?.stream ?? spec.stream;
      const digest = inputDigest(`invalid\u0000${stream}\u0000${msg.info?.streamSequence ?? msg.seq}`);
      if (this.seen(digest)) {
        batch.settle.push({ msg, action: 'term', started, invalidReason: null });
      } else {
        this.rejectInvalid(msg, spec, digest, started, validation.reason, validation.message, validation.issues);
      }
      this.scheduleCommit();
      return;
    }
    const envelope = validation.envelope;
    const digest = inputDigest(`${inboxScope(spec, subject)}\u0000${envelope.source}\u0000${envelope.id}`);
    if (this.seen(digest)) {
      // Already committed (or in this batch): its effects exist, only the ack is missing.
      this.counters.duplicates++;
      batch.settle.push({ msg, action: 'ack', started, invalidReason: null });
      this.scheduleCommit();
      return;
    }
    try {
      batch.inputs.push({ envelope, subject, stream: spec.stream, receivedAt: now });
      const events = this.engine.step(
        { type: envelope.type, data: envelope.data, id: envelope.id, validated: true },
        now
      );
      if (spec.family === 'security') this.keepSecurityEvent(envelope, now);
      const streamTime = msg.info ? Math.floor(msg.info.timestampNanos / 1e6) : now;
      const first = batch.outbound.length;
      this.collectOutputs(events, { digest, time: streamTime });
      batch.keys.set(InboxStore.key(digest).toString('hex'), InboxStore.key(digest));
      const outputs: string[] = [];
      for (let k = first; k < batch.outbound.length; k++) outputs.push((batch.outbound[k] as OutboundMessage).id);
      batch.settle.push({ msg, action: 'ack', started, invalidReason: null, stepped: { id: envelope.id, outputs } });
      this.scheduleCommit();
    } catch (error) {
      // The engine threw part-way: its state is no longer one the database knows. Give up the
      // whole batch (nak with back-off, engine rebuilt from what is persisted).
      batch.settle.push({ msg, action: 'ack', started, invalidReason: null });
      this.failBatch(error, 'handling an inbound message failed');
    }
  }

  /** Whether an input's id is committed already or in the open batch. */
  private seen(digest: Buffer): boolean {
    const key = InboxStore.key(digest);
    if (this.batch.keys.has(key.toString('hex'))) return true;
    return this.inbox.has(key);
  }

  private nak(msg: JsMsg, atLeastMs: number): void {
    this.counters.naks++;
    const deliveries = Math.max(1, msg.info?.deliveryCount ?? 1);
    const backoff = Math.min(this.options.nakMaxDelayMs, this.options.nakBaseDelayMs * 2 ** (deliveries - 1));
    try {
      msg.nak(Math.min(this.options.nakMaxDelayMs, Math.max(backoff, Math.ceil(atLeastMs))));
    } catch (error) {
      this.logger.warn('nak failed', { error });
    }
  }

  private rejectInvalid(
    msg: JsMsg,
    spec: InboundConsumerSpec,
    digest: Buffer,
    started: number,
    reason: InvalidReason,
    message: string,
    issues: Array<{ path: string; message: string }>
  ): void {
    const rawLimit = this.store.rawLimit;
    const record: NewInvalidMessage = {
      receivedAt: this.options.clock(),
      subject: msg.subject,
      stream: msg.info?.stream ?? spec.stream,
      streamSeq: msg.info?.streamSequence ?? null,
      reason,
      message,
      issues,
      // A copy: the batch commits after this callback returns.
      raw: msg.data.slice(0, rawLimit),
      rawSize: msg.data.length
    };
    const batch = this.batch;
    batch.invalid.push(record);
    batch.keys.set(InboxStore.key(digest).toString('hex'), InboxStore.key(digest));
    // No reason text on the term: nats-server 2.9 does not parse "+TERM <reason>" and would leave
    // the message pending until ack_wait, then redeliver it. The reason is kept in our table.
    batch.settle.push({ msg, action: 'term', started, invalidReason: { reason, stream: spec.stream } });
    this.logger.debug('rejected an invalid message', { subject: msg.subject, reason, message });
  }

  /** Also the leadership seam: a standby's observer feed hands it the security events it reads. */
  keepSecurityEvent(envelope: Envelope, now: number): void {
    const type = envelope.type as SecurityEventType;
    const data = envelope.data as Record<string, unknown>;
    const severity = SEVERITY_OF[type]?.(data) ?? 'medium';
    const target =
      typeof data.target === 'string' ? data.target : typeof data.user === 'string' ? `user:${data.user}` : null;
    this.batch.security.push(
      this.store.securityRecord({
        id: envelope.id,
        time: envelope.time,
        receivedAt: now,
        type,
        severity,
        source: envelope.source,
        target,
        summary: summariseSecurity(type, data),
        data
      })
    );
  }

  // -------------------------------------------------------------------------------------------
  // Group commit
  // -------------------------------------------------------------------------------------------

  private scheduleCommit(): void {
    if (this.batch.settle.length >= MAX_BATCH) {
      this.commitBatch();
      return;
    }
    if (this.commitScheduled) return;
    this.commitScheduled = true;
    // After the messages of this read have been handled: they share one transaction.
    setImmediate(() => this.commitBatch());
  }

  /**
   * Commits the open batch in one transaction, then settles its messages and tells the views.
   * On failure every message of the batch is nak'ed with back-off.
   */
  commitBatch(): void {
    this.commitScheduled = false;
    const batch = this.batch;
    if (isEmptyBatch(batch) && !this.learningDue) return;
    this.batch = newBatch();
    this.learningDue = false;
    const now = this.options.clock();
    let handOver: (() => void) | null = null;
    const publisher = this.publisher();
    try {
      this.commitTx.immediate(() => {
        if (this.abandonProblems) this.engineStore.abandonOpenProblems();
        this.inbox.add(batch.keys.values(), now);
        this.store.write(batch.invalid, batch.security);
        this.saveLearning();
        if (isTransactional(publisher)) handOver = publisher.writeInTransaction(batch.outbound);
      });
    } catch (error) {
      this.onCommitFailed(batch, error);
      return;
    }
    this.abandonProblems = false;
    this.commitFailures = 0;
    if (this.blockedSince !== null) {
      this.logger.info('the database writes again; inbound messages are taken again', {
        blockedMs: now - this.blockedSince
      });
      this.blockedSince = null;
    }
    if (handOver) (handOver as () => void)();
    else if (batch.outbound.length > 0) {
      for (const m of batch.outbound) this.enqueue(m);
      this.scheduleFlush();
    }
    this.settle(batch);
  }

  /** Acks / terminates the batch's messages and tells the bus (the views and metrics listen there). */
  private settle(batch: InboundBatch): void {
    const bus = this.bus;
    let invalidAt = 0;
    for (const s of batch.settle) {
      try {
        if (s.action === 'ack') s.msg.ack();
        else s.msg.term();
      } catch (error) {
        this.logger.warn(`${s.action} failed`, { error });
      }
      if (s.invalidReason) {
        const { reason, stream } = s.invalidReason;
        this.counters.invalid++;
        this.invalidByReason[reason] = (this.invalidByReason[reason] ?? 0) + 1;
        this.invalidWindow[reason] = (this.invalidWindow[reason] ?? 0) + 1;
        const record = batch.invalid[invalidAt++];
        if (record) bus.emit('invalid', { record, reason, stream });
      } else if (s.action === 'ack') {
        this.counters.accepted++;
        if (bus.hasListeners('handled')) bus.emit('handled', { seconds: (performance.now() - s.started) / 1000 });
        if (s.stepped) bus.emit('settled', s.stepped);
      }
    }
    for (const input of batch.inputs) bus.emit('input', input);
    for (const output of batch.outputs) {
      this.recent.push(output.bus.record);
      bus.emit('output', output.bus);
    }
    if (this.recent.length > this.options.recentEvents)
      this.recent.splice(0, this.recent.length - this.options.recentEvents);
    for (const r of batch.security) bus.emit('security', r);
  }

  /** A step threw: the open batch is given up like a failed commit. */
  private failBatch(error: unknown, what: string): void {
    const batch = this.batch;
    this.batch = newBatch();
    this.commitScheduled = false;
    this.logger.error(`${what}; nak with back-off`, { error });
    this.nakBatch(batch, 0);
    this.rebuildEngine();
  }

  private onCommitFailed(batch: InboundBatch, error: unknown): void {
    this.commitFailures++;
    const now = this.options.clock();
    const delay = Math.min(this.options.nakMaxDelayMs, this.options.nakBaseDelayMs * 2 ** (this.commitFailures - 1));
    this.blockedUntil = now + delay;
    const code = (error as { code?: unknown }).code;
    const full = code === 'SQLITE_FULL';
    if (this.blockedSince === null) this.blockedSince = now;
    this.logger.error(
      full
        ? "the database is full (no space left on the disk of the data directory): inbound messages are nak'ed and wait; free disk space"
        : "could not commit inbound messages; they are nak'ed with back-off and wait",
      { error, messages: batch.settle.length, retryInMs: delay, failures: this.commitFailures }
    );
    this.nakBatch(batch, delay);
    this.rebuildEngine();
  }

  private nakBatch(batch: InboundBatch, atLeastMs: number): void {
    for (const s of batch.settle) this.nak(s.msg, atLeastMs);
  }

  /**
   * Replaces the engine with one built from what the database holds (weights, long-term memory):
   * the state a restart would have, so it never runs ahead of what is committed. Problems the old
   * engine had open are marked abandoned at the next commit, as at a start.
   */
  private rebuildEngine(): void {
    try {
      const config = this.engineRef.config;
      this.engineRef = new ConsciousnessEngine(config, {
        weights: this.engineStore.loadWeights(),
        longTerm: this.engineStore.loadLongTerm()
      });
      this.weightsDirty = false;
      this.abandonProblems = true;
    } catch (error) {
      this.logger.error('cannot rebuild the engine from the database', { error });
    }
  }

  /** Learning the engine did since the last commit (weights, long-term memory, problems). */
  private saveLearning(): void {
    const engine = this.engine;
    const memory = engine.takeLongTermChanges();
    const problems = engine.takeProblemChanges();
    const weights = this.weightsDirty ? engine.strategyWeights().filter((w) => w.updatedAt !== null) : [];
    this.weightsDirty = false;
    this.engineStore.save(weights, memory, problems);
  }

  /** Deletes inbox ids older than the retention, once this process has run that long. */
  private pruneInbox(now: number): void {
    const retention = Math.max(this.ctx.config.topology.duplicateWindowMs, MIN_INBOX_RETENTION_MS);
    if (now - this.startedAt < retention) return;
    try {
      this.inbox.pruneBefore(now - retention);
    } catch (error) {
      this.logger.warn('cannot prune the inbox', { error });
    }
  }

  // -------------------------------------------------------------------------------------------
  // Outbound
  // -------------------------------------------------------------------------------------------

  private envelope(
    type: MessageType,
    data: unknown,
    time: number,
    priority: Priority,
    correlationid?: string,
    id: string = newMessageId()
  ): Envelope {
    const env: Envelope = {
      specversion: '1.0',
      id,
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

  /**
   * Wraps engine events in envelopes and puts their outbox rows (one per subject) in the open
   * batch. `cause` is the input that caused them: their ids derive from it; time-driven events
   * (ticks) get fresh ids.
   */
  private collectOutputs(events: EngineEvent[], cause: { digest: Buffer; time: number } | null): void {
    if (events.length === 0) return;
    if (!this.leading) {
      this.counters.fenced += events.length;
      return;
    }
    const batch = this.batch;
    // The term's epoch (fencing token): envelope extension `synosepoch` and header `Synos-Epoch`.
    const epoch = this.gate?.epoch() ?? null;
    const headers = epoch === null ? undefined : { [EPOCH_HEADER]: String(epoch) };
    for (let i = 0; i < events.length; i++) {
      const event = events[i] as EngineEvent;
      const prefix = this.options.outputSubjectPrefix;
      const mapped = this.options.outboundMapping[event.type];
      const ownSubject = prefix + event.type;
      const forwardSubject = mapped ? prefix + mapped : null;
      const subjects = forwardSubject ? [ownSubject, forwardSubject] : [ownSubject];
      const idFor = (subject: string): string =>
        cause ? derivedMessageId(cause.digest, cause.time, `${i}\u0000${event.type}\u0000${subject}`) : newMessageId();
      const env = this.envelope(
        event.type,
        event.data,
        event.time,
        event.priority,
        event.correlationid,
        idFor(ownSubject)
      );
      if (epoch !== null) env.synosepoch = epoch;
      // Serialised once; the forward differs only in its id, the first "id" member of the text.
      const text = JSON.stringify(env);
      batch.outbound.push({
        id: env.id,
        subject: ownSubject,
        payload: encoder.encode(text),
        priority: event.priority,
        ...(headers ? { headers } : {})
      });
      if (forwardSubject) {
        // Its own id: the copy lands in another stream, and the outbox keys rows by id.
        const copyId = idFor(forwardSubject);
        batch.outbound.push({
          id: copyId,
          subject: forwardSubject,
          payload: encoder.encode(text.replace(`"id":"${env.id}"`, `"id":"${copyId}"`)),
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
      if (event.type === 'consciousness.learning_event' && (event.data as { kind: string }).kind === 'strategy')
        this.weightsDirty = true;
      batch.outputs.push({ bus: { event, envelope: env, type: event.type as EngineOutputType, subjects, record } });
    }
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

  /** Advances the engine's clock and commits what it emitted and learned; pushes state. */
  tick(): void {
    const now = this.options.clock();
    if (now >= this.blockedUntil) {
      try {
        const events = this.leading ? this.engine.tick(now) : [];
        this.collectOutputs(events, null);
        // Learning without an event (memory promotion, judged problems) is committed at least
        // every few ticks even when nothing arrives.
        if (++this.ticksSinceLearning >= LEARNING_COMMIT_TICKS) {
          this.ticksSinceLearning = 0;
          this.learningDue = true;
        }
        if (events.length > 0 || this.learningDue) this.scheduleCommit();
      } catch (error) {
        this.failBatch(error, 'the engine tick failed');
      }
      this.pruneInbox(now);
    }
    if (now - this.lastStatePush >= this.options.statePushIntervalMs && this.bus.hasListeners('state')) {
      this.lastStatePush = now;
      this.bus.emit('state', {});
    }
  }

  // -------------------------------------------------------------------------------------------
  // Views
  // -------------------------------------------------------------------------------------------

  /** Problems newest first: live ones from the engine, the rest from SQLite (they survive restarts). */
  problemsList(status: 'open' | 'resolved' | 'all', limit: number) {
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
        duplicates: this.counters.duplicates,
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
