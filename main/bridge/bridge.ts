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
 * full disk, a read-only file) consumption pauses (./database-pause.ts): the durables are unbound,
 * the batch is nak'ed, and they are bound again once a write probe succeeds; the engine is rebuilt
 * from what is persisted, so its state never runs ahead of the database.
 *
 * Outbound: every engine event is wrapped in a CloudEvents envelope and written to the outbox
 * twice: on `consciousness.<type>` and on its orchestrator subject (the `bridge.outboundMapping`
 * setting; null sends only the first). An output's id (its Nats-Msg-Id) derives from the input's
 * id and the output's index, type and subject, so a second stepping of the same input publishes
 * copies JetStream drops as duplicates (./outputs.ts). The rows are written inside the inbound
 * transaction; the outbox's drain publishes them. The publisher is a constructor parameter and
 * required (main/app/compose.ts hands over the SQLite outbox); a publisher that cannot write inside
 * the commit gets the outputs after it (./direct-outputs.ts). Counters: ./stats.ts; views:
 * ./views.ts; `health.>`: ./service-health.ts.
 *
 * Also: heartbeat on `health.control_center`, metrics summary on `metrics.control_center` (both
 * settings), service health heard on `health.>`, and the pushed contract events. Every interval and
 * bound comes from the core's config (`bridge` and `engine` sections, see ./settings.ts); options
 * given to the constructor override them (tests).
 */
import os from 'node:os';
import type { JsMsg, ConsumerMessages } from '@nats-io/jetstream';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  DEFAULT_INBOUND_MAPPING,
  type EngineInputType,
  type Envelope,
  type InvalidReason,
  type MessageData,
  type MessageType,
  type Priority
} from '../contract/messages';
import type { EngineEventRecord, EngineSnapshotView } from '../contract/engine';
import type { CoreContext } from '../core/module';
import { isTransactional, type OutboundMessage, type OutboundPublisher } from '../core/outbound';
import { APP_VERSION } from '../core/version';
import { RingBuffer } from '../core/ring-buffer';
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
import type { LeadershipGate } from './leadership-gate';
import { EventBus } from './event-bus';
import { DirectOutputs } from './direct-outputs';
import { OutputBuilder, type OutputCause } from './outputs';
import { BridgeStats, type BridgeCounters } from './stats';
import { isEmptyBatch, MAX_BATCH, newBatch, type InboundBatch } from './inbound-batch';
import { ServiceHealth } from './service-health';
import { iso, problemsList, publisherKind, securityFields, snapshotView } from './views';
import { BridgeStore, type BridgeStoreOptions, type NewInvalidMessage } from './store';
import { InboxStore, inputDigest } from './inbox';
import { ProvenanceStore, hasDecision, provenanceOf } from '../engine/provenance';
import { DatabasePause } from './database-pause';
import { probeDatabaseWrite } from '../store/write-probe';
import { DEFAULT_BRIDGE_SETTINGS, subjectsWithoutStream, type BridgeSettings } from './settings';
import { plural } from '../contract/text';

export { DEFAULT_INBOUND_CONSUMERS, type InboundConsumerSpec } from './inbound';
export { toInvalidView, toSecurityView } from './views';

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

/**
 * How long one pull of the inbound durables waits for messages. A pull still open at the server
 * when the bridge pauses for the database may yet be handed messages nobody reads (they return
 * only after ack_wait); messages nak'ed at the pause wait longer than this, so the pulls have
 * expired by the time they are redelivered.
 */
const PULL_EXPIRES_MS = 5000;
/** Learning is committed at least every this many ticks (about 5 s at the default 250 ms). */
const LEARNING_COMMIT_TICKS = 20;
/** What the bridge needs from the rest of the core, as constructor parameters. */
export interface BridgeDeps {
  /** Where every output goes: the core's SQLite outbox (writes inside the bridge's commit). */
  publisher: OutboundPublisher;
  /** Awaited before the inbound durables are bound; null where the streams are made elsewhere. */
  provisioning: { ensure(): Promise<unknown> } | null;
}

