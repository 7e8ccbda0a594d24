/**
 * The engine and bridge as a core module: runs the consciousness engine behind the NATS bridge,
 * publishing through the outbox it is given (required: there is no direct path around it), offers
 * the bridge and the engine state to the areas built after it (monitoring, the micro service), and
 * serves the Engine, Security and Overview views' procedures.
 */
import { ContractError } from '../contract';
import type { ProblemView } from '../contract/engine';
import type { CoreContext, CoreModule } from '../core/module';
import type { OutboundPublisher } from '../core/outbound';
import { ConsciousnessBridge, toInvalidView, toSecurityView, type BridgeOptions } from './bridge';
import type { EventBus } from './event-bus';
import type { BridgeLeadershipLink } from './leadership-gate';
import { whyOrThrow } from '../engine/why';
import type { OutboxLookup } from '../engine/provenance';
import { InputTally, engineTimeline } from './timeline';

/** The part of the monitoring area's metrics registry the bridge records to. */
export interface BridgeMetrics {
  recordReceived(stream: string, count?: number): void;
  recordInvalid(reason: string, stream?: string): void;
  recordHandler(handler: string, seconds: number): void;
}

/** What the engine bridge needs from the areas built before it. */
export interface EngineBridgeDeps {
  /** The core's outbox publisher: every engine output, heartbeat and summary is an outbox row. */
  publisher: OutboundPublisher;
  provisioning: { ensure(): Promise<unknown> };
  metrics: BridgeMetrics;
  /**
   * Puts the bridge behind the leader lease (main/leadership); returns null when this core takes
   * no part in the lease (one-shot commands).
   */
  leadership: (bridge: ConsciousnessBridge) => BridgeLeadershipLink | null;
  /** The outbox's rows, for the PubAck state of a decision's outputs (`engine.why`). */
  outbox: OutboxLookup;
}

/** The engine bridge's public face. */
export interface EngineBridgeModule extends CoreModule {
  bridge: ConsciousnessBridge;
  /** The current state_change payload (monitoring reads load and valence from it). */
  engineState(): unknown;
}

/**
 * What the views and the metrics hear about the bridge, all from its event bus: pushed contract
 * events (engine.event, engine.state, security.event, bridge.invalidMessage) and the inbound
 * metrics. Returns the unsubscribe.
 */
