/**
 * The engine and bridge as a core module: runs the consciousness engine behind the NATS bridge,
 * registers the direct JetStream publisher when no other publisher (the outbox) is registered,
 * exposes the engine to monitoring (service 'engine'), and serves the Engine, Security and
 * Overview views' procedures.
 */
import { ContractError } from '../contract';
import type { ProblemView } from '../contract/engine';
import type { CoreContext, ModuleFactory } from '../core/module';
import { PUBLISHER_SERVICE } from '../core/outbound';
import { ConsciousnessBridge, toInvalidView, toSecurityView, type BridgeOptions } from './bridge';
import type { EventBus } from './event-bus';
import { DirectJetStreamPublisher } from './direct-publisher';
import { BRIDGE_LEADERSHIP_LINK_SERVICE, type BridgeLeadershipLink } from './leadership-gate';
import { decisionWhy } from '../engine/why';
import { InputTally, engineTimeline } from './timeline';

/** Duck type of the monitoring area's metrics registry (service 'metrics'); absent is fine. */
interface MetricsRecorder {
  recordReceived?(stream: string, count?: number): void;
  recordInvalid?(reason: string, stream?: string): void;
  recordHandler?(handler: string, seconds: number): void;
}

/**
 * What the views and the metrics hear about the bridge, all from its event bus: pushed contract
 * events (engine.event, engine.state, security.event, bridge.invalidMessage) and the inbound
 * metrics. Returns the unsubscribe.
 */
function wireBus(ctx: CoreContext, bus: EventBus, bridge: ConsciousnessBridge): () => void {
  // The metrics service registers after this module: looked up when something happens.
  const metrics = (): MetricsRecorder | undefined => ctx.services.get('metrics') as MetricsRecorder | undefined;
  const offs = [
    bus.on('received', ({ stream }) => metrics()?.recordReceived?.(stream)),
    bus.on('handled', ({ seconds }) => metrics()?.recordHandler?.('bridge.inbound', seconds)),
    bus.on('output', ({ record }) => {
      if (ctx.events.hasListeners('engine.event')) ctx.events.emit('engine.event', record);
    }),
    bus.on('security', (record) => {
      if (ctx.events.hasListeners('security.event')) ctx.events.emit('security.event', toSecurityView(record));
    }),
    bus.on('invalid', ({ record, reason, stream }) => {
      metrics()?.recordInvalid?.(reason, stream);
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

export const ENGINE_SERVICE = 'engine';
export const BRIDGE_SERVICE = 'bridge';

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
export function createBridgeModule(options: Partial<BridgeOptions> = {}): ModuleFactory {
  return (ctx: CoreContext) => {
    if (!ctx.services.has(PUBLISHER_SERVICE))
      ctx.services.set(PUBLISHER_SERVICE, new DirectJetStreamPublisher(ctx.nats));
    const bridge = new ConsciousnessBridge(ctx, options);
    // Several cores on one account: only the lease holder consumes and publishes (main/leadership).
    const link = ctx.services.get(BRIDGE_LEADERSHIP_LINK_SERVICE) as
      ((b: ConsciousnessBridge) => BridgeLeadershipLink | null) | undefined;
    const leadership = link?.(bridge) ?? null;
    ctx.services.set(BRIDGE_SERVICE, bridge);
    let unwire: (() => void) | null = null;
    const tally = new InputTally();
    let untally: (() => void) | null = null;
    ctx.services.set(ENGINE_SERVICE, {
      /** The current state_change payload (monitoring reads load and valence from it). */
      state: () => bridge.engine.snapshot(bridge.options.clock()).state,
      snapshot: () => bridge.snapshotView()
    });

    return {
      name: 'engine',
      start() {
        unwire ??= wireBus(ctx, bridge.bus, bridge);
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
        'engine.why': (input) => decisionWhy(ctx, bridge.provenance, input.id),
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
  };
}

/** The module as the core runs it: everything from config.json (defaults of docs/architecture.md §2 and §3). */
export const engineBridgeModule: ModuleFactory = createBridgeModule();
