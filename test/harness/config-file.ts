import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { ContractError } from '../../main/contract';
import { loadConfig, type Config } from '../../main/core/config';
import { tempDir } from './temp';

/** A fresh data directory whose config.json holds `config` (a string is written as it is). */
export function dirWithConfig(config: unknown): string {
  const dir = tempDir('synos-config-');
  fs.writeFileSync(path.join(dir, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config));
  return dir;
}

/** The configuration a CLI core would run with, given only this config.json. */
export function loadWithConfig(config: unknown): Config {
  return loadConfig({ mode: 'cli', env: {}, overrides: { dataDir: dirWithConfig(config) } });
}

/** The CONFIG_INVALID error loading this config.json gives (fails the test if it loads). */
export function rejectedConfig(config: unknown): ContractError {
  try {
    loadWithConfig(config);
  } catch (error) {
    expect(error).toBeInstanceOf(ContractError);
    expect((error as ContractError).code).toBe('CONFIG_INVALID');
    expect((error as ContractError).message).toMatch(/config\.json/);
    return error as ContractError;
  }
  throw new Error(`expected ${JSON.stringify(config)} to be rejected`);
}