function wireBus(ctx: CoreContext, bus: EventBus, bridge: ConsciousnessBridge, metrics: BridgeMetrics): () => void {
  const offs = [
    bus.on('received', ({ stream }) => metrics.recordReceived(stream)),
    bus.on('handled', ({ seconds }) => metrics.recordHandler('bridge.inbound', seconds)),
    bus.on('output', ({ record }) => {
      if (ctx.events.hasListeners('engine.event')) ctx.events.emit('engine.event', record);
    }),
    bus.on('security', (record) => {
      if (ctx.events.hasListeners('security.event')) ctx.events.emit('security.event', toSecurityView(record));
    }),
    bus.on('invalid', ({ record, reason, stream }) => {
      metrics.recordInvalid(reason, stream);
      if (ctx.events.hasListeners('bridge.invalidMessage'))
        ctx.events.emit('bridge.invalidMessage', toInvalidView({ ...record, id: 0 }));
    }),
    bus.on('state', () => {
      if (ctx.events.hasListeners('engine.state')) ctx.events.emit('engine.state', bridge.snapshotView());
    })
  ];
  return () => {
    for (const off of offs) off();
  };
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/** Problems newest first, as the contract shows them (the Engine view, the micro service). */
export function problemViews(
  bridge: ConsciousnessBridge,
  status: 'open' | 'resolved' | 'all',
  limit: number
): ProblemView[] {
  return bridge.problemsList(status, limit).map((p) => ({
    id: p.id,
    kind: p.kind,
    target: p.target,
    trigger: p.trigger,
    openedAt: new Date(p.openedAt).toISOString(),
    status: p.status,
    resolvedAt: iso(p.resolvedAt),
    action: p.action,
    confidence: p.confidence,
    rationale: p.rationale,
    outcome: p.outcome,
    judgedAt: iso(p.judgedAt),
    weightAfter: p.weightAfter
  }));
}

/**
 * Builds the module. The engine and the bridge take their settings from the core's config (the
 * `engine` and `bridge` sections of config.json); `options` override them (tests pass shorter
 * intervals, another clock, or `active`).
 */
export function createEngineBridgeModule(
  ctx: CoreContext,
  deps: EngineBridgeDeps,
  options: Partial<BridgeOptions> = {}
): EngineBridgeModule {
  const bridge = new ConsciousnessBridge(ctx, { publisher: deps.publisher, provisioning: deps.provisioning }, options);
  // Several cores on one account: only the lease holder consumes and publishes (main/leadership).
  const leadership = deps.leadership(bridge);
  let unwire: (() => void) | null = null;
  const tally = new InputTally();
  let untally: (() => void) | null = null;

  return {
    name: 'engine',
    bridge,
    engineState: () => bridge.engine.snapshot(bridge.options.clock()).state,
    start() {
      unwire ??= wireBus(ctx, bridge.bus, bridge, deps.metrics);
      untally ??= tally.listen(bridge, bridge.options.clock);
      bridge.start();
      leadership?.start();
    },
    async stop() {
      await bridge.stop();
      await leadership?.stop();
      unwire?.();
      unwire = null;
      untally?.();
      untally = null;
    },
    handlers: {
      'engine.state': () => bridge.snapshotView(),
      'engine.events': (input) => bridge.recentEvents(input.limit, input.types),
      'engine.problems': (input) => problemViews(bridge, input.status, input.limit),
      'engine.memory': (input) => {
        const q = input.query?.toLowerCase();
        const all = bridge.engine
          .longTermMemory()
          .filter((m) => !q || m.key.toLowerCase().includes(q) || m.summary.toLowerCase().includes(q))
          .sort((a, b) => b.lastSeen - a.lastSeen);
        return {
          total: all.length,
          longTerm: all.slice(0, input.limit).map((m) => ({
            key: m.key,
            kind: m.kind,
            firstSeen: new Date(m.firstSeen).toISOString(),
            promotedAt: new Date(m.promotedAt).toISOString(),
            lastSeen: new Date(m.lastSeen).toISOString(),
            touches: m.touches,
            summary: m.summary
          }))
        };
      },
      'engine.why': (input) => whyOrThrow(bridge.provenance, input.id, deps.outbox),
      'engine.timeline': (input) => engineTimeline(bridge, tally, input.minutes, bridge.options.clock()),
      'engine.strategies': () =>
        bridge.engine.strategyWeights().map((w) => ({
          problemKind: w.problemKind,
          action: w.action,
          weight: w.weight,
          successes: w.successes,
          failures: w.failures,
          updatedAt: iso(w.updatedAt)
        })),
      'security.events': (input) => {
        let since: number | undefined;
        if (input.since !== undefined) {
          since = Date.parse(input.since);
          if (Number.isNaN(since))
            throw new ContractError('INVALID_INPUT', `since must be an ISO-8601 time, got "${input.since}"`);
        }
        const items = bridge.store.listSecurity({
          limit: input.limit,
          ...(input.types ? { types: input.types } : {}),
          ...(input.minSeverity ? { minSeverity: input.minSeverity } : {}),
          ...(input.target ? { target: input.target } : {}),
          ...(since !== undefined ? { since } : {}),
          ...(input.beforeSeq !== undefined ? { beforeSeq: input.beforeSeq } : {})
        });
        return { items: items.map(toSecurityView), countsBySeverity: bridge.store.securityCountsBySeverity() };
      },
      'bridge.invalidMessages': (input) => {
        const items = bridge.store.listInvalid({
          limit: input.limit,
          ...(input.reason ? { reason: input.reason } : {}),
          ...(input.beforeId !== undefined ? { beforeId: input.beforeId } : {})
        });
        const counts = bridge.store.invalidCounts();
        return { counts, total: Object.values(counts).reduce((a, b) => a + b, 0), items: items.map(toInvalidView) };
      },
      'bridge.status': () => bridge.status(),
      'health.services': () => bridge.servicesHealth()
    }
  };
}
