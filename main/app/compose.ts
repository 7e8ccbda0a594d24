/**
 * The composition root: builds every area of the core from the kernel (config, database,
 * connection, event hub, …) with explicit, typed constructor parameters, in dependency order.
 * Nothing is looked up by name: an area receives the parts it needs as parameters, and what is
 * optional by configuration is typed `X | null` here (the engine lease of one-shot commands, the
 * desktop's dialogs). Every area is named once, in the one list of `add` calls in
 * {@link composeApp}: that list is the build order, the start order ({@link App.modules}) and,
 * reversed, the stop order (main/app/lifecycle.ts). docs/architecture.md §1a draws the same order.
 */
import type { BridgeOptions } from '../bridge/bridge';
import { createEngineBridgeModule } from '../bridge/module';
import { createBenchModule } from '../bench/module';
import type { CoreContext, CoreModule } from '../core/module';
import { createSystemModule } from '../core/system-module';
import { createMicroServiceModule } from '../integration/micro-service';
import { createLeadershipModule } from '../leadership/module';
import { MetricsRegistry } from '../monitoring/metrics';
import { createMonitoringModule, DEFAULT_MONITORING_OPTIONS, type MonitoringOptions } from '../monitoring/module';
import { createKvModule } from '../nats/kv-module';
import { createConnectionModule, createMessagingModule } from '../nats/module';
import { createObjectsModule } from '../nats/objects-module';
import { createOperationsModule } from '../nats/operations-module';
import { createRecordingsModule } from '../recordings/module';
import { createDurabilityModule } from '../resilience/module';
import { createServersModule } from '../servers/module';
import { createOverviewModule, type OverviewSettings } from '../overview/module';

/** Settings the hosts never change but tests do (shorter intervals, another clock, `active`). */
export interface ComposeOptions {
  bridge?: Partial<BridgeOptions>;
  monitoring?: Partial<MonitoringOptions>;
  overview?: Partial<OverviewSettings>;
}

/**
 * The parts built so far, by name and typed, and the modules in the order they were built. Each
 * {@link add} builds the next module from the parts before it, so a module can only use what is
 * built earlier, and the compiler knows each part's type.
 */
class Areas<Built extends object> {
  constructor(
    readonly built: Built,
    readonly modules: readonly CoreModule[]
  ) {}

  add<K extends string, M extends CoreModule>(
    name: K,
    build: (parts: Built) => M
  ): Areas<Built & { readonly [P in K]: M }> {
    const mod = build(this.built);
    // The list's name is the module's own (the lifecycle, logs and the tests know it by that).
    if (mod.name !== name) throw new Error(`the module listed as "${name}" calls itself "${mod.name}"`);
    return new Areas({ ...this.built, [name]: mod } as Built & { readonly [P in K]: M }, [...this.modules, mod]);
  }
}

export function composeApp(ctx: CoreContext, options: ComposeOptions = {}) {
  // Recorded to by the outbox, the bridge and the lease; built first so each records from its start().
  const metrics = new MetricsRegistry({
    defaultMetrics: options.monitoring?.defaultMetrics ?? DEFAULT_MONITORING_OPTIONS.defaultMetrics
  });

  const areas = new Areas({ metrics }, [])
    .add('system', () => createSystemModule(ctx))
    .add('connection', () => createConnectionModule(ctx))
    .add('operations', () => createOperationsModule(ctx))
    .add('kv', () => createKvModule(ctx))
    .add('objects', () => createObjectsModule(ctx))
    .add('durability', (p) => createDurabilityModule(ctx, { provisioning: p.operations.provisioning, metrics }))
    .add('recordings', (p) =>
      createRecordingsModule(ctx, { profiles: p.connection.profiles, breakers: p.durability.resilience })
    )
    .add('messaging', () => createMessagingModule(ctx))
    .add('servers', () => createServersModule(ctx))
    .add('leadership', () => createLeadershipModule(ctx, { metrics }))
    .add('engine', (p) =>
      createEngineBridgeModule(
        ctx,
        {
          // The outbox, always: there is no direct publisher to fall back to.
          publisher: p.durability.publisher,
          provisioning: p.operations.provisioning,
          metrics,
          leadership: (bridge) => p.leadership.linkBridge(bridge),
          outbox: p.durability.outbox
        },
        options.bridge
      )
    )
    .add('overview', (p) =>
      createOverviewModule(ctx, { bridge: p.engine.bridge, sampler: p.operations.sampler }, options.overview)
    )
    .add('micro', (p) => createMicroServiceModule(ctx, { bridge: p.engine.bridge }))
    .add('monitoring', (p) =>
      createMonitoringModule(
        ctx,
        {
          metrics,
          publisher: p.durability.publisher,
          sampler: p.operations.sampler,
          outbox: p.durability.outbox,
          resilience: p.durability.resilience,
          engine: { state: () => p.engine.engineState(), active: () => p.engine.bridge.active },
          servers: p.servers.servers,
          lease: p.leadership.lease
        },
        options.monitoring
      )
    )
    .add('bench', () => createBenchModule(ctx));

  return {
    ...areas.built,
    /** Every module in start order; they stop in reverse. */
    modules: areas.modules
  };
}

/**
 * Every area of a running core by its typed public face (`metrics`: the Prometheus registry every
 * area records to), and `modules`, all of them in start order.
 */
export type App = ReturnType<typeof composeApp>;
