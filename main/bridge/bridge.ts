/**
 * The bidirectional NATS bridge around the consciousness engine: the class that wires the parts
 * below and runs their lifecycle.
 *
 * Inbound: the durables (on nats-server 2.9 `consciousness_bridge_{service,system,user}`, on ≥ 2.10
 * the one filtered `consciousness_bridge` handed over from them, and `security_dashboard`) are bound
 * by ./inbound-loop.ts (planned by ./inbound-consumers.ts). Each message is validated and steps the
 * engine into the open batch, or is kept as invalid (./inbound-handler.ts). Messages handled in the
 * same turn of the event loop are committed in ONE SQLite transaction — the engine's learning
 * (./learning.ts), every output's outbox row, the security and invalid-message records and each
 * input's id in the inbox (./inbox.ts) — and only then acked or terminated (./group-commit.ts,
 * ./settle.ts). A redelivered input whose id is in the inbox is acked without stepping the engine
 * again. When the commit fails (a full disk, a read-only file) inbound messages are nak'ed with
 * back-off and consumption pauses until a write probe succeeds (./commit-block.ts,
 * ./database-pause.ts); the engine is rebuilt from what is persisted, so its state never runs ahead
 * of the database.
 *
 * Outbound: every engine event becomes a CloudEvents envelope written to the outbox on
 * `consciousness.<type>` and on its orchestrator subject (the `bridge.outboundMapping` setting),
 * with ids derived from the input's, so a second stepping publishes copies JetStream drops
 * (./outputs.ts). The publisher is a required constructor parameter (main/app/compose.ts hands over
 * the SQLite outbox); one that cannot write inside the commit gets the outputs after it
 * (./direct-outputs.ts). Only a leader makes outputs (./leadership-gate.ts).
 *
 * Also: heartbeat and metrics summary (./own-messages.ts), service health heard on `health.>`
 * (./service-health.ts), counters (./stats.ts), views (./views.ts). Every interval and bound comes
 * from the core's config (./settings.ts); constructor options override them (./options.ts).
 */
import type { JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Envelope } from '../contract/messages';
import type { EngineEventRecord, EngineSnapshotView } from '../contract/engine';
import type { CoreContext } from '../core/module';
import type { OutboundPublisher } from '../core/outbound';
import { RingBuffer } from '../core/ring-buffer';
import { ConsciousnessEngine, type EngineEvent, type EngineInitialState } from '../engine/engine';
import { engineConfigChanges, resolveEngineConfig } from '../engine/config';
import { EngineStore } from '../engine/store';
import type { InboundConsumerSpec } from './inbound';
import { GateLatch, type LeadershipGate } from './leadership-gate';
import { EventBus } from './event-bus';
import { DirectOutputs } from './direct-outputs';
import { OutputBuilder, type OutputCause } from './outputs';
import { BridgeStats, type BridgeCounters } from './stats';
import { ServiceHealth } from './service-health';
import { bridgeStatus, latestRecords, observedRecord, problemsList, snapshotView } from './views';
import { BridgeStore } from './store';
import { InboxStore } from './inbox';
import { ProvenanceStore } from '../engine/provenance';
import { defaultBridgeOptions, warnSubjectsWithoutStream, type BridgeDeps, type BridgeOptions } from './options';
import { GroupCommit } from './group-commit';
import { InboundHandler } from './inbound-handler';
import { Intervals } from './intervals';
import { InboundLoop, type ConsumerState } from './inbound-loop';
import { Settler } from './settle';
import type { HeldAcks } from './held-acks';
import { CommitBlock } from './commit-block';
import { LearningCommits } from './learning';
import { OwnMessages } from './own-messages';

export { DEFAULT_INBOUND_CONSUMERS, type InboundConsumerSpec } from './inbound';
export { toInvalidView, toSecurityView } from './views';
export { defaultBridgeOptions, type BridgeDeps, type BridgeOptions } from './options';