/** Inbox ids are kept at least this long (and at least the stream's duplicate window). */
const MIN_INBOX_RETENTION_MS = 5 * 60_000;

const encoder = new TextEncoder();

export class ConsciousnessBridge {
  readonly options: BridgeOptions;
  readonly bus: EventBus;
  readonly store: BridgeStore;
  readonly engineStore: EngineStore;
  private readonly inbox: InboxStore;
  readonly provenance: ProvenanceStore;
  private engineRef: ConsciousnessEngine;
  /** Inbound messages handled and engine events emitted since the last commit. */
  private batch: InboundBatch = newBatch();
  private commitScheduled = false;
  private readonly commitTx: ReturnType<CoreContext['db']['transaction']>;
  /**
   * Consecutive failed commits; while `blockedUntil` is ahead every inbound message is nak'ed (it
   * stays infinite while consumption is paused for the database, see {@link dbPause}).
   */
  private commitFailures = 0;
  private blockedUntil = 0;
  private blockedSince: number | null = null;
  /** Consumption paused after a failed commit until a write probe succeeds. */
  private readonly dbPause: DatabasePause;
  /** Messages to nak once the consumers closed for the pause (see pauseConsumption). */
  private heldWhilePausing: JsMsg[] | null = null;
  /** The engine was rebuilt: problems the database holds open are marked abandoned at the next commit. */
  private abandonProblems = false;
  private learningDue = false;
  private ticksSinceLearning = 0;
  private readonly logger;
  private consumers: ConsumerState[];
  private readonly planner = new InboundPlanner();
  /** The newest `options.recentEvents` engine events, oldest first (none kept when that is 0). */
  private readonly recent: RingBuffer<EngineEventRecord> | null;
  private readonly health: ServiceHealth;
  /** Outputs handed to a publisher without an outbox (a core without the durability area). */
  private readonly direct: DirectOutputs;
  private readonly outputs: OutputBuilder;
  private timers: NodeJS.Timeout[] = [];
  private generation = 0;
  private running = false;
  /** The inbound durables are wanted (see startInbound / stopInbound). */
  private consuming = false;
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
  /** Inbound and outbound counters, totals and per metrics-summary window. */
  private readonly stats: BridgeStats;
  private readonly counters: BridgeCounters;

  constructor(
    private readonly ctx: CoreContext,
    private readonly deps: BridgeDeps,
    options: Partial<BridgeOptions> = {}
  ) {
    // A core without its outbox would publish outside the durability the product promises.
    if (!deps?.publisher) {
      throw new Error('the engine bridge needs the outbox publisher (deps.publisher): build it through the core');
    }
    this.options = { ...defaultBridgeOptions(ctx.config.bridge), ...options };
    this.recent = this.options.recentEvents > 0 ? new RingBuffer<EngineEventRecord>(this.options.recentEvents) : null;
    this.logger = ctx.logger.child({ part: 'bridge' });
    this.health = new ServiceHealth(this.options.clock, this.logger);
    this.bus = new EventBus((topic, error) => this.logger.error('event bus listener failed', { topic, error }));
    this.store = new BridgeStore(ctx.db, this.options.store);
    const engineConfig = resolveEngineConfig(this.options.engine, ctx.config.engine);
    this.engineStore = new EngineStore(ctx.db, engineConfig.memory.longTermCapacity);
    this.engineRef = new ConsciousnessEngine(engineConfig, {
      weights: this.engineStore.loadWeights(),
      longTerm: this.engineStore.loadLongTerm()
    });
    this.inbox = new InboxStore(ctx.db);
    this.provenance = new ProvenanceStore(ctx.db);
    this.commitTx = ctx.db.transaction((write: () => void) => write());
    this.consumers = this.options.consumers.map((spec) => ({
      spec,
      bound: false,
      received: 0,
      lastError: null,
      messages: null
    }));
    this.startedAt = this.options.clock();
    this.stats = new BridgeStats(this.startedAt);
    this.counters = this.stats.counters;
    this.outputs = new OutputBuilder(this.options);
    this.direct = new DirectOutputs(this.counters, this.options.maxOutboundQueue, this.logger);
    this.dbPause = new DatabasePause({
      probe: () => this.probeDatabase(),
      onWritable: (pausedMs) => this.resumeAfterPause(pausedMs),
      baseMs: this.options.nakBaseDelayMs,
      maxMs: Math.min(this.options.nakMaxDelayMs, 5000),
      logger: this.logger,
      clock: this.options.clock
    });
  }

