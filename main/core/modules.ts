/**
 * The areas of the core, in start order. Add one line per area.
 */
import { connectionModule, messagingModule } from '../nats/module';
import { operationsModule } from '../nats/operations-module';
import { durabilityModule } from '../resilience/module';
import type { ModuleFactory } from './module';
import { systemModule } from './system-module';

export const MODULES: readonly ModuleFactory[] = [systemModule, connectionModule, operationsModule, durabilityModule, messagingModule];
