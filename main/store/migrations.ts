/**
 * Every migration of the app, in one list. Ids are zero-padded and grouped by area so areas can
 * add steps without colliding: 0001–0099 foundation, 0100 nats, 0200 engine/bridge,
 * 0300 durability, 0400 monitoring, 0500 bench, 0600 ui/settings, 1000 store health.
 * Never edit an applied migration: its checksum is verified at every start. Add a new one.
 */
import type { Migration } from './database';
import { RECORDING_MIGRATIONS } from '../recordings/migrations';
import { SNAPSHOT_MIGRATIONS } from '../nats/inspection';
import { DURABILITY_MIGRATIONS } from '../resilience/migrations';
import { MONITORING_MIGRATIONS } from '../monitoring/migrations';
import { PROFILE_MIGRATIONS } from '../nats/connection';
import { ENGINE_MIGRATIONS } from '../engine/store';
import { PROVENANCE_MIGRATIONS } from '../engine/provenance';
import { BRIDGE_MIGRATIONS } from '../bridge/store';
import { BENCH_MIGRATIONS } from '../bench/migrations';
import { SERVER_MIGRATIONS } from '../servers/store';
import { WRITE_PROBE_MIGRATIONS } from './write-probe';
import { BUCKET_SNAPSHOT_MIGRATIONS } from '../nats/buckets';
import { OVERVIEW_MIGRATIONS } from '../overview/module';

const foundation: Migration[] = [
  {
    id: '0001',
    description: 'key/value settings',
    sql: `CREATE TABLE settings (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            updated_at TEXT NOT NULL
          );`
  }
];

export const MIGRATIONS: readonly Migration[] = [
  ...foundation,
  ...DURABILITY_MIGRATIONS,
  ...MONITORING_MIGRATIONS,
  ...PROFILE_MIGRATIONS,
  ...SNAPSHOT_MIGRATIONS,
  ...ENGINE_MIGRATIONS,
  ...BRIDGE_MIGRATIONS,
  ...BENCH_MIGRATIONS,
  ...RECORDING_MIGRATIONS,
  ...SERVER_MIGRATIONS,
  ...WRITE_PROBE_MIGRATIONS,
  ...BUCKET_SNAPSHOT_MIGRATIONS,
  ...PROVENANCE_MIGRATIONS,
  ...OVERVIEW_MIGRATIONS
];
