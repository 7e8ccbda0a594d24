/**
 * Secrets in one place: URL userinfo split into auth fields, redaction of URLs and registered
 * credentials, natscli's environment variables and secret files, safeStorage's basic_text backend,
 * private file modes, and files read without quoting them.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ContractError, redactUrls, splitUrlCredentials, toErrorShape } from '../../main/contract';
import { loadConfig, readSecretFile } from '../../main/core/config';
import { createLogger } from '../../main/core/logger';
import { redact, registerSecret } from '../../main/core/redact';
import { chooseSecretProtection } from '../../main/core/secrets';
import { parseJsonQuietly, readKeyFile } from '../../main/core/key-files';
import { ensurePrivateDir, modeOf, writePrivateFileAtomic } from '../../main/core/file-modes';
import { classifyNatsError } from '../../main/nats/connection/errors';
import { withUrlCredentials } from '../../main/nats/connection/connect-options';
import { dirWithConfig } from '../harness/config-file';
import { tempDir } from '../harness/temp';

describe('URL userinfo', () => {
  it('splits user:password and token forms, keeping the rest of the URL', () => {
    expect(splitUrlCredentials('nats://ops:s3cr%40t@10.0.0.5:4222')).toEqual({
      url: 'nats://10.0.0.5:4222',
      credentials: { user: 'ops', password: 's3cr@t' }
    });
    expect(splitUrlCredentials('tls://tok123@host/path')).toEqual({
      url: 'tls://host/path',
      credentials: { token: 'tok123' }
    });
    expect(splitUrlCredentials('host:4222')).toEqual({ url: 'nats://host:4222', credentials: null });
    expect(splitUrlCredentials('nats://a:b@c@host:1').url).toBe('nats://host:1');
  });

  it('redacts userinfo of every URL in a text', () => {
    expect(redactUrls('cannot reach nats://ops:pw@h:1, tls://tok@h2 (x)')).toBe(
      'cannot reach nats://ops:***@h:1, tls://***@h2 (x)'
    );
    expect(redactUrls('nats://u:p@ss@host:1')).toBe('nats://u:***@host:1');
    expect(redactUrls('no url here: a@b')).toBe('no url here: a@b');
  });

  it('moves URL credentials into the auth fields at every source; fields win; different ones are refused', () => {
    const dir = tempDir();
    const fromFlag = loadConfig({
      mode: 'cli',
      env: {},
      overrides: { dataDir: dir, servers: ['nats://ops:pw1x@h:1'] }
    });
    expect(fromFlag.nats.servers).toEqual(['nats://h:1']);
    expect(fromFlag.nats.auth).toEqual({ user: 'ops', password: 'pw1x' });

    const fromEnv = loadConfig({
      mode: 'cli',
      env: { NATS_URL: 'nats://tok-env@h:1,nats://tok-env@h:2' },
      overrides: { dataDir: dir }
    });
    expect(fromEnv.nats.servers).toEqual(['nats://h:1', 'nats://h:2']);
    expect(fromEnv.nats.auth).toEqual({ token: 'tok-env' });

    const fileDir = dirWithConfig({ nats: { servers: ['nats://fu:fp12@h:1'] } });
    const fromFile = loadConfig({ mode: 'cli', env: {}, overrides: { dataDir: fileDir } });
    expect(fromFile.nats).toMatchObject({ servers: ['nats://h:1'], auth: { user: 'fu', password: 'fp12' } });

    const fieldWins = loadConfig({
      mode: 'cli',
      env: {},
      overrides: { dataDir: dir, servers: ['nats://ops:pw1x@h:1'], user: 'other', password: 'given' }
    });
    expect(fieldWins.nats.auth).toEqual({ user: 'other', password: 'given' });

    expect(() =>
      loadConfig({ mode: 'cli', env: {}, overrides: { dataDir: dir, servers: ['nats://a:b1@h:1', 'nats://a:c1@h:2'] } })
    ).toThrow(/different credentials/);
  });

  it('connect targets split URLs too, and the classified error never shows userinfo', () => {
    const { servers, auth } = withUrlCredentials(['nats://u1:zz-target-pw@h:1'], {});
    expect(servers).toEqual(['nats://h:1']);
    expect(auth).toEqual({ user: 'u1', password: 'zz-target-pw' });
    const refused = Object.assign(new Error('connect ECONNREFUSED nats://u1:zz-target-pw@h:1'), {
      code: 'ECONNREFUSED'
    });
    const classified = classifyNatsError(refused, ['nats://u1:zz-target-pw@h:1']);
    expect(classified.code).toBe('NATS_UNREACHABLE');
    expect(classified.message).not.toContain('zz-target-pw');
    expect(toErrorShape(new ContractError('INTERNAL', 'x nats://a:zz-pw-2@h', { v: 'nats://a:zz-pw-2@h' }))).toEqual({
      code: 'INTERNAL',
      message: 'x nats://a:***@h',
      details: { v: 'nats://a:***@h' }
    });
  });
});

describe('redaction of registered credentials', () => {
  it('scrubs a registered secret from log lines, also inside JSON strings', () => {
    const lines: string[] = [];
    const logger = createLogger({ write: (l) => lines.push(l) });
    registerSecret('canary-"quoted"-4711');
    logger.info('token is canary-"quoted"-4711', {
      error: new Error('bad canary-"quoted"-4711'),
      url: 'nats://x:y1@h'
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('canary');
    expect(lines[0]).not.toContain('y1@');
    expect(redact('a canary-"quoted"-4711 b')).toBe('a *** b');
  });
});

describe("natscli's environment variables and secret files", () => {
  it('NATS_USER/NATS_PASSWORD/NATS_TOKEN/NATS_CREDS/NATS_NKEY sit between config.json and the flags', () => {
    const dir = dirWithConfig({ nats: { user: 'file-user', password: 'file-pw' } });
    const env = {
      NATS_USER: 'env-user',
      NATS_PASSWORD: 'env-pw',
      NATS_TOKEN: 'env-tok',
      NATS_CREDS: '/c',
      NATS_NKEY: '/n'
    };
    const fromEnv = loadConfig({ mode: 'cli', env, overrides: { dataDir: dir } });
    expect(fromEnv.nats.auth).toEqual({
      user: 'env-user',
      password: 'env-pw',
      token: 'env-tok',
      credsFile: '/c',
      nkeyFile: '/n'
    });
    const flagWins = loadConfig({ mode: 'cli', env, overrides: { dataDir: dir, password: 'flag-pw' } });
    expect(flagWins.nats.auth.password).toBe('flag-pw');
  });

  it('--password-file reads the first line; errors name the file and the reason, never the content', () => {
    const dir = tempDir();
    const good = path.join(dir, 'pw');
    fs.writeFileSync(good, 'file-secret-99\nsecond line\n', { mode: 0o600 });
    expect(readSecretFile(good, '--password-file')).toBe('file-secret-99');
    expect(() => readSecretFile(path.join(dir, 'missing'), '--password-file')).toThrow(/missing: no such file/);
    expect(() => readSecretFile(dir, '--password-file')).toThrow(/not a regular file/);
    const empty = path.join(dir, 'empty');
    fs.writeFileSync(empty, '\nsecret-on-line-2\n');
    let message = '';
    try {
      readSecretFile(empty, '--token-file');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/first line is empty/);
    expect(message).not.toContain('secret-on-line-2');
  });
});

describe('key files and JSON are read without quoting them', () => {
  it('refuses a FIFO without blocking and a directory; JSON errors give a position, not the text', () => {
    const dir = tempDir();
    const fifo = path.join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    expect(() => readKeyFile(fifo, 'creds file')).toThrow(/not a regular file/);
    expect(() => readKeyFile(dir, 'creds file')).toThrow(/not a regular file|directory/);
    const result = parseJsonQuietly('root:$6$hashhashhash:19000:0:99999:7:::\n');
    expect(result.ok).toBe(false);
    expect(JSON.stringify(result)).not.toContain('root');
    expect(JSON.stringify(result)).not.toContain('hash');
  });
});

describe("Electron safeStorage's backend", () => {
  it('basic_text on Linux is "stored unencrypted" with the reason, never the OS keychain', () => {
    const basic = chooseSecretProtection({ platform: 'linux', encryptionAvailable: true, linuxBackend: 'basic_text' });
    expect(basic.useSafeStorage).toBe(false);
    expect(basic.protection.kind).toBe('unencrypted');
    expect(basic.protection.label).toBe('stored unencrypted');
    expect(basic.protection.reason).toMatch(/basic_text/);
    expect(basic.protection.reason).toMatch(/keyring/);
    const libsecret = chooseSecretProtection({
      platform: 'linux',
      encryptionAvailable: true,
      linuxBackend: 'gnome_libsecret'
    });
    expect(libsecret).toMatchObject({ useSafeStorage: true, protection: { kind: 'os-keychain', reason: null } });
    const mac = chooseSecretProtection({ platform: 'darwin', encryptionAvailable: true });
    expect(mac.protection.label).toBe('OS keychain (macOS Keychain)');
    const none = chooseSecretProtection({ platform: 'linux', encryptionAvailable: false });
    expect(none).toMatchObject({ useSafeStorage: false, protection: { kind: 'key-file' } });
  });
});

describe('private file modes', () => {
  it('creates the data directory 0700, tightens an own 0755 one, and rewrites files 0600', () => {
    const base = tempDir();
    const created = path.join(base, 'new', 'data');
    ensurePrivateDir(created);
    expect(modeOf(created)).toBe(0o700);
    const loose = path.join(base, 'loose');
    fs.mkdirSync(loose, { mode: 0o755 });
    fs.chmodSync(loose, 0o755);
    ensurePrivateDir(loose);
    expect(modeOf(loose)).toBe(0o700);
    const file = path.join(base, 'config.json');
    fs.writeFileSync(file, '{}');
    fs.chmodSync(file, 0o644);
    writePrivateFileAtomic(file, '{"a":1}');
    expect(modeOf(file)).toBe(0o600);
    expect(fs.readFileSync(file, 'utf8')).toBe('{"a":1}');
  });
});

describe('a shared directory given as the data directory', () => {
  it('is never narrowed: sticky or holding other files', () => {
    const base = tempDir();
    const shared = path.join(base, 'shared');
    fs.mkdirSync(shared);
    fs.writeFileSync(path.join(shared, 'someone-elses-file'), 'x');
    fs.chmodSync(shared, 0o755);
    ensurePrivateDir(shared);
    expect(modeOf(shared)).toBe(0o755);
    const sticky = path.join(base, 'sticky');
    fs.mkdirSync(sticky);
    fs.chmodSync(sticky, 0o1777);
    ensurePrivateDir(sticky);
    expect(fs.statSync(sticky).mode & 0o1777).toBe(0o1777);
  });
});