export class ConsciousnessBridge {
  readonly options: BridgeOptions;
  readonly bus: EventBus;
  readonly store: BridgeStore;
  readonly engineStore: EngineStore;
  readonly provenance: ProvenanceStore;
  private engineRef: ConsciousnessEngine;
  /** The open batch and its one transaction. */
  private readonly group: GroupCommit;
  /** Nak'ing with back-off while a commit failed; the pause until the database writes again. */
  private readonly block: CommitBlock;
  private readonly learning = new LearningCommits();
  private readonly logger;
  /** The inbound durables and their binding. */
  private readonly loop: InboundLoop;
  /** The Engine view's recent events: the newest `recentEvents`, made here or observed. */
  private readonly recent: RingBuffer<EngineEventRecord>;
  private readonly settler: Settler;
  private readonly health: ServiceHealth;
  /** Outputs handed to a publisher without an outbox (a core without the durability area). */
  private readonly direct: DirectOutputs;
  private readonly outputs: OutputBuilder;
  private readonly own: OwnMessages;
  private readonly handler: InboundHandler;
  private readonly timers: Intervals;
  private running = false;
  private unsubscribeConnect: (() => void) | null = null;
  private lastStatePush = 0;
  /** Leadership seam (main/leadership; ./leadership-gate.ts). */
  private readonly gate = new GateLatch();
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
    this.logger = ctx.logger.child({ part: 'bridge' });
    this.timers = new Intervals(this.logger);
    this.health = new ServiceHealth(this.options.clock, this.logger);
    this.bus = new EventBus((topic, error) => this.logger.error('event bus listener failed', { topic, error }));
    this.store = new BridgeStore(ctx.db, this.options.store);
    const engineConfig = resolveEngineConfig(this.options.engine, ctx.config.engine);
    this.engineStore = new EngineStore(ctx.db, engineConfig.memory.longTermCapacity);
    this.engineRef = new ConsciousnessEngine(engineConfig, {
      weights: this.engineStore.loadWeights(),
      longTerm: this.engineStore.loadLongTerm()
    });
    this.provenance = new ProvenanceStore(ctx.db);
    const o = this.options;
    this.recent = new RingBuffer(o.recentEvents);
    this.loop = new InboundLoop({
      consumers: o.consumers,
      pullBatch: o.pullBatch,
      bindRetryMs: o.bindRetryMs,
      logger: this.logger,
      handle: (m, c) => this.handleMessage(m, c),
      mayConsume: () => this.leading && !this.block.pause.active,
      leading: () => this.leading
    });
    this.startedAt = o.clock();
    this.stats = new BridgeStats(this.startedAt);
    this.counters = this.stats.counters;
    const logger = this.logger;
    this.settler = new Settler({ bus: this.bus, stats: this.stats, logger, recent: this.recent, options: o });
    this.block = new CommitBlock({
      loop: this.loop,
      settler: this.settler,
      logger,
      options: o,
      probe: () => this.group.probe(),
      onResume: () => {
        const nc = this.ctx.nats.connection();
        if (nc && this.running && this.loop.consuming && this.leading) void this.startInbound(nc);
      }
    });
    this.outputs = new OutputBuilder(o);
    this.direct = new DirectOutputs(this.counters, o.maxOutboundQueue, this.logger);
    this.group = new GroupCommit({
      ctx,
      store: this.store,
      engineStore: this.engineStore,
      provenance: this.provenance,
      inbox: new InboxStore(ctx.db),
      publisher: deps.publisher,
      direct: this.direct,
      counters: this.counters,
      settler: this.settler,
      learning: this.learning,
      block: () => this.block,
      engine: () => this.engineRef,
      rebuildEngine: () => this.rebuildEngine(),
      logger: this.logger,
      clock: o.clock,
      startedAt: this.startedAt
    });
    this.handler = new InboundHandler({
      options: o,
      counters: this.counters,
      bus: this.bus,
      group: this.group,
      block: this.block,
      leading: () => this.leading,
      engine: () => this.engineRef,
      collectOutputs: (events, cause) => this.collectOutputs(events, cause)
    });
    this.own = new OwnMessages({
      options: o,
      publisher: deps.publisher,
      outputs: this.outputs,
      stats: this.stats,
      logger: this.logger,
      startedAt: this.startedAt,
      connected: () => Boolean(this.ctx.nats.connection())
    });
  }

  /** Whether inbound consumption is paused because the database cannot be written, why, and how many probes failed. */
  databasePause(): { paused: boolean; reason: string | null; failedProbes: number } {
    return this.block.status();
  }

  /** Resolves once the engine's state holds nothing uncommitted (see GroupCommit.committed). */
  whenCommitted(): Promise<void> {
    return this.group.committed();
  }

  /** Whether the engine has stepped something not yet committed (read it only when false). */
  hasUncommitted(): boolean {
    return this.group.uncommitted();
  }

  /**
   * Leadership seam: the acks that wait for the shared engine state while this core leads under a
   * lease (./held-acks.ts). The shared-state store installs itself as their holder.
   */
  get heldAcks(): HeldAcks {
    return this.settler.held;
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
    return this.gate.leading;
  }

  /** Puts the bridge behind a leadership gate; it stays closed until {@link resumeLeading}. */
  useGate(gate: LeadershipGate): void {
    this.gate.use(gate);
  }

  /** The lease is ours and the shared state is loaded: bind the inbound durables. */
  resumeLeading(): void {
    this.gate.setOpen(true);
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
   * made under the old epoch. Acks still held for the shared state are given back: JetStream
   * redelivers those inputs to the next leader, whose restored state may lack their effect.
   */
  stopLeading(): void {
    this.gate.setOpen(false);
    this.settler.held.giveBack();
    // The open batch commits as the durables close: what it held is given back too.
    void this.stopInbound().finally(() => {
      if (!this.leading) this.settler.held.giveBack();
    });
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
    warnSubjectsWithoutStream(this.ctx, this.options);
    // What config.json made of the bridge and the engine, so an operator can check it took effect.
    this.logger.info('bridge running', {
      outboundMapping: this.options.outboundMapping,
      heartbeat: { subject: this.options.heartbeatSubject, intervalMs: this.options.heartbeatIntervalMs },
      metricsSummary: { subject: this.options.metricsSubject, intervalMs: this.options.metricsIntervalMs },
      engineChangedFromDefaults: engineConfigChanges(this.engine.config)
    });
    this.timers.every(this.options.tickIntervalMs, () => this.tick());
    this.timers.every(this.options.heartbeatIntervalMs, () => this.publishHeartbeat());
    this.timers.every(this.options.metricsIntervalMs, () => this.publishMetricsSummary());
    const connected = (nc: NatsConnection): void => {
      this.health.subscribe(nc);
      if (this.leading) void this.startInbound(nc);
    };
    this.unsubscribeConnect = this.ctx.nats.onConnect(connected);
    const nc = this.ctx.nats.connection();
    if (nc) connected(nc);
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.unsubscribeConnect?.();
    this.timers.clear();
    this.health.unsubscribe();
    this.block.pause.stop();
    await this.stopInbound();
    await this.flushOutbound();
  }

  /**
   * Stops reading the inbound durables, then commits and settles what was already handled (and
   * what the engine learned). The bridge keeps running otherwise; startInbound() binds again.
   */
  async stopInbound(): Promise<void> {
    this.loop.consuming = false;
    this.loop.generation++;
    await this.loop.unbind();
    this.learning.due = true;
    this.commitBatch();
  }

  /** Whether the inbound durables are wanted (startInbound called, stopInbound not since). */
  get inboundActive(): boolean {
    return this.loop.consuming;
  }

  /**
   * Binds every inbound durable on `nc` (provisioning first, when that service exists); called on
   * each new connection. Separate from start() so that something deciding when this core may
   * consume (a leader lease) can call it and {@link stopInbound} on its own.
   */
  async startInbound(nc: NatsConnection): Promise<void> {
    this.loop.consuming = true;
    // Paused for the database: the durables are bound again once a write probe succeeds.
    if (this.block.pause.active) return;
    await this.loop.bind(nc, this.deps.provisioning);
  }

  /** Handles one JetStream message (./inbound-handler.ts). Never throws. */
  handleMessage(msg: JsMsg, consumer: ConsumerState | InboundConsumerSpec): void {
    this.handler.handle(msg, consumer);
  }

  /** Also the leadership seam: a standby's observer feed hands it the security events it reads. */
  keepSecurityEvent(envelope: Envelope, now: number): void {
    this.group.keepSecurityEvent(envelope, now);
  }

  /** Commits the open batch in one transaction, then settles its messages (see ./group-commit.ts). */
  commitBatch(): void {
    this.group.commit();
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
      this.learning.rebuilt();
    } catch (error) {
      this.logger.error('cannot rebuild the engine from the database', { error });
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
    if (this.outputs.collect(events, cause, this.gate.epoch(), this.group.batch)) this.learning.weightsDirty = true;
  }

  /**
   * Leadership seam: an output of the active engine, read by this standby or observer from
   * CONSCIOUSNESS_EVENTS, joins the Engine view's recent events as if made here.
   */
  observeOutput(envelope: Envelope, subject: string): void {
    const record = observedRecord(envelope, subject);
    this.recent.push(record);
    if (this.ctx.events.hasListeners('engine.event')) this.ctx.events.emit('engine.event', record);
  }

  private publisher(): OutboundPublisher {
    return this.deps.publisher;
  }

  /** Waits until the outputs handed to a publisher without an outbox are accepted (or failed). */
  async flushOutbound(): Promise<void> {
    await this.direct.flush();
  }

  async publishHeartbeat(): Promise<void> {
    // A standby leaves the durables to the leader on purpose.
    await this.own.heartbeat(this.leading ? this.loop.unboundCount() : 0);
  }

  async publishMetricsSummary(): Promise<void> {
    await this.own.metricsSummary((now) => this.engine.snapshot(now));
  }

  // -------------------------------------------------------------------------------------------
  // Time passing
  // -------------------------------------------------------------------------------------------

  /** Advances the engine's clock and commits what it emitted and learned; pushes state. */
  tick(): void {
    const now = this.options.clock();
    if (now >= this.block.blockedUntil) {
      try {
        const events = this.leading ? this.engine.tick(now) : [];
        this.collectOutputs(events, null);
        // Learning without an event (memory promotion, judged problems) is committed at least
        // every few ticks even when nothing arrives.
        if (this.learning.tick() || events.length > 0) this.group.schedule();
      } catch (error) {
        this.group.fail(error, 'the engine tick failed');
      }
      this.group.pruneInbox(now);
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
    return latestRecords(this.recent, limit, types);
  }

  status() {
    return bridgeStatus({
      running: this.running,
      consumers: this.loop.consumers,
      inbound: this.stats.inbound(),
      counters: this.counters,
      queued: this.direct.waiting,
      publisher: this.publisher(),
      options: this.options,
      lastHeartbeatAt: this.own.lastHeartbeatAt,
      lastMetricsAt: this.own.lastMetricsAt
    });
  }

  /** Heartbeats heard per service since start (counters; rates are the reader's). */
  heartbeatCounts(): ReadonlyMap<string, number> {
    return this.health.heartbeatCounts();
  }

  servicesHealth() {
    return this.health.list(this.options.clock(), this.options.serviceStaleAfterMs);
  }
}
