/**
 * Builds a real core for integration tests: its own data dir, a real SQLite file, pointed at a
 * real nats-server, outputs validated against the contract.
 */
import { createCore, type Core, type CreateCoreOptions } from '../../main/app/create-core';
import { loadConfig, type ConfigOverrides } from '../../main/core/config';
import { createLogger } from '../../main/core/logger';
import { tempDir } from './temp';

export interface TestCoreOptions extends CreateCoreOptions {
  servers?: string[];
  dataDir?: string;
  overrides?: ConfigOverrides;
  autoConnect?: boolean;
}

export function createTestCore(options: TestCoreOptions = {}): Core {
  const config = loadConfig({
    mode: 'cli',
    env: {},
    overrides: {
      dataDir: options.dataDir ?? tempDir(),
      servers: options.servers,
      autoConnect: options.autoConnect ?? false,
      embedded: false,
      ...options.overrides
    }
  });
  const logger = options.logger ?? createLogger({ level: process.env.SYNOS_TEST_LOG === '1' ? 'debug' : 'error' });
  return createCore(config, { validateOutput: true, ...options, logger });
}
