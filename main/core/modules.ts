/**
 * The areas of the core, in start order. Add one line per area.
 */
import { connectionModule, messagingModule } from '../nats/module';
import { operationsModule } from '../nats/operations-module';
import { kvModule } from '../nats/kv-module';
import { objectsModule } from '../nats/objects-module';
import { durabilityModule } from '../resilience/module';
import { monitoringModule } from '../monitoring/module';
import { engineBridgeModule } from '../bridge/module';
import { leadershipModule } from '../leadership/module';
import { benchModule } from '../bench/module';
import { recordingsModule } from '../recordings/module';
import { serversModule } from '../servers/module';
import { microServiceModule } from '../integration/micro-service';
import { overviewModule } from '../overview/module';
import type { ModuleFactory } from './module';
import { systemModule } from './system-module';

export const MODULES: readonly ModuleFactory[] = [
  systemModule,
  connectionModule,
  operationsModule,
  kvModule,
  objectsModule,
  durabilityModule,
  recordingsModule,
  messagingModule,
  monitoringModule,
  leadershipModule,
  engineBridgeModule,
  overviewModule,
  microServiceModule,
  benchModule,
  serversModule
];
