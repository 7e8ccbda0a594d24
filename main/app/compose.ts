/**
 * The composition root: builds every area of the core from the kernel (config, database,
 * connection, event hub, …) with explicit, typed constructor parameters, in dependency order.
 * Nothing is looked up by name: an area receives the parts it needs as parameters, and what is
 * optional by configuration is typed `X | null` here (the engine lease of one-shot commands, the
 * desktop's dialogs). The order of {@link App.modules} is the start order; the core stops them in
 * reverse (main/app/lifecycle.ts). docs/architecture.md §1a draws the same order.
 */
import type { BridgeOptions } from '../bridge/bridge';
import { createEngineBridgeModule, type EngineBridgeModule } from '../bridge/module';
import { createBenchModule } from '../bench/module';
import type { CoreContext, CoreModule } from '../core/module';
import { createSystemModule, type SystemModule } from '../core/system-module';
import { createMicroServiceModule } from '../integration/micro-service';
import { createLeadershipModule, type LeadershipModule } from '../leadership/module';
import { MetricsRegistry } from '../monitoring/metrics';
import {
  createMonitoringModule,
  DEFAULT_MONITORING_OPTIONS,
  type MonitoringModule,
  type MonitoringOptions
} from '../monitoring/module';
import { createKvModule } from '../nats/kv-module';
import {
  createConnectionModule,
  createMessagingModule,
  type ConnectionModule,
  type MessagingModule
} from '../nats/module';
import { createObjectsModule } from '../nats/objects-module';
import { createOperationsModule, type OperationsModule } from '../nats/operations-module';
import { createRecordingsModule, type RecordingsModule } from '../recordings/module';
import { createDurabilityModule, type DurabilityModule } from '../resilience/module';
import { createServersModule, type ServersModule } from '../servers/module';
import { createOverviewModule, type OverviewSettings } from '../overview/module';

/** Settings the hosts never change but tests do (shorter intervals, another clock, `active`). */
export interface ComposeOptions {
  bridge?: Partial<BridgeOptions>;
  monitoring?: Partial<MonitoringOptions>;
  overview?: Partial<OverviewSettings>;
}

/** Every area of a running core, by its typed public face. */
export interface App {
  /** The Prometheus registry every area records to. */
  metrics: MetricsRegistry;
  system: SystemModule;
  connection: ConnectionModule;
  operations: OperationsModule;
  kv: CoreModule;
  objects: CoreModule;
  durability: DurabilityModule;
  recordings: RecordingsModule;
  messaging: MessagingModule;
  servers: ServersModule;
  leadership: LeadershipModule;
  engine: EngineBridgeModule;
  overview: CoreModule;
  micro: CoreModule;
  monitoring: MonitoringModule;
  bench: CoreModule;
  /** Every module in start order; they stop in reverse. */
  modules: readonly CoreModule[];
}

export function composeApp(ctx: CoreContext, options: ComposeOptions = {}): App {
  // Recorded to by the outbox, the bridge and the lease; built first so each records from its start().
  const metrics = new MetricsRegistry({
    defaultMetrics: options.monitoring?.defaultMetrics ?? DEFAULT_MONITORING_OPTIONS.defaultMetrics
  });

  const system = createSystemModule(ctx);
  const connection = createConnectionModule(ctx);
  const operations = createOperationsModule(ctx);
  const kv = createKvModule(ctx);
  const objects = createObjectsModule(ctx);
  const durability = createDurabilityModule(ctx, { provisioning: operations.provisioning, metrics });
  const recordings = createRecordingsModule(ctx, {
    profiles: connection.profiles,
    breakers: durability.resilience
  });
  const messaging = createMessagingModule(ctx);
  const servers = createServersModule(ctx);
  const leadership = createLeadershipModule(ctx, { metrics });
  const engine = createEngineBridgeModule(
    ctx,
    {
      // The outbox, always: there is no direct publisher to fall back to.
      publisher: durability.publisher,
      provisioning: operations.provisioning,
      metrics,
      leadership: (bridge) => leadership.linkBridge(bridge),
      outbox: durability.outbox
    },
    options.bridge
  );
  const overview = createOverviewModule(ctx, { bridge: engine.bridge, sampler: operations.sampler }, options.overview);
  const micro = createMicroServiceModule(ctx, { bridge: engine.bridge });
  const monitoring = createMonitoringModule(
    ctx,
    {
      metrics,
      publisher: durability.publisher,
      sampler: operations.sampler,
      outbox: durability.outbox,
      resilience: durability.resilience,
      engine: { state: () => engine.engineState(), active: () => engine.bridge.active },
      servers: servers.servers,
      lease: leadership.lease
    },
    options.monitoring
  );
  const bench = createBenchModule(ctx);

  return {
    metrics,
    system,
    connection,
    operations,
    kv,
    objects,
    durability,
    recordings,
    messaging,
    servers,
    leadership,
    engine,
    overview,
    micro,
    monitoring,
    bench,
    modules: [
      system,
      connection,
      operations,
      kv,
      objects,
      durability,
      recordings,
      messaging,
      servers,
      leadership,
      engine,
      overview,
      micro,
      monitoring,
      bench
    ]
  };
}
