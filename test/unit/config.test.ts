import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ContractError } from '../../main/contract';
import { DEFAULT_NATS_URL, loadConfig } from '../../main/core/config';
import { dirWithConfig } from '../harness/config-file';
import { defaultDataDir } from '../../main/core/paths';

describe('configuration precedence: defaults < config file < NATS_URL < flags', () => {
  it('uses the embedded default with nothing configured', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'synos-config-'));
    const config = loadConfig({ mode: 'cli', env: {}, overrides: { dataDir: dir } });
    expect(config.nats.servers).toEqual([DEFAULT_NATS_URL]);
    expect(config.nats.explicit).toBe(false);
    expect(config.embedded.enabled).toBe(true);
    expect(config.log.format).toBe('json');
    expect(config.database.synchronous).toBe('NORMAL');
  });

  it('config file < NATS_URL < --nats', () => {
    const dir = dirWithConfig({
      nats: { servers: ['nats://file:4222'], user: 'u', password: 'p' },
      database: { synchronous: 'FULL' }
    });
    const fromFile = loadConfig({ mode: 'cli', env: {}, overrides: { dataDir: dir } });
    expect(fromFile.nats.servers).toEqual(['nats://file:4222']);
    expect(fromFile.nats.explicit).toBe(true);
    expect(fromFile.nats.auth).toEqual({ user: 'u', password: 'p' });
    expect(fromFile.database.synchronous).toBe('FULL');

    const fromEnv = loadConfig({
      mode: 'cli',
      env: { NATS_URL: 'nats://env-a:4222, env-b:4223' },
      overrides: { dataDir: dir }
    });
    expect(fromEnv.nats.servers).toEqual(['nats://env-a:4222', 'nats://env-b:4223']);

    const fromFlag = loadConfig({
      mode: 'cli',
      env: { NATS_URL: 'nats://env-a:4222' },
      overrides: { dataDir: dir, servers: ['tls://flag:4222'], user: 'flaguser' }
    });
    expect(fromFlag.nats.servers).toEqual(['tls://flag:4222']);
    expect(fromFlag.nats.auth.user).toBe('flaguser');
    expect(fromFlag.nats.auth.password).toBe('p');
  });

  it('a malformed config file is CONFIG_INVALID naming the file and the field', () => {
    const notJson = dirWithConfig('{ nats: ');
    expect(() => loadConfig({ mode: 'cli', env: {}, overrides: { dataDir: notJson } })).toThrow(/not valid JSON/);
    const badField = dirWithConfig({ nats: { servers: ['http://x'] } });
    try {
      loadConfig({ mode: 'cli', env: {}, overrides: { dataDir: badField } });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ContractError);
      expect((error as ContractError).code).toBe('CONFIG_INVALID');
      expect((error as ContractError).message).toMatch(/config\.json: nats\.servers\.0: must be a NATS URL/);
    }
    const typo = dirWithConfig({ natss: {} });
    expect(() => loadConfig({ mode: 'cli', env: {}, overrides: { dataDir: typo } })).toThrow(/natss/);
  });

  it('a bad NATS_URL is CONFIG_INVALID', () => {
    expect(() =>
      loadConfig({ mode: 'cli', env: { NATS_URL: 'http://nope' }, overrides: { dataDir: os.tmpdir() } })
    ).toThrow(/NATS_URL/);
  });

  it('the default data dir follows XDG_DATA_HOME on Linux', () => {
    expect(defaultDataDir({ XDG_DATA_HOME: '/x/data' }, 'linux')).toBe('/x/data/synos-control-center');
    expect(defaultDataDir({}, 'linux')).toBe(path.join(os.homedir(), '.local/share/synos-control-center'));
    expect(defaultDataDir({ XDG_DATA_HOME: 'relative' }, 'linux')).toBe(
      path.join(os.homedir(), '.local/share/synos-control-center')
    );
  });
});