  /** One committed write into the database (a core's database path is known; a bare context tries an empty commit). */
  private probeDatabase(): { writable: boolean; reason: string | null } {
    const file = (this.ctx as Partial<Pick<CoreContext, 'databasePath'>>).databasePath;
    if (typeof file === 'string' && file !== '')
      return probeDatabaseWrite(this.ctx.db, file, { readOnly: this.ctx.databaseReadOnly ?? null });
    try {
      this.commitTx.immediate(() => undefined);
      return { writable: true, reason: null };
    } catch (error) {
      return { writable: false, reason: (error as Error).message };
    }
  }

  /**
   * The database could not commit: stop pulling (no nak loop that would use up max_deliver) until
   * it writes again. The failed batch, and whatever arrives while the consumers close, is nak'ed
   * only once they are closed: a nak'ed message redelivered to a pull that is closing would sit
   * unacknowledged until ack_wait instead of waiting for the next pull.
   */
  private pauseConsumption(msgs: JsMsg[], error: unknown): void {
    this.blockedUntil = Number.POSITIVE_INFINITY;
    if (this.dbPause.active) {
      for (const m of msgs) this.nak(m, PULL_EXPIRES_MS + 1000);
      return;
    }
    const reason = `paused: the database cannot be written (${(error as Error)?.message ?? String(error)}); consumption resumes once a write succeeds`;
    this.dbPause.start(reason);
    this.generation++;
    for (const c of this.consumers) c.lastError = reason;
    const held = msgs;
    this.heldWhilePausing = held;
    void this.unbind().finally(() => {
      if (this.heldWhilePausing === held) this.heldWhilePausing = null;
      for (const m of held) this.nak(m, PULL_EXPIRES_MS + 1000);
    });
  }

  private resumeAfterPause(pausedMs: number): void {
    this.blockedUntil = 0;
    this.commitFailures = 0;
    this.logger.info('the database writes again; inbound consumption resumes', { pausedMs });
    for (const c of this.consumers) c.lastError = null;
    const nc = this.ctx.nats.connection();
    if (nc && this.running && this.consuming && this.leading) void this.startInbound(nc);
  }

  /** Whether inbound consumption is paused because the database cannot be written, why, and how many probes failed. */
  databasePause(): { paused: boolean; reason: string | null; failedProbes: number } {
    return { paused: this.dbPause.active, reason: this.dbPause.reason, failedProbes: this.dbPause.failedProbes };
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
      this.health.subscribe(nc);
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
    this.health.unsubscribe();
    this.dbPause.stop();
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
    // Paused for the database: the durables are bound again once a write probe succeeds.
    if (this.dbPause.active) return;
    const generation = ++this.generation;
    await this.unbind();
    const { provisioning } = this.deps;
    if (provisioning) {
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
    while (generation === this.generation && !nc.isClosed() && this.consuming && this.leading && !this.dbPause.active) {
      try {
        const consumer = await js.consumers.get(c.spec.stream, c.spec.durable);
        const messages = await consumer.consume({
          max_messages: this.options.pullBatch,
          expires: PULL_EXPIRES_MS,
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
      if (this.heldWhilePausing) this.heldWhilePausing.push(msg);
      else this.nak(msg, this.dbPause.active ? PULL_EXPIRES_MS + 1000 : this.blockedUntil - now);
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
      const firstOutput = batch.outputs.length;
      this.collectOutputs(events, { digest, time: streamTime });
      if (hasDecision(events))
        batch.provenance.push(
          ...provenanceOf({
            envelope,
            msg,
            stream: spec.stream,
            durable: spec.durable,
            outputs: batch.outputs.slice(firstOutput).map((o) => o.bus),
            outbound: batch.outbound.slice(first),
            engine: this.engine,
            now
          })
        );
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

  private nak(msg: JsMsg, atLeastMs: number, cap = this.options.nakMaxDelayMs): void {
    this.counters.naks++;
    const deliveries = Math.max(1, msg.info?.deliveryCount ?? 1);
    const backoff = Math.min(this.options.nakMaxDelayMs, this.options.nakBaseDelayMs * 2 ** (deliveries - 1));
    try {
      msg.nak(Math.min(Math.max(cap, atLeastMs), Math.max(backoff, Math.ceil(atLeastMs))));
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
    const f = securityFields(envelope);
    this.batch.security.push(
      this.store.securityRecord({
        id: envelope.id,
        time: envelope.time,
        receivedAt: now,
        type: f.type,
        severity: f.severity,
        source: envelope.source,
        target: f.target,
        summary: f.summary,
        data: f.data
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
        this.provenance.write(batch.provenance);
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
    else if (batch.outbound.length > 0) this.publishDirect(batch.outbound);
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
        this.stats.countInvalid(reason);
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
      this.recent?.push(output.bus.record);
      bus.emit('output', output.bus);
    }
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
        ? "the database is full (no space left on the disk of the data directory): the batch is nak'ed and consumption pauses until a write succeeds; free disk space"
        : "could not commit inbound messages; the batch is nak'ed and consumption pauses until a write succeeds",
      { error, messages: batch.settle.length, retryInMs: delay, failures: this.commitFailures }
    );
    this.rebuildEngine();
    this.pauseConsumption(
      batch.settle.map((s) => s.msg),
      error
    );
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

  /**
   * Puts the outbox rows and view records of engine events in the open batch (see ./outputs.ts);
   * nothing is made while this core does not lead (self-fencing).
   */
  private collectOutputs(events: EngineEvent[], cause: OutputCause | null): void {
    if (events.length === 0) return;
    if (!this.leading) {
      this.counters.fenced += events.length;
      return;
    }
    if (this.outputs.collect(events, cause, this.gate?.epoch() ?? null, this.batch)) this.weightsDirty = true;
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
    this.recent?.push(record);
    if (this.ctx.events.hasListeners('engine.event')) this.ctx.events.emit('engine.event', record);
  }

  private publisher(): OutboundPublisher {
    return this.deps.publisher;
  }

  private publishDirect(messages: OutboundMessage[]): void {
    this.direct.publish(this.publisher(), messages);
  }

  /** Waits until the outputs handed to a publisher without an outbox are accepted (or failed). */
  async flushOutbound(): Promise<void> {
    await this.direct.flush();
  }

  /** Publishes one of the app's own messages (heartbeat, summary) when connected. */
  private async publishOwn(subject: string, type: MessageType, data: unknown, priority: Priority): Promise<boolean> {
    if (!this.ctx.nats.connection()) return false;
    const publisher = this.publisher();
    if (!publisher) return false;
    const env = this.outputs.envelope(type, data, this.options.clock(), priority);
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
    const data = this.stats.summary(now, this.engine.snapshot(now), this.options.instance);
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
    return problemsList(this.engine, this.engineStore, status, limit);
  }

  snapshotView(): EngineSnapshotView {
    return snapshotView(this.engine, this.options.clock());
  }

  recentEvents(limit: number, types?: string[]): EngineEventRecord[] {
    const out: EngineEventRecord[] = [];
    const recent = this.recent;
    if (!recent) return out;
    for (let i = recent.size - 1; i >= 0 && out.length < limit; i--) {
      const r = recent.at(i) as EngineEventRecord;
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
      inbound: this.stats.inbound(),
      outbound: {
        published: this.counters.published,
        failed: this.counters.failed,
        dropped: this.counters.dropped,
        queued: this.direct.waiting,
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

  /** Heartbeats heard per service since start (counters; rates are the reader's). */
  heartbeatCounts(): ReadonlyMap<string, number> {
    return this.health.heartbeatCounts();
  }

  servicesHealth() {
    return this.health.list(this.options.clock(), this.options.serviceStaleAfterMs);
  }
}
